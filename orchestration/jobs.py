"""Jobs: the call pipeline, the light per-call intake, and the retention sweep.

Every job writes the DuckDB catalogue, so each carries the catalogue-writer tag: the embedded
instance's run queue starts one of them at a time (``assets/common/settings.py``)."""

import dagster as dg

from assets.agent_audio.assets import agent_audio
from assets.common.partitions import call_date_partitions
from assets.common.settings import CATALOGUE_WRITER_TAG
from assets.consent.assets import consent_lineage
from assets.recordings.assets import raw_recordings
from assets.retention.ops import sweep_expired_objects

#: Tags of every run that opens the DuckDB catalogue for writing.
WRITER_TAGS = {CATALOGUE_WRITER_TAG: "writer"}

call_pipeline_job = dg.define_asset_job(
    name="call_pipeline",
    selection=dg.AssetSelection.all(),
    partitions_def=call_date_partitions,
    # One process: steps share the DuckDB file (one writer) and skip per-step re-imports.
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS,
    description="Recordings in, agent-only audio, transcripts, consent lineage, retention state, "
    "the compliance gate, and the dbt marts, for one call date or a range.",
)

call_intake_job = dg.define_asset_job(
    name="call_intake",
    selection=dg.AssetSelection.assets(raw_recordings, consent_lineage, agent_audio),
    partitions_def=call_date_partitions,
    executor_def=dg.in_process_executor,
    # Dequeued before a waiting batch or sweep: the customer's voice is waiting on it.
    tags={**WRITER_TAGS, "dagster/priority": "10"},
    description="The light path a landed call takes at once: ingested, its legal basis decided, "
    "the agent's audio extracted and the customer's voice deleted (unless consent keeps it). "
    "Transcripts, retention state, the gate and the marts follow in the batched call_pipeline.",
)


@dg.job(
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS,
    description="Deletes every object past its retention deadline, except those under legal hold.",
)
def retention_sweep():
    sweep_expired_objects()
