"""Sensors: streaming intake of newly landed calls, the batched rest of the pipeline, and the
retention sweep after every pipeline run.

A landed call takes the light path at once (``call_intake``: ingested, basis decided, the
agent's audio extracted and the customer's voice deleted); transcripts, retention state, the
gate and the marts follow in batches (``call_pipeline`` per call date, at most once every
``BATCH_EVERY_MINUTES``); the nightly schedule catches up on anything both missed."""

import hashlib
import json
import time
from datetime import date, datetime, timedelta

import dagster as dg

from assets.agent_audio.assets import agent_audio
from assets.common.partitions import SHARDS, day_partition_keys, run_dates
from assets.common.resources import ObjectStoreResource
from assets.common.settings import CALL_TIMEZONE
from assets.recordings.landing import landing_prefix
from assets.transcripts.assets import transcripts
from orchestration.jobs import (
    PIPELINE_JOBS,
    call_intake_job,
    call_marts_job,
    call_pipeline_job,
    retention_sweep,
)

#: Dialers deliver late; look this many days back each tick (dated prefixes keep it cheap).
LOOKBACK_DAYS = 3
#: Seconds between two looks at the landing area: with a run's start-up (seconds) this bounds
#: how long a landed customer recording waits before its agent part is extracted and it goes.
LANDING_INTERVAL_S = 10
#: Minutes extracted calls gather before their batch (transcripts, retention state, gate,
#: marts) runs for their call date: transcripts lag at most this plus the batch's own time.
BATCH_EVERY_MINUTES = 10
#: Seconds between two looks for extracted calls that wait for their batch.
BATCH_INTERVAL_S = 60

_S = dg.DagsterRunStatus
#: A run in these states has not listed the landing area yet: it will see what lands now.
NOT_YET_STARTED = [_S.QUEUED, _S.NOT_STARTED]
#: A run in these states is still going (or about to).
IN_FLIGHT = [*NOT_YET_STARTED, _S.STARTING, _S.STARTED, _S.CANCELING]
PARTITION_TAG = "dagster/partition"
#: The tag naming a run's call date: the partition itself unsharded, its date dimension sharded.
DATE_TAG = PARTITION_TAG if SHARDS == 1 else f"{PARTITION_TAG}/date"


def landed_digest(object_store: ObjectStoreResource, day) -> str | None:
    """A fingerprint of what is waiting under landing/<day>/, or None when nothing is."""
    landed = sorted(
        f"{o.key}:{o.size}:{o.modified_at.isoformat()}"
        for o in object_store.get_store().list(landing_prefix(day))
    )
    return hashlib.sha256("\n".join(landed).encode()).hexdigest()[:16] if landed else None


def recent_days(today: date | None = None) -> list[date]:
    """The call dates the sensors look at, newest first."""
    today = today or datetime.now(CALL_TIMEZONE).date()
    return [today - timedelta(days=back) for back in range(LOOKBACK_DAYS)]


def _runs_for(instance: dg.DagsterInstance, job_names, day: str, statuses) -> bool:
    """Whether a run of one of ``job_names`` for call date ``day`` is in one of ``statuses``."""
    return any(
        instance.get_runs(
            filters=dg.RunsFilter(job_name=name, statuses=statuses, tags={DATE_TAG: day}),
            limit=1,
        )
        for name in job_names
    )


@dg.sensor(
    job=call_intake_job,
    minimum_interval_seconds=LANDING_INTERVAL_S,
    # On by default: the customer's voice is deleted minutes after it lands, not at night.
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the light intake (ingest, basis, agent audio; the customer's voice "
    "deleted) for a call date as soon as recordings land under landing/<date>/. Lists only "
    "the last few dated prefixes; the cursor remembers what each date held, so an unchanged "
    "landing area starts nothing, and a run still queued for the date picks up what lands "
    "meanwhile (ingest is idempotent by content hash).",
)
def landing_sensor(context: dg.SensorEvaluationContext, object_store: ObjectStoreResource):
    seen = json.loads(context.cursor) if context.cursor else {}
    requests = []
    days = recent_days()
    for day in (d.isoformat() for d in days):
        digest = landed_digest(object_store, date.fromisoformat(day))
        # Listed before looking at the queue: a run still queued now lists after this did.
        if (
            digest
            and seen.get(day) != digest
            and not _runs_for(
                context.instance,
                [call_intake_job.name, call_pipeline_job.name],
                day,
                NOT_YET_STARTED,
            )
        ):
            requests.extend(
                dg.RunRequest(partition_key=key, run_key=f"{key}:{digest}")
                for key in day_partition_keys(day)
            )
        if digest:
            seen[day] = digest
        else:
            seen.pop(day, None)
    # Forget dates that fell out of the window, so the cursor stays small.
    oldest = days[-1].isoformat()
    seen = {day: digest for day, digest in seen.items() if day >= oldest}
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))


