"""Dialer exports and generic manifests flow through ingest like canonical sidecars."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assets.common.lake import warehouse_from_environment
from assets.recordings.dialers import SUPPORTED_DIALERS, parse_metadata, split_metadata_name
from assets.recordings.ingest import ingest_day
from assets.recordings.metadata import CallMetadata, RecordingMode
from assets.recordings.samples import generate_sample_calls
from lydspor.demo import summarise
from tests.support.calls import DAY, stereo, tone, wav

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "dialers"


def test_every_dialer_sample_export_is_ingested(local_store, catalog, policy):
    freq = 250
    for export in sorted(SAMPLES.glob("*/*.*.json")):
        stem, dialer = split_metadata_name(export.name)
        # The tenant's defaults say how each dialer records (Adversus: the agent only).
        mode = parse_metadata(export.name, export.read_bytes(), policy.dialer_defaults(dialer))
        audio = (
            stereo(freq, freq * 3) if mode.recording_mode is RecordingMode.STEREO else tone(freq)
        )
        local_store.put_bytes(f"landing/{DAY}/{export.name}", export.read_bytes())
        local_store.put_bytes(f"landing/{DAY}/{stem}.wav", wav(audio))
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


@pytest.fixture(scope="module")
def demo_calls(tmp_path_factory):
    return generate_sample_calls(tmp_path_factory.mktemp("demo-calls"))


def test_demo_landing_holds_every_format_and_ingests_to_the_same_calls(
    demo_calls, local_store, catalog, policy
):
    """The demo's sample calls land in every dialer's export, the generic manifest and the
    canonical record; ingest makes of each exactly the record the canonical format holds."""
    root = demo_calls[0].audio_path.parent.parent
    for path in sorted(root.rglob("*.*")):
        local_store.put_bytes(f"landing/{path.relative_to(root).as_posix()}", path.read_bytes())
    names = [obj.key.rsplit("/", 1)[1] for obj in local_store.list("landing/")]
    formats = {name.split(".")[-2] for name in names if name.endswith(".json")}
    assert set(SUPPORTED_DIALERS) <= formats and "manifest.csv" in names
    outcomes = []
    for day in sorted({call.call_date for call in demo_calls}):
        outcomes += ingest_day(local_store, catalog, policy, day)
    assert sorted(o.status for o in outcomes) == ["ingested"] * 12, outcomes
    assert list(local_store.list("landing/")) == []  # every file released, manifest included
    stored = {
        call_id: CallMetadata.model_validate(json.loads(record))
        for call_id, record in catalog.execute(
            "select call_id, metadata_json from raw.recordings"
        ).fetchall()
    }
    assert stored == {call.call_id: call.metadata for call in demo_calls}
    dialers = {
        r[0] for r in catalog.execute("select distinct dialer from raw.recordings").fetchall()
    }
    assert dialers == {*SUPPORTED_DIALERS, "generic"}
    days = sorted({call.call_date for call in demo_calls})
    summary = summarise(warehouse_from_environment(), days[0], days[-1])
    assert summary.dialers == tuple(sorted(dialers)) and summary.calls == 12
