"""Shards of a call date: a stable, balanced hash of the call id, and partitions that are
today's daily ones unless ``LYDSPOR_SHARDS`` asks for more."""

from __future__ import annotations

import hashlib
import random
import string
from collections import Counter
from datetime import date

import dagster as dg
import pytest

from assets.common.partitions import (
    SHARD_BACKFILL_BATCH,
    call_date_partitions,
    day_partition_keys,
    run_dates,
    sharded_backfill_policy,
    sharded_partitions,
)
from assets.common.shards import MAX_SHARDS, shard_count, shard_keys, shard_of


def random_ids(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "-_"
    return ["".join(rng.choices(alphabet, k=rng.randint(6, 40))) for _ in range(n)]


def test_shard_is_the_first_eight_bytes_of_sha256_modulo_the_count():
    # An independent reading of the rule: hex digits instead of bytes.
    for call_id in [*random_ids(500, 1), "call-20261102-001", "ÆØÅ-1"]:
        for shards in (1, 2, 3, 4, 7, 16):
            want = int(hashlib.sha256(call_id.encode()).hexdigest()[:16], 16) % shards
            assert shard_of(call_id, shards) == want


def test_shard_is_stable_across_processes():
    # Python's own hash() is salted per process; the shard must not be.
    import subprocess
    import sys

    ids = random_ids(50, 2)
    code = (
        "import sys; from assets.common.shards import shard_of; "
        "print(','.join(str(shard_of(i, 8)) for i in sys.argv[1:]))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code, *ids],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("1", "2")
    }
    assert outs == {",".join(str(shard_of(i, 8)) for i in ids) + "\n"}


@pytest.mark.parametrize("shards", [2, 4, 16])
@pytest.mark.parametrize("ids", ["random", "sequential"])
def test_shards_are_balanced(shards, ids):
    calls = (
        random_ids(20_000, shards)
        if ids == "random"
        else [f"call-20261102-{k:05d}" for k in range(20_000)]
    )
    counts = Counter(shard_of(c, shards) for c in calls)
    expected = len(calls) / shards
    assert set(counts) == set(range(shards))
    # Pearson's chi-square against uniform, under its 0.1 % critical value (df <= 15: < 38).
    chi2 = sum((counts[s] - expected) ** 2 / expected for s in range(shards))
    assert chi2 < 38, counts


def test_one_shard_is_exactly_the_daily_layout():
    assert sharded_partitions(1) is call_date_partitions
    assert sharded_backfill_policy(1) == dg.BackfillPolicy.single_run()
    assert day_partition_keys("2026-11-02", 1) == ["2026-11-02"]
    assert shard_count({}) == shard_count({"LYDSPOR_SHARDS": " "}) == 1


def test_four_shards_are_call_date_times_shard():
    partitions = sharded_partitions(4)
    assert isinstance(partitions, dg.MultiPartitionsDefinition)
    assert partitions.get_partitions_def_for_dimension("date") == call_date_partitions
    assert partitions.get_partitions_def_for_dimension("shard").get_partition_keys() == shard_keys(
        4
    )
    keys = day_partition_keys("2026-11-02", 4)
    assert len(keys) == 4 and all(partitions.has_partition_key(k) for k in keys)
    assert {partitions.get_partition_key_from_str(k).keys_by_dimension["shard"] for k in keys} == {
        "0",
        "1",
        "2",
        "3",
    }
    policy = sharded_backfill_policy(4)
    assert policy.max_partitions_per_run == SHARD_BACKFILL_BATCH


def test_run_dates_from_one_partition_or_a_range():
    assert run_dates({"dagster/partition": "2026-11-02|1", "dagster/partition/date": "2026-11-02"})
    assert run_dates({"dagster/partition/date": "2026-11-02"}) == ["2026-11-02"]
    assert run_dates(
        {
            "dagster/asset_partition_range_start": "2026-10-31|0",
            "dagster/asset_partition_range_end": "2026-11-02|3",
        }
    ) == [date(2026, 10, 31).isoformat(), "2026-11-01", "2026-11-02"]
    assert run_dates({}) == []


@pytest.mark.parametrize("value", ["0", "-1", "four", "2.5", str(MAX_SHARDS + 1)])
def test_a_bad_shard_count_is_refused(value):
    with pytest.raises(ValueError, match="LYDSPOR_SHARDS"):
        shard_count({"LYDSPOR_SHARDS": value})
