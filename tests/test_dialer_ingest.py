"""Dialer exports and generic manifests flow through ingest like canonical sidecars."""

from __future__ import annotations

from pathlib import Path

from assets.recordings.ingest import ingest_day
from tests.support.calls import DAY, stereo, wav

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "dialers"


def test_every_dialer_sample_export_is_ingested(local_store, catalog, policy):
    freq = 250
    for export in sorted(SAMPLES.glob("*/*.*.json")):
        stem = export.name.split(".")[0]
        local_store.put_bytes(f"landing/{DAY}/{export.name}", export.read_bytes())
        local_store.put_bytes(f"landing/{DAY}/{stem}.wav", wav(stereo(freq, freq * 3)))
        freq += 20
    outcomes = {o.stem: o for o in ingest_day(local_store, catalog, policy, DAY)}
    assert len(outcomes) == 5
    assert {o.status for o in outcomes.values()} == {"ingested"}, outcomes
    dialers = {r[0] for r in catalog.execute("select dialer from raw.recordings").fetchall()}
    assert dialers == {"adversus", "genesys", "leaddesk", "dialfire", "leocall"}


def test_manifest_calls_are_ingested_and_the_manifest_released(local_store, catalog, policy):
    manifest = SAMPLES / "generic" / "manifest.csv"
    local_store.put_bytes(f"landing/{DAY}/manifest.csv", manifest.read_bytes())
    local_store.put_bytes(f"landing/{DAY}/call-gen-003.wav", wav(stereo(310, 900)))
    local_store.put_bytes(f"landing/{DAY}/call-gen-005.wav", wav(stereo(420, 1000)))
    first = ingest_day(local_store, catalog, policy, DAY)
    assert sorted(o.status for o in first) == ["ingested", "ingested"], first
    # call-gen-004.mp3 has not arrived yet: the manifest stays until it has.
    assert local_store.stat(f"landing/{DAY}/manifest.csv") is not None
    local_store.put_bytes(f"landing/{DAY}/call-gen-004.mp3", b"ID3 but not really an mp3")
    second = ingest_day(local_store, catalog, policy, DAY)
    assert [o.status for o in second] == ["quarantined"]
    assert local_store.stat(f"landing/{DAY}/manifest.csv") is None
    reason = catalog.execute(
        "select deletion_reason from raw.stored_objects where object_key = ?",
        [f"landing/{DAY}/manifest.csv"],
    ).fetchone()[0]
    assert "all 3 calls" in reason


def test_broken_manifest_is_quarantined_alone(local_store, catalog, policy):
    local_store.put_bytes(f"landing/{DAY}/manifest.csv", b"audio_file,nonsense_column\nx.wav,1\n")
    outcomes = ingest_day(local_store, catalog, policy, DAY)
    assert [o.status for o in outcomes] == ["quarantined"]
    assert "nonsense_column" in outcomes[0].reason


def test_manifest_whose_audio_never_arrives_is_quarantined(local_store, catalog, policy):
    from datetime import UTC, datetime, timedelta

    manifest = SAMPLES / "generic" / "manifest.csv"
    local_store.put_bytes(f"landing/{DAY}/manifest.csv", manifest.read_bytes())
    local_store.put_bytes(f"landing/{DAY}/call-gen-003.wav", wav(stereo(310, 900)))
    ingest_day(local_store, catalog, policy, DAY)
    later = datetime.now(UTC) + timedelta(hours=2)
    outcomes = ingest_day(local_store, catalog, policy, DAY, now=later)
    assert [o.status for o in outcomes] == ["quarantined"]
    assert "call-gen-004.mp3" in outcomes[0].reason and "call-gen-005.wav" in outcomes[0].reason
    assert list(local_store.list("landing/")) == []
