"""lydspor's Dagster code location: definitions, jobs, schedules and sensors, nothing else."""
