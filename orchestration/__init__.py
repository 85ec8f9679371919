"""lydspor's Dagster code location: definitions, resources, partitions, jobs, CLI."""

import warnings

# Single-run backfills are marked beta in Dagster; lydspor relies on them deliberately.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`")
