"""Jobs: the call pipeline, the light per-call intake, and the retention sweep.

Every job writes the DuckDB catalogue, so each carries the catalogue-writer tag: the embedded
instance's run queue starts one of them at a time (``assets/common/settings.py``). On a
deployment (``deploy/``) runs go in parallel and the ``warehouse`` pool serialises the steps
that hold the catalogue instead; ``LYDSPOR_EXECUTOR=k8s`` runs each step in its own pod
(``assets/common/concurrency.py``).

With ``LYDSPOR_SHARDS`` above 1 the heavy assets are partitioned by call date x shard and the
rest (retention state, the gate, the marts) stays daily; Dagster runs one partitioning per job,
so ``call_pipeline`` then takes the heavy assets of one (date, shard) and ``call_marts`` the
daily rest, launched once every shard of the date is in (``orchestration/sensors.py``)."""

import dagster as dg

from assets.agent_audio.assets import agent_audio
from assets.common.concurrency import GPU_TAG, executor_name
from assets.common.partitions import SHARDS, call_date_partitions, call_shard_partitions
from assets.common.settings import CATALOGUE_WRITER_TAG
from assets.consent.assets import consent_lineage
from assets.recordings.assets import raw_recordings
from assets.retention.ops import sweep_expired_objects
from assets.transcripts.assets import transcripts

#: Tags of every run that opens the DuckDB catalogue for writing.
WRITER_TAGS = {CATALOGUE_WRITER_TAG: "writer"}


def step_executor() -> dg.ExecutorDefinition:
    """One process per run on one machine (steps share the DuckDB file and skip per-step
    re-imports); one Kubernetes Job per step on a cluster (``LYDSPOR_EXECUTOR=k8s``)."""
    if executor_name() == "k8s":
        # Imported only here: the Kubernetes client adds seconds to every process's start.
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    return dg.in_process_executor


STEP_EXECUTOR = step_executor()

#: The assets partitioned by call date x shard when sharded.
SHARDED_ASSETS = dg.AssetSelection.assets(raw_recordings, consent_lineage, agent_audio, transcripts)

if SHARDS == 1:
    call_pipeline_job = dg.define_asset_job(
        name="call_pipeline",
        selection=dg.AssetSelection.all(),
        partitions_def=call_date_partitions,
        executor_def=STEP_EXECUTOR,
        # Transcribes: the run queue starts as many of these at once as there are GPUs.
        tags={**WRITER_TAGS, GPU_TAG: "1"},
        description="Recordings in, agent-only audio, transcripts, consent lineage, retention "
        "state, the compliance gate, and the dbt marts, for one call date or a range.",
    )
    call_marts_job = None
else:
    call_pipeline_job = dg.define_asset_job(
        name="call_pipeline",
        selection=SHARDED_ASSETS,
        partitions_def=call_shard_partitions,
        executor_def=STEP_EXECUTOR,
        tags={**WRITER_TAGS, GPU_TAG: "1"},
        description="Recordings in, consent lineage, agent-only audio and transcripts for the "
        "calls of one shard of a call date (or a batch of them).",
    )
    call_marts_job = dg.define_asset_job(
        name="call_marts",
        selection=dg.AssetSelection.all() - SHARDED_ASSETS,
        partitions_def=call_date_partitions,
        executor_def=STEP_EXECUTOR,
        tags=WRITER_TAGS,
        description="Retention state, the compliance gate and the dbt marts for a call date, "
        "once every shard of it has been through call_pipeline.",
    )

#: Every job that builds the call date's data (what the sweep follows).
PIPELINE_JOBS = [job for job in (call_pipeline_job, call_marts_job) if job is not None]

call_intake_job = dg.define_asset_job(
    name="call_intake",
    selection=dg.AssetSelection.assets(raw_recordings, consent_lineage, agent_audio),
    partitions_def=call_shard_partitions,
    executor_def=STEP_EXECUTOR,
    # Dequeued before a waiting batch or sweep: the customer's voice is waiting on it.
    tags={**WRITER_TAGS, "dagster/priority": "10"},
    description="The light path a landed call takes at once: ingested, its legal basis decided, "
    "the agent's audio extracted and the customer's voice deleted (unless consent keeps it). "
    "Transcripts, retention state, the gate and the marts follow in the batched call_pipeline.",
)


@dg.job(
    executor_def=STEP_EXECUTOR,
    tags=WRITER_TAGS,
    description="Deletes every object past its retention deadline, except those under legal hold.",
)
def retention_sweep():
    sweep_expired_objects()
