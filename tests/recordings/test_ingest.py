"""Ingest: good calls are catalogued; bad ones are quarantined with a reason, nothing is lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assets.recordings.ingest import ingest_landed_call
from assets.recordings.landing import list_landed_calls
from tests.support.calls import DAY, land, metadata, stereo, tone, wav


def ingest_all(store, con, policy, now=None):
    return {
        call.stem: ingest_landed_call(store, con, policy, call, now)
        for call in list_landed_calls(store, DAY)
    }


def test_good_call_is_stored_hashed_probed_and_catalogued(local_store, catalog, policy):
    audio = wav(stereo())
    land(local_store, "call-1", audio, metadata("call-1"))
    outcome = ingest_all(local_store, catalog, policy)["call-1"]
    assert outcome.status == "ingested" and outcome.duration_s == pytest.approx(2.0)
    row = catalog.execute(
        "select object_key, channels, sample_rate, recording_mode from raw.recordings"
    ).fetchone()
    assert row == (f"raw/{DAY}/call-1/recording.wav", 2, 16000, "stereo")
    assert local_store.get_bytes(row[0]) == audio
    # The landing copy is gone, with a receipt saying where its content went.
    assert list(local_store.list("landing/")) == []
    reasons = [r[0] for r in catalog.execute("select reason from raw.deletion_receipts").fetchall()]
    assert all(r.startswith(f"moved to raw/{DAY}/call-1") for r in reasons) and len(reasons) == 2
    ledger = catalog.execute(
        "select object_class, legal_basis from raw.stored_objects where kind = 'raw_recording'"
    ).fetchone()
    assert ledger == ("customer_audio", "legitimate_interest_temporary")


BAD_INPUTS = {
    "empty": (b"", metadata("empty", mode="agent_only"), "empty file"),
    "notaudio": (
        b"<html>not a wav</html>",
        metadata("notaudio", mode="agent_only"),
        "not a readable",
    ),
    "truncated": (
        wav(tone(300, 4.0))[:20000],
        metadata("truncated", mode="agent_only"),
        "truncated",
    ),
    "wrongchannels": (wav(tone(310)), metadata("wrongchannels", mode="stereo"), "needs 2 channel"),
    "nofield": (
        wav(tone(347)),
        {k: v for k, v in metadata("nofield", mode="agent_only").items() if k != "agent_id"},
        "agent_id",
    ),
    "badtype": (
        wav(tone(384)),
        metadata("badtype", mode="agent_only", agent_channel="left"),
        "agent_channel",
    ),
    "otherday": (
        wav(tone(421)),
        metadata(
            "otherday",
            mode="agent_only",
            started_at="2026-11-05T10:00:00+01:00",
            ended_at="2026-11-05T10:01:00+01:00",
        ),
        "does not match landing folder",
    ),
    "wrongid": (
        wav(tone(458)),
        metadata("someone-else", mode="agent_only"),
        "does not match file name",
    ),
    "brokenjson": (wav(tone(495)), "{not json", "metadata invalid"),
}


def test_bad_inputs_are_quarantined_and_the_batch_goes_on(local_store, catalog, policy):
    for stem, (audio, meta, _) in BAD_INPUTS.items():
        land(local_store, stem, audio, meta)
    land(local_store, "good", wav(tone(300)), metadata("good", mode="agent_only"))
    outcomes = ingest_all(local_store, catalog, policy)
    assert outcomes["good"].status == "ingested"
    for stem, (_, _, reason) in BAD_INPUTS.items():
        assert outcomes[stem].status == "quarantined", stem
        assert reason in outcomes[stem].reason, (stem, outcomes[stem].reason)
    # Every bad file is kept in quarantine, byte for byte, with its reason in the table.
    rows = catalog.execute("select stem, quarantine_key, reason from raw.quarantine").fetchall()
    assert {r[0] for r in rows} == set(BAD_INPUTS)
    for _, key, _ in rows:
        assert local_store.stat(key) is not None
    assert list(local_store.list("landing/")) == []


def test_duplicate_upload_is_recognised_by_content(local_store, catalog, policy):
    audio, meta = wav(tone(300)), metadata("dup", mode="agent_only")
    land(local_store, "dup", audio, meta)
    assert ingest_all(local_store, catalog, policy)["dup"].status == "ingested"
    land(local_store, "dup", audio, meta)
    assert ingest_all(local_store, catalog, policy)["dup"].status == "duplicate"
    assert catalog.execute("select count(*) from raw.recordings").fetchone()[0] == 1


def test_same_audio_under_another_call_id_is_quarantined(local_store, catalog, policy):
    audio = wav(tone(300))
    land(local_store, "first", audio, metadata("first", mode="agent_only"))
    land(local_store, "second", audio, metadata("second", mode="agent_only"))
    outcomes = ingest_all(local_store, catalog, policy)
    assert outcomes["first"].status == "ingested"
    assert outcomes["second"].status == "quarantined"
    assert "identical to call 'first'" in outcomes["second"].reason


def test_incomplete_upload_waits_then_is_quarantined(local_store, catalog, policy):
    land(local_store, "half", wav(tone(300)), None)
    assert ingest_all(local_store, catalog, policy)["half"].status == "waiting"
    later = datetime.now(UTC) + timedelta(hours=2)
    outcome = ingest_all(local_store, catalog, policy, now=later)["half"]
    assert outcome.status == "quarantined" and "no metadata" in outcome.reason


def test_malformed_consent_record_is_quarantined_with_the_field_named(local_store, catalog, policy):
    meta = metadata("badconsent", direction="inbound", consent={"mechanism": "smoke-signal"})
    land(local_store, "badconsent", wav(tone(777)), meta)
    outcome = ingest_all(local_store, catalog, policy)["badconsent"]
    assert outcome.status == "quarantined"
    assert "consent.mechanism" in outcome.reason and "consent.given" in outcome.reason
    assert catalog.execute("select count(*) from raw.quarantine").fetchone()[0] == 2


def test_malformed_policy_stops_the_run_and_deletes_nothing(lydspor_state, tmp_path, monkeypatch):
    import os
    from pathlib import Path

    import dagster as dg

    from assets.common.storage import LocalObjectStore
    from lydspor.demo import run_call_pipeline

    bad = tmp_path / "policy.yaml"
    bad.write_text(
        "tenant: x\npurposes: {coaching: c}\ndefault_purposes: [coaching]\n"
        "windows:\n  customer_audio:\n    legitimate_interest_temporary: 30d\n"
    )
    monkeypatch.setenv("LYDSPOR_POLICY", str(bad))
    store = LocalObjectStore(Path(os.environ["LYDSPOR_STORE_ROOT"]), "lydspor")
    land(store, "out-1", wav(stereo()), metadata("out-1"))
    outcome = run_call_pipeline(DAY, DAY, instance=dg.DagsterInstance.ephemeral())
    assert not outcome.success and "raw_recordings" not in outcome.materialized
    assert "windows.customer_audio.legitimate_interest_temporary" in " ".join(outcome.errors)
    assert [o.key for o in store.list("")] == [
        f"landing/{DAY}/out-1.json",
        f"landing/{DAY}/out-1.wav",
    ]
