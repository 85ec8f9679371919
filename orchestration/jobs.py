"""Jobs: the call pipeline, every asset of a call-date partition in order."""


import dagster as dg

from orchestration.partitions import call_date_partitions

call_pipeline_job = dg.define_asset_job(
    name="call_pipeline",
    selection=dg.AssetSelection.all(),
    partitions_def=call_date_partitions,
    # One process: steps share the DuckDB file (one writer) and skip per-step re-imports.
    executor_def=dg.in_process_executor,
    description="Recordings in, agent-only audio, transcripts, consent lineage, retention state, "
    "the compliance gate, and the dbt marts, for one call date or a range.",
)
