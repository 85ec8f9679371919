"""Sensors: runs for newly landed calls, and the retention sweep after every pipeline run."""

import hashlib
import json
from datetime import datetime, timedelta

import dagster as dg

from assets.common.resources import ObjectStoreResource
from assets.common.settings import CALL_TIMEZONE
from assets.recordings.landing import landing_prefix
from orchestration.jobs import call_pipeline_job, retention_sweep

#: Dialers deliver late; look this many days back each tick (dated prefixes keep it cheap).
LOOKBACK_DAYS = 3


def landed_digest(object_store: ObjectStoreResource, day) -> str | None:
    """A fingerprint of what is waiting under landing/<day>/, or None when nothing is."""
    landed = sorted(
        f"{o.key}:{o.size}:{o.modified_at.isoformat()}"
        for o in object_store.get_store().list(landing_prefix(day))
    )
    return hashlib.sha256("\n".join(landed).encode()).hexdigest()[:16] if landed else None


@dg.sensor(
    job=call_pipeline_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Runs the call pipeline for a call date when recordings land under "
    "landing/<date>/. Lists only the last few dated prefixes; the cursor remembers what each "
    "date held, so an unchanged landing area starts nothing (and ingest itself is idempotent "
    "by content hash).",
)
def landing_sensor(context: dg.SensorEvaluationContext, object_store: ObjectStoreResource):
    seen = json.loads(context.cursor) if context.cursor else {}
    today = datetime.now(CALL_TIMEZONE).date()
    requests = []
    for back in range(LOOKBACK_DAYS):
        day = (today - timedelta(days=back)).isoformat()
        digest = landed_digest(object_store, today - timedelta(days=back))
        if digest and seen.get(day) != digest:
            requests.append(dg.RunRequest(partition_key=day, run_key=f"{day}:{digest}"))
        if digest:
            seen[day] = digest
        else:
            seen.pop(day, None)
    # Forget dates that fell out of the window, so the cursor stays small.
    oldest = (today - timedelta(days=LOOKBACK_DAYS - 1)).isoformat()
    seen = {day: digest for day, digest in seen.items() if day >= oldest}
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))


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
