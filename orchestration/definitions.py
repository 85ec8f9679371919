"""The lydspor code location."""

from __future__ import annotations

import dagster as dg

from assets.agent_audio.assets import agent_audio
from assets.consent.assets import consent_lineage
from assets.marts.assets import lydspor_dbt_models
from assets.recordings.assets import raw_recordings
from assets.retention.assets import retention_state
from assets.retention.checks import (
    customer_audio_within_deadline,
    every_object_has_basis_and_purposes,
)
from assets.transcripts.assets import transcripts
from assets.transcripts.checks import transcript_words_redacted_and_well_formed
from orchestration.jobs import call_pipeline_job, retention_sweep
from orchestration.resources import (
    ObjectStoreResource,
    PolicyResource,
    WhisperResource,
    dbt_resource,
    duckdb_resource,
)
from orchestration.schedules import nightly_call_pipeline, retention_sweep_schedule
from orchestration.sensors import (
    landing_sensor,
    sweep_after_pipeline_failure,
    sweep_after_pipeline_success,
)


def build_resources() -> dict:
    """Resources read their settings from LYDSPOR_* variables when a run starts."""
    return {
        "object_store": ObjectStoreResource(
            endpoint=dg.EnvVar("LYDSPOR_S3_ENDPOINT"),
            root=dg.EnvVar("LYDSPOR_STORE_ROOT"),
            bucket=dg.EnvVar("LYDSPOR_BUCKET"),
            access_key=dg.EnvVar("LYDSPOR_S3_ACCESS_KEY"),
            secret_key=dg.EnvVar("LYDSPOR_S3_SECRET_KEY"),
            secure=dg.EnvVar("LYDSPOR_S3_SECURE"),
            region=dg.EnvVar("LYDSPOR_S3_REGION"),
            object_lock=dg.EnvVar("LYDSPOR_S3_OBJECT_LOCK"),
        ),
        "duckdb": duckdb_resource(dg.EnvVar("LYDSPOR_DUCKDB_PATH")),
        "whisper": WhisperResource(
            model=dg.EnvVar("LYDSPOR_WHISPER_MODEL"),
            model_dir=dg.EnvVar("LYDSPOR_MODEL_DIR"),
            engine=dg.EnvVar("LYDSPOR_WHISPER_ENGINE"),
            align_model=dg.EnvVar("LYDSPOR_WHISPERX_ALIGN_MODEL"),
            diarize_model=dg.EnvVar("LYDSPOR_WHISPERX_DIARIZE_MODEL"),
        ),
        "policy": PolicyResource(path=dg.EnvVar("LYDSPOR_POLICY")),
        "dbt": dbt_resource(),
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
        transcript_words_redacted_and_well_formed,
    ],
    jobs=[call_pipeline_job, retention_sweep],
    schedules=[nightly_call_pipeline, retention_sweep_schedule],
    sensors=[landing_sensor, sweep_after_pipeline_success, sweep_after_pipeline_failure],
    resources=build_resources(),
)
