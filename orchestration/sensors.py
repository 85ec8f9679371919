"""Sensors: start a run for a call date when new files land for it."""

import hashlib
from datetime import datetime, timedelta

import dagster as dg

from assets.recordings.landing import landing_prefix
from assets.recordings.metadata import CALL_TIMEZONE
from orchestration.jobs import call_pipeline_job, retention_sweep
from orchestration.resources import ObjectStoreResource

#: Dialers deliver late; look this many days back each tick (dated prefixes keep it cheap).
LOOKBACK_DAYS = 3


@dg.sensor(
    job=call_pipeline_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Runs the call pipeline for a call date when recordings land under "
    "landing/<date>/ (the run key is a hash of what landed, so a tick never runs it twice).",
)
def landing_sensor(context: dg.SensorEvaluationContext, object_store: ObjectStoreResource):
    store = object_store.get_store()
    today = datetime.now(CALL_TIMEZONE).date()
    for back in range(LOOKBACK_DAYS):
        day = today - timedelta(days=back)
        landed = sorted(f"{o.key}:{o.size}" for o in store.list(landing_prefix(day)))
        if not landed:
            continue
        digest = hashlib.sha256("\n".join(landed).encode()).hexdigest()[:16]
        yield dg.RunRequest(partition_key=day.isoformat(), run_key=f"{day}:{digest}")


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[call_pipeline_job],
    request_job=retention_sweep,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sweeps expired objects right after every successful pipeline run.",
)
def sweep_after_pipeline_success(context: dg.RunStatusSensorContext):
    return dg.RunRequest(run_key=f"sweep-after-{context.dagster_run.run_id}")


@dg.run_failure_sensor(
    monitored_jobs=[call_pipeline_job],
    request_job=retention_sweep,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sweeps expired objects after a failed pipeline run too: a failing step never "
    "keeps customer audio past its deadline.",
)
def sweep_after_pipeline_failure(context: dg.RunFailureSensorContext):
    return dg.RunRequest(run_key=f"sweep-after-{context.dagster_run.run_id}")
