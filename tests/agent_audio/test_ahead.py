"""Work computed ahead in threads (``ahead.Ahead``) gives exactly what ``process_recording``
computes in place, and is never used for a voiceprint other than the one it was planned with."""

from __future__ import annotations

import numpy as np
import pytest

from assets.agent_audio import isolation as iso
from assets.agent_audio.ahead import Ahead
from assets.agent_audio.embeddings import LazyEncoder
from assets.agent_audio.enrolment import enrol
from assets.agent_audio.extract import AGENT_AUDIO_SCHEMA, AGENT_AUDIO_TABLE, process_recording
from assets.agent_audio.voiceprint_store import load_voiceprint
from assets.common.warehouse import ensure_table
from assets.recordings.ingest import ingest_landed_call
from assets.recordings.landing import list_landed_calls
from assets.recordings.probe import read_audio
from assets.recordings.samples.mono_calls import mono_case, render_mono_call
from tests.support.calls import DAY, land, metadata, wav

KEYS = ["call_id", "call_date", "recording_mode", "agent_channel", "object_key"]
KEYS += ["duration_s", "agent_id"]


@pytest.fixture(scope="module")
def call():
    return render_mono_call(mono_case("ahead", "f2", ["m3"], turns=6))


def _ingest(store, con, policy, call_id, audio, rate, meta) -> dict:
    land(store, call_id, wav(audio, rate), meta)
    for landed in list_landed_calls(store, DAY):
        done = ingest_landed_call(store, con, policy, landed)
        assert done.status == "ingested", done
    ensure_table(con, AGENT_AUDIO_TABLE, AGENT_AUDIO_SCHEMA)
    row = con.execute(
        f"select {', '.join(KEYS)} from raw.recordings where call_id = ?", [call_id]
    ).fetchone()
    return dict(zip(KEYS, row, strict=True))


def _isolation(con, call_id):
    return con.execute(
        "select status, confidence, evidence from raw.agent_isolation where call_id = ?",
        [call_id],
    ).fetchone()


def test_work_done_ahead_matches_work_done_in_place(local_store, catalog, policy, call):
    track = _ingest(
        local_store,
        catalog,
        policy,
        "ao-1",
        call.enrolment,
        call.enrolment_rate,
        metadata("ao-1", mode="agent_only"),
    )
    mono = _ingest(
        local_store,
        catalog,
        policy,
        "mono-1",
        call.samples,
        call.rate,
        metadata("mono-1", mode="mono"),
    )
    settings = iso.IsolationSettings()
    with Ahead(local_store, workers=2) as ahead:
        ahead.plan_enrolment(track, enrols=True)
        ahead.turn(track["object_key"])
        enrolled = process_recording(local_store, catalog, policy, track, work=ahead)
        assert "enrolled" in enrolled.note
        voiceprint = load_voiceprint(local_store, catalog, "agent-test")
        ahead.plan_isolation(mono, voiceprint, settings)
        ahead.turn(mono["object_key"])
        done = process_recording(local_store, catalog, policy, mono, settings=settings, work=ahead)
    # The same enrolment and isolation computed in place, one at a time.
    # (from the landed files: 16-bit WAV)
    landed = read_audio(wav(call.enrolment, call.enrolment_rate))
    in_place = enrol(*landed, LazyEncoder()).embedding
    assert float(np.dot(in_place, voiceprint)) > 0.99999
    expected = iso.isolate(*read_audio(wav(call.samples, call.rate)), voiceprint, settings=settings)
    assert done.status == expected.status == iso.ISOLATED and done.customer_audio_deleted
    status, confidence, _ = _isolation(catalog, "mono-1")
    assert status == expected.status
    assert confidence == pytest.approx(expected.confidence, abs=1e-4)
    segments = catalog.execute(
        "select start_s, end_s, role from raw.agent_segments where call_id = 'mono-1' "
        "order by start_s"
    ).fetchall()
    assert [(round(a, 2), round(b, 2), r) for a, b, r in segments] == [
        (round(x.start, 2), round(x.end, 2), x.role) for x in expected.segments
    ]


def test_a_result_planned_with_another_voiceprint_is_not_used(local_store, call):
    ahead = Ahead(local_store, workers=1)
    stale = np.ones(192, np.float32) / np.sqrt(192)
    recording = {"object_key": "raw/x.wav", "recording_mode": "mono"}
    ahead._voiceprints["raw/x.wav"] = stale
    sentinel = object()
    ahead._started["raw/x.wav"] = _Done((call.samples, call.rate, sentinel))
    assert ahead.audio(local_store, recording["object_key"])[1] == call.rate
    same = ahead.isolation("raw/x.wav", call.samples, call.rate, stale.copy(), None)
    assert same is sentinel
    # Another voiceprint (the agent enrolled again since): computed in place, not the stale one.
    other = ahead.isolation("raw/x.wav", call.samples, call.rate, None, None)
    assert other is not sentinel and other.status == iso.NO_VOICEPRINT


class _Done:
    def __init__(self, value):
        self._value = value

    def result(self):
        return self._value
