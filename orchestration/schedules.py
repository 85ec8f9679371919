"""Schedules: yesterday's calls every night; the retention sweep every five minutes."""

import dagster as dg

from orchestration.jobs import call_pipeline_job, retention_sweep

nightly_call_pipeline = dg.build_schedule_from_partitioned_job(
    call_pipeline_job, hour_of_day=2, minute_of_hour=0, name="nightly_call_pipeline"
)

# On by default: deadlines are kept whether or not anyone remembers to switch it on.
retention_sweep_schedule = dg.ScheduleDefinition(
    name="retention_sweep_every_5_minutes",
    job=retention_sweep,
    cron_schedule="*/5 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
