"""The transcripts step decodes each track once: the samples it decodes serve the band test,
language detection and transcription, and faster-whisper never decodes a file itself."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.common.storage import LocalObjectStore
from assets.recordings.samples import generate_sample_calls
from assets.transcripts import assets as transcripts_module
from lydspor.demo import run_call_pipeline

pytestmark = pytest.mark.slow

DAY = date(2026, 11, 2)
STEPS = ("raw_recordings", "consent_lineage", "agent_audio", "transcripts")


def test_each_track_is_decoded_once(lydspor_state, tmp_path, monkeypatch):
    calls = generate_sample_calls(tmp_path / "calls", seed=3, calls=3, start_date=DAY, days=1)
    store = LocalObjectStore(Path(os.environ["LYDSPOR_STORE_ROOT"]), os.environ["LYDSPOR_BUCKET"])
    for path in sorted(p for p in (tmp_path / "calls").rglob("*") if p.is_file()):
        store.put_bytes(
            f"landing/{path.relative_to(tmp_path / 'calls').as_posix()}", path.read_bytes()
        )
    decoded: Counter = Counter()
    decode = transcripts_module.decode_track

    def counting(audio: bytes, channel=None):
        decoded[hashlib.sha256(audio).hexdigest(), channel] += 1
        return decode(audio, channel)

    def refused(*args, **kwargs):
        raise AssertionError("faster-whisper decoded a file: the track's samples were not used")

    monkeypatch.setattr(transcripts_module, "decode_track", counting)
    monkeypatch.setattr("faster_whisper.transcribe.decode_audio", refused)
    instance = dg.DagsterInstance.from_config(os.environ["DAGSTER_HOME"])
    outcome = run_call_pipeline(
        DAY, DAY, instance=instance, asset_selection=[dg.AssetKey(k) for k in STEPS]
    )
    assert outcome.success, outcome.errors
    with duckdb.connect(os.environ["LYDSPOR_DUCKDB_PATH"], read_only=True) as con:
        tracks = con.execute("select count(*) from raw.transcript_languages").fetchone()[0]
    assert tracks >= len([c for c in calls if c.recording_mode.value != "mono"])
    assert sum(decoded.values()) == tracks and set(decoded.values()) == {1}, decoded