def batch_due(waiting_since: float | None, batch_in_flight: bool, now: float) -> bool:
    """Whether a call date needs its batch now: the first call extracted after the date's last
    transcription was extracted ``BATCH_EVERY_MINUTES`` ago or more, and no batch of the date
    is in flight (times in epoch seconds; None: nothing waits). Calls gather for the interval,
    so one batch transcribes them all."""
    if waiting_since is None or batch_in_flight:
        return False
    return now - waiting_since >= BATCH_EVERY_MINUTES * 60


def _materializations(instance: dg.DagsterInstance, key, day: str, *, after=None, first=False):
    return instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=key, asset_partitions=day_partition_keys(day), after_timestamp=after
        ),
        limit=1,
        ascending=first,
    ).records


@dg.sensor(
    job=call_pipeline_job,
    minimum_interval_seconds=BATCH_INTERVAL_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the whole call pipeline (transcripts, retention state, the gate, the "
    "marts) for a call date whose calls took the intake since its last transcription, once "
    f"the first of them has waited {BATCH_EVERY_MINUTES} minutes; never while one is in flight.",
)
def call_batch_sensor(context: dg.SensorEvaluationContext):
    instance, now, requests = context.instance, time.time(), []
    for day in (d.isoformat() for d in recent_days()):
        transcribed = _materializations(instance, transcripts.key, day)
        after = transcribed[0].timestamp if transcribed else None
        waiting = _materializations(instance, agent_audio.key, day, after=after, first=True)
        if batch_due(
            waiting[0].timestamp if waiting else None,
            _runs_for(instance, [call_pipeline_job.name], day, IN_FLIGHT),
            now,
        ):
            latest = _materializations(instance, agent_audio.key, day)[0]
            requests.extend(
                dg.RunRequest(partition_key=key, run_key=f"batch:{key}:{latest.storage_id}")
                for key in day_partition_keys(day)
            )
    return dg.SensorResult(run_requests=requests)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=PIPELINE_JOBS,
    request_job=retention_sweep,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sweeps expired objects right after every successful pipeline run.",
)
def sweep_after_pipeline_success(context: dg.RunStatusSensorContext):
    return dg.RunRequest(run_key=f"sweep-after-{context.dagster_run.run_id}")


@dg.run_failure_sensor(
    monitored_jobs=PIPELINE_JOBS,
    request_job=retention_sweep,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sweeps expired objects after a failed pipeline run too: a failing step never "
    "keeps customer audio past its deadline.",
)
def sweep_after_pipeline_failure(context: dg.RunFailureSensorContext):
    return dg.RunRequest(run_key=f"sweep-after-{context.dagster_run.run_id}")


def dates_complete(instance: dg.DagsterInstance, days: list[str]) -> list[str]:
    """The call dates among ``days`` whose every shard has transcripts materialised."""
    done = instance.get_materialized_partitions(transcripts.key)
    return [day for day in days if all(key in done for key in day_partition_keys(day))]


def marts_requests(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[dg.RunRequest]:
    """One ``call_marts`` run per call date the finished shard run completed."""
    return [
        dg.RunRequest(partition_key=day, run_key=f"marts:{day}:{run.run_id}")
        for day in dates_complete(instance, run_dates(run.tags))
    ]


if call_marts_job is not None:

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[call_pipeline_job],
        request_job=call_marts_job,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Builds the daily rest (retention state, the gate, the marts) of a call "
        "date after a shard run of it succeeds, once every shard of the date is in.",
    )
    def marts_after_shards(context: dg.RunStatusSensorContext):
        return marts_requests(context.instance, context.dagster_run)

    SHARD_SENSORS = [marts_after_shards]
else:
    SHARD_SENSORS = []
