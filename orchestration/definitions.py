"""The lydspor code location."""

from __future__ import annotations

import dagster as dg

from assets.agent_audio.assets import agent_audio
from assets.common.concurrency import io_dir
from assets.common.resources import catalogue_resource, object_store_resource
from assets.common.settings import WHISPER_VARIABLES, from_environment
from assets.consent.assets import consent_lineage
from assets.marts.assets import lydspor_dbt_models
from assets.marts.resources import marts_dbt_resource
from assets.recordings.assets import raw_recordings
from assets.retention.assets import retention_state
from assets.retention.checks import (
    customer_audio_within_deadline,
    every_object_has_basis_and_purposes,
    store_matches_ledger,
)
from assets.retention.resources import policy_resource
from assets.retention.row_checks import personal_rows_within_deadline
from assets.transcripts.assets import transcripts
from assets.transcripts.checks import transcript_words_redacted_and_well_formed
from assets.transcripts.resources import WhisperResource
from orchestration.jobs import PIPELINE_JOBS, call_intake_job, retention_sweep
from orchestration.schedules import nightly_call_pipeline, retention_sweep_schedule
from orchestration.sensors import (
    SHARD_SENSORS,
    call_batch_sensor,
    landing_sensor,
    sweep_after_pipeline_failure,
    sweep_after_pipeline_success,
)


def build_resources() -> dict:
    """Resources read their settings from LYDSPOR_* variables when a run starts (the CLI and
    the web app build the store, catalogue and policy with the same helpers, read at once)."""
    policy = policy_resource(dg.EnvVar)
    return {
        "object_store": object_store_resource(dg.EnvVar),
        "duckdb": catalogue_resource(dg.EnvVar),
        "whisper": WhisperResource(**from_environment(WHISPER_VARIABLES, dg.EnvVar)),
        "policy": policy,
        "dbt": marts_dbt_resource(policy),
        # Unset: Dagster's default, under DAGSTER_HOME (one machine).
        **(
            {"io_manager": dg.FilesystemIOManager(base_dir=outputs)}
            if (outputs := io_dir())
            else {}
        ),
    }


defs = dg.Definitions(
    assets=[
        raw_recordings,
        consent_lineage,
        agent_audio,
        transcripts,
        retention_state,
        lydspor_dbt_models,
    ],
    asset_checks=[
        customer_audio_within_deadline,
        every_object_has_basis_and_purposes,
        personal_rows_within_deadline,
        store_matches_ledger,
        transcript_words_redacted_and_well_formed,
    ],
    jobs=[*PIPELINE_JOBS, call_intake_job, retention_sweep],
    schedules=[nightly_call_pipeline, retention_sweep_schedule],
    sensors=[
        landing_sensor,
        call_batch_sensor,
        sweep_after_pipeline_success,
        sweep_after_pipeline_failure,
        *SHARD_SENSORS,
    ],
    resources=build_resources(),
)
