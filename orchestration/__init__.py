"""lydspor's Dagster code location: definitions, resources, partitions, jobs, CLI."""
