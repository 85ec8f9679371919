"""A shard's ingest takes and releases only its own landed calls; a manifest naming calls of
several shards leaves the landing area only once all of them are in, and only a shard whose own
audio never arrived quarantines it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from assets.common.shards import shard_of
from assets.recordings.ingest import ingest_day
from tests.support.calls import DAY, stereo, wav

MANIFEST = Path(__file__).resolve().parents[2] / "data" / "dialers" / "generic" / "manifest.csv"
#: call-gen-003, -004 and -005 fall in three different shards of five.
SHARDS = 5
STEMS = ["call-gen-003", "call-gen-004", "call-gen-005"]


def keep(shard: int):
    return lambda stem: shard_of(stem, SHARDS) == shard


def landed(store) -> set[str]:
    return {o.key.rsplit("/", 1)[-1] for o in store.list(f"landing/{DAY}/")}


def test_the_stems_are_in_different_shards():
    assert len({shard_of(stem, SHARDS) for stem in STEMS}) == len(STEMS)


def test_each_shard_ingests_and_releases_only_its_calls(local_store, catalog, policy):
    local_store.put_bytes(f"landing/{DAY}/manifest.csv", MANIFEST.read_bytes())
    local_store.put_bytes(f"landing/{DAY}/call-gen-003.wav", wav(stereo(310, 900)))
    local_store.put_bytes(f"landing/{DAY}/call-gen-004.mp3", b"ID3 but not really an mp3")
    local_store.put_bytes(f"landing/{DAY}/call-gen-005.wav", wav(stereo(420, 1000)))
    files = {"call-gen-003": "call-gen-003.wav", "call-gen-004": "call-gen-004.mp3"}
    files["call-gen-005"] = "call-gen-005.wav"
    done: list[str] = []
    order = sorted({shard_of(stem, SHARDS) for stem in STEMS})
    for shard in range(SHARDS):
        before = landed(local_store)
        outcomes = ingest_day(local_store, catalog, policy, DAY, keep=keep(shard))
        mine = [stem for stem in STEMS if shard_of(stem, SHARDS) == shard]
        assert sorted(o.stem for o in outcomes) == mine
        done += mine
        released = before - landed(local_store)
        want = {files[stem] for stem in mine}
        if shard == order[-1]:
            want.add("manifest.csv")  # the last of its calls is in
        assert released == want, shard
    assert sorted(done) == STEMS
    assert landed(local_store) == set()
    statuses = dict(
        catalog.execute("select call_id, count(*) from raw.recordings group by 1").fetchall()
    )
    assert set(statuses.values()) == {1}


def test_only_a_shard_missing_its_own_audio_quarantines_the_manifest(local_store, catalog, policy):
    local_store.put_bytes(f"landing/{DAY}/manifest.csv", MANIFEST.read_bytes())
    local_store.put_bytes(f"landing/{DAY}/call-gen-003.wav", wav(stereo(310, 900)))
    later = datetime.now(UTC) + timedelta(hours=2)
    present = shard_of("call-gen-003", SHARDS)
    empty = next(s for s in range(SHARDS) if s not in {shard_of(x, SHARDS) for x in STEMS})
    for shard in (present, empty):
        outcomes = ingest_day(local_store, catalog, policy, DAY, now=later, keep=keep(shard))
        assert all(o.status != "quarantined" for o in outcomes), outcomes
        assert "manifest.csv" in landed(local_store)
    missing = shard_of("call-gen-004", SHARDS)
    outcomes = ingest_day(local_store, catalog, policy, DAY, now=later, keep=keep(missing))
    assert [o.status for o in outcomes] == ["quarantined"]
    assert landed(local_store) == set()
