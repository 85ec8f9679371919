"""The Pipes worker on the S3 store: it reads the track's audio from the bucket and writes its
work file back there, with the store's settings (keys included) handed to its process by the
step, never by the worker reading the step's configuration."""

from __future__ import annotations

from datetime import date

import dagster as dg
import pytest

from assets.common.resources import ObjectStoreResource
from assets.recordings.samples.audio import resample
from assets.recordings.samples.tts import NATIVE_RATE, VoiceSpec, synthesize_isolated
from assets.transcripts.engines import SAMPLE_RATE
from assets.transcripts.pipes import run_worker, worker_extras
from assets.transcripts.resources import WhisperResource
from assets.transcripts.settings import TranscriptionSettings
from assets.transcripts.work import WorkItem, result_from_bytes, work_key
from tests.conftest import MODEL_DIR
from tests.support.calls import wav

pytestmark = [pytest.mark.s3, pytest.mark.slow]

DAY = date(2026, 11, 2)


def test_the_worker_reads_audio_from_s3_and_writes_its_work_file_there(
    lydspor_state, ceph_s3, tmp_path
):
    (spoken,) = synthesize_isolated(
        [
            (
                "Good morning, this is Lars from Northwind. Do you have a minute?",
                "en",
                VoiceSpec("m6", pitch=40, rate=155),
            )
        ]
    )
    settings = ceph_s3.lydspor_env("worker-pipes")
    object_store = ObjectStoreResource(
        endpoint=settings["LYDSPOR_S3_ENDPOINT"],
        bucket=settings["LYDSPOR_BUCKET"],
        access_key=settings["LYDSPOR_S3_ACCESS_KEY"],
        secret_key=settings["LYDSPOR_S3_SECRET_KEY"],
        region=settings["LYDSPOR_S3_REGION"],
    )
    store = object_store.get_store()
    source = f"agent/{DAY.isoformat()}/c1/agent.wav"
    store.put_bytes(source, wav(resample(spoken, NATIVE_RATE, SAMPLE_RATE).astype("float32")))
    item = WorkItem(
        "c1", DAY.isoformat(), "agent", source, None, "en", work_key(DAY, "c1", "agent")
    )
    whisper = WhisperResource(model_dir=str(MODEL_DIR), worker="subprocess")

    @dg.asset
    def heard(context):
        extras = worker_extras(whisper, TranscriptionSettings(), str(tmp_path), [item])
        return dg.MaterializeResult(metadata=run_worker(context, whisper, object_store, extras))

    result = dg.materialize([heard])
    assert result.success
    assert result.asset_materializations_for_node("heard")[0].metadata["worker_tracks"].value == 1
    got = result_from_bytes(store.get_bytes(item.key))
    assert got.choice.language == "en" and got.model == "bundled:base"
    assert "northwind" in got.transcript.text.lower(), got.transcript.text
    # The local store of this test's state was not written: the worker used the bucket.
    assert not list((lydspor_state / "objects").rglob("*.parquet"))
