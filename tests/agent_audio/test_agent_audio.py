"""Agent audio: the right channel is kept; the customer's voice goes unless consent keeps it."""

from __future__ import annotations

import numpy as np
import pytest

from assets.agent_audio.extract import (
    AGENT_AUDIO_SCHEMA,
    AGENT_AUDIO_TABLE,
    process_recording,
)
from assets.common.warehouse import ensure_table
from assets.recordings.ingest import ingest_landed_call
from assets.recordings.landing import list_landed_calls
from assets.recordings.probe import read_audio
from assets.retention import audit
from assets.retention.holds import place_hold, release_hold
from tests.support.calls import CONSENT, DAY, land, metadata, stereo, tone, wav


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[spectrum.argmax()])


def ingest_and_process(store, con, policy, call_id, audio, meta, before=None):
    land(store, call_id, audio, meta)
    for call in list_landed_calls(store, DAY):
        assert ingest_landed_call(store, con, policy, call).status == "ingested"
    ensure_table(con, AGENT_AUDIO_TABLE, AGENT_AUDIO_SCHEMA)
    if before:
        before()
    recording = con.execute(
        "select call_id, call_date, recording_mode, agent_channel, object_key, duration_s "
        "from raw.recordings where call_id = ?",
        [call_id],
    ).fetchone()
    keys = ["call_id", "call_date", "recording_mode", "agent_channel", "object_key", "duration_s"]
    return process_recording(store, con, policy, dict(zip(keys, recording, strict=True)))


@pytest.mark.parametrize("agent_channel", [0, 1])
def test_stereo_outbound_keeps_agent_channel_and_deletes_customer_voice(
    local_store, catalog, policy, agent_channel
):
    audio = wav(stereo(agent_freq=300, customer_freq=900, agent_channel=agent_channel))
    meta = metadata("out-1", agent_channel=agent_channel)
    result = ingest_and_process(local_store, catalog, policy, "out-1", audio, meta)
    assert result.status == "extracted" and result.customer_audio_deleted
    samples, rate = read_audio(local_store.get_bytes(result.agent_key))
    assert samples.shape[1] == 1
    assert dominant_hz(samples[:, 0], rate) == pytest.approx(300, abs=2)
    raw_key = f"raw/{DAY}/out-1/recording.wav"
    assert local_store.stat(raw_key) is None
    receipt = catalog.execute(
        "select verified_absent, reason from raw.deletion_receipts where object_key = ?", [raw_key]
    ).fetchone()
    assert receipt[0] is True and "agent's channel was written" in receipt[1]


def test_stereo_inbound_with_consent_keeps_customer_voice(local_store, catalog, policy):
    meta = metadata("in-1", direction="inbound", consent=CONSENT)
    result = ingest_and_process(local_store, catalog, policy, "in-1", wav(stereo()), meta)
    assert result.status == "extracted" and not result.customer_audio_deleted
    assert local_store.stat(f"raw/{DAY}/in-1/recording.wav") is not None


def test_stereo_inbound_without_consent_deletes_customer_voice(local_store, catalog, policy):
    meta = metadata("in-2", direction="inbound", consent={**CONSENT, "given": False})
    result = ingest_and_process(local_store, catalog, policy, "in-2", wav(stereo()), meta)
    assert result.customer_audio_deleted
    assert local_store.stat(f"raw/{DAY}/in-2/recording.wav") is None


def test_agent_only_passes_through(local_store, catalog, policy):
    meta = metadata("ao-1", mode="agent_only")
    result = ingest_and_process(local_store, catalog, policy, "ao-1", wav(tone(300)), meta)
    assert result.status == "passthrough"
    assert result.agent_key == f"raw/{DAY}/ao-1/recording.wav"
    assert local_store.stat(result.agent_key) is not None


def test_mono_without_speech_keeps_nothing_and_its_customer_voice_goes(
    local_store, catalog, policy
):
    meta = metadata("mono-1", mode="mono")
    mixed = tone(300) + tone(900)
    result = ingest_and_process(local_store, catalog, policy, "mono-1", wav(mixed), meta)
    # Tones are not speech: nothing to isolate, nothing kept.
    assert result.status == "isolation_no_speech" and result.agent_key is None
    assert result.customer_audio_deleted
    assert local_store.stat(f"raw/{DAY}/mono-1/recording.wav") is None


def test_reprocessing_is_idempotent(local_store, catalog, policy):
    meta = metadata("out-2")
    first = ingest_and_process(local_store, catalog, policy, "out-2", wav(stereo()), meta)
    catalog.execute(
        f"insert into {AGENT_AUDIO_TABLE} values (?, ?, ?, ?, ?, ?, ?, now())",
        ["out-2", DAY, first.status, first.agent_key, "x", first.duration_s, True],
    )
    recording = dict(
        call_id="out-2",
        call_date=DAY,
        recording_mode="stereo",
        agent_channel=0,
        object_key=f"raw/{DAY}/out-2/recording.wav",
        duration_s=2.0,
    )
    again = process_recording(local_store, catalog, policy, recording)
    assert again.status == "extracted" and again.agent_key == first.agent_key
    assert (
        catalog.execute(
            "select count(*) from raw.deletion_receipts where object_key = ?",
            [recording["object_key"]],
        ).fetchone()[0]
        == 1
    )


@pytest.mark.parametrize("scope,subject", [("call", "held-1"), ("agent", "agent-test")])
def test_extraction_keeps_customer_voice_under_hold_and_audits_it(
    local_store, catalog, policy, scope, subject
):
    raw_key = f"raw/{DAY}/held-1/recording.wav"
    meta = metadata("held-1")  # outbound: the customer's voice would go at once
    holds = []
    result = ingest_and_process(
        local_store, catalog, policy, "held-1", wav(stereo()), meta,
        before=lambda: holds.append(place_hold(catalog, scope, subject, "dispute", "legal")),
    )  # fmt: skip
    assert result.status == "extracted" and result.agent_key is not None
    assert not result.customer_audio_deleted and local_store.stat(raw_key) is not None
    assert result.hold_conflict == (holds[0].hold_id,)
    assert "legal hold" in result.note
    (conflict,) = [e for e in audit.entries(catalog) if e.action == "hold_conflict"]
    assert conflict.subject == raw_key and conflict.call_id == "held-1"
    assert conflict.details["holds"] == [holds[0].hold_id]
    assert conflict.details["object_class"] == "customer_audio"
    recording = dict(
        call_id="held-1",
        call_date=DAY,
        recording_mode="stereo",
        agent_channel=0,
        object_key=raw_key,
        duration_s=2.0,
    )
    # The rerun meets the same hold: still kept, not audited twice.
    assert not process_recording(local_store, catalog, policy, recording).customer_audio_deleted
    assert [e.action for e in audit.entries(catalog)].count("hold_conflict") == 1
    release_hold(catalog, holds[0].hold_id, "legal", "settled")
    assert process_recording(local_store, catalog, policy, recording).customer_audio_deleted
    assert local_store.stat(raw_key) is None
