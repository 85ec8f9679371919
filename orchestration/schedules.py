"""Schedules: yesterday's calls every night."""


import dagster as dg

from orchestration.jobs import call_pipeline_job

nightly_call_pipeline = dg.build_schedule_from_partitioned_job(
    call_pipeline_job, hour_of_day=2, minute_of_hour=0, name="nightly_call_pipeline"
)
