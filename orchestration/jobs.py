"""Jobs: the call pipeline, and the retention sweep."""

import dagster as dg

from assets.common.partitions import call_date_partitions
from assets.retention.ops import sweep_expired_objects

call_pipeline_job = dg.define_asset_job(
    name="call_pipeline",
    selection=dg.AssetSelection.all(),
    partitions_def=call_date_partitions,
    # One process: steps share the DuckDB file (one writer) and skip per-step re-imports.
    executor_def=dg.in_process_executor,
    description="Recordings in, agent-only audio, transcripts, consent lineage, retention state, "
    "the compliance gate, and the dbt marts, for one call date or a range.",
)


@dg.job(
    executor_def=dg.in_process_executor,
    description="Deletes every object past its retention deadline, except those under legal hold.",
)
def retention_sweep():
    sweep_expired_objects()
