"""The daily partition on call date, shared by the Python assets and dbt, and the sharded
partitions of the heavy assets (call date x shard, ``assets/common/shards.py``).

- ``SHARD_BACKFILL_BATCH``: with ``LYDSPOR_SHARDS`` above 1, the most (call date, shard)
  partitions one run of a backfill takes; a backfill of D days over N shards is
  ceil(D x N / batch) runs, which the run queue and the ``warehouse`` pool then spread.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import dagster as dg
import polars as pl

from assets.common.concurrency import WAREHOUSE_POOL
from assets.common.settings import CALL_TIMEZONE
from assets.common.shards import (
    DATE_DIMENSION,
    SHARD_DIMENSION,
    shard_count,
    shard_keys,
    shard_of,
)

# Single-run backfills are marked beta in Dagster; every lydspor asset relies on them deliberately.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`")

call_date_partitions = dg.DailyPartitionsDefinition(
    start_date="2026-01-01", timezone=str(CALL_TIMEZONE), end_offset=1
)

SHARD_BACKFILL_BATCH = 8
#: ``LYDSPOR_SHARDS``, read once when the code location loads.
SHARDS = shard_count()


def sharded_partitions(shards: int) -> dg.PartitionsDefinition:
    """The heavy assets' partitions: the daily ones themselves for one shard (today's layout,
    unchanged), else call date x shard."""
    if shards == 1:
        return call_date_partitions
    return dg.MultiPartitionsDefinition(
        {
            DATE_DIMENSION: call_date_partitions,
            SHARD_DIMENSION: dg.StaticPartitionsDefinition(shard_keys(shards)),
        }
    )


def sharded_backfill_policy(shards: int) -> dg.BackfillPolicy:
    """One run per backfill unsharded (as today); bounded batches of partitions when sharded."""
    if shards == 1:
        return dg.BackfillPolicy.single_run()
    return dg.BackfillPolicy.multi_run(max_partitions_per_run=SHARD_BACKFILL_BATCH)


call_shard_partitions = sharded_partitions(SHARDS)
shard_backfill_policy = sharded_backfill_policy(SHARDS)

#: The partitions of every heavy per-call asset: call date (by shard), with their backfill
#: batches. A graph-backed one (transcripts) takes these and puts the pool on its ops.
HEAVY_PARTITIONS: dict[str, Any] = {
    "partitions_def": call_shard_partitions,
    "backfill_policy": shard_backfill_policy,
}

#: What every heavy single-step asset (ingest, consent, agent audio) spreads into its
#: ``@dg.asset``: ``HEAVY_PARTITIONS`` and the warehouse pool, because the step writes the
#: catalogue.
HEAVY_STEP: dict[str, Any] = {"pool": WAREHOUSE_POOL, **HEAVY_PARTITIONS}


def run_shards(context: dg.AssetExecutionContext) -> set[tuple[date, int]] | None:
    """The (call date, shard) pairs a sharded run covers; None for a daily run (all calls)."""
    partitions_def = context.assets_def.partitions_def
    if not isinstance(partitions_def, dg.MultiPartitionsDefinition):
        return None
    pairs = set()
    for key in context.partition_keys:
        dims = partitions_def.get_partition_key_from_str(key).keys_by_dimension
        pairs.add((date.fromisoformat(dims[DATE_DIMENSION]), int(dims[SHARD_DIMENSION])))
    return pairs


def _shard_count(context: dg.AssetExecutionContext) -> int:
    partitions_def = context.assets_def.partitions_def
    assert isinstance(partitions_def, dg.MultiPartitionsDefinition)
    return len(
        partitions_def.get_partitions_def_for_dimension(SHARD_DIMENSION).get_partition_keys()
    )


def window_dates(context: dg.AssetExecutionContext) -> tuple[date, date]:
    """The half-open call-date window [start, end) a run covers (one day, or a backfill range)."""
    pairs = run_shards(context)
    if pairs is not None:
        days = sorted(day for day, _ in pairs)
        return days[0], days[-1] + timedelta(days=1)
    window = context.partition_time_window
    return window.start.date(), window.end.date()


def in_run_shards(context: dg.AssetExecutionContext, calls: Any) -> Any:
    """The calls (a polars frame, or a list of dicts, with ``call_id`` and ``call_date``) of the
    run's shards, in their order; all of them for a daily run."""
    pairs = run_shards(context)
    if pairs is None:
        return calls
    shards = _shard_count(context)

    def mine(row: dict) -> bool:
        return (row["call_date"], shard_of(row["call_id"], shards)) in pairs

    if isinstance(calls, list):
        return [row for row in calls if mine(row)]
    return calls.filter(
        pl.Series([mine(row) for row in calls.iter_rows(named=True)], dtype=pl.Boolean)
    )


def landing_shard(context: dg.AssetExecutionContext, day: date) -> Callable[[str], bool] | None:
    """Which landed calls of ``day`` (by file stem, the only name a call has before it is read)
    the run ingests and releases; None for a daily run (all of them)."""
    pairs = run_shards(context)
    if pairs is None:
        return None
    shards = _shard_count(context)
    return lambda stem: (day, shard_of(stem, shards)) in pairs


def dbt_window_vars(context: dg.AssetExecutionContext) -> dict[str, str]:
    start, end = window_dates(context)
    return {"min_call_date": start.isoformat(), "max_call_date": end.isoformat()}


def run_window_vars(tags: dict[str, str]) -> dict[str, str] | None:
    """``dbt_window_vars`` of a daily run, read from its tags before any step starts; None
    when the tags name no call date."""
    dates = run_dates(tags)
    if not dates:
        return None
    end = date.fromisoformat(dates[-1]) + timedelta(days=1)
    return {"min_call_date": dates[0], "max_call_date": end.isoformat()}


def day_partition_keys(day: str, shards: int = SHARDS) -> list[str]:
    """The heavy assets' partition keys of one call date: the date itself unsharded, else one
    key per shard."""
    if shards == 1:
        return [day]
    return [
        dg.MultiPartitionKey({DATE_DIMENSION: day, SHARD_DIMENSION: shard})
        for shard in shard_keys(shards)
    ]


def run_dates(tags: dict[str, str]) -> list[str]:
    """The call dates a run of the heavy assets covered, from its tags (one partition, or a
    backfill's range of them)."""
    if f"dagster/partition/{DATE_DIMENSION}" in tags:
        return [tags[f"dagster/partition/{DATE_DIMENSION}"]]
    first = tags.get("dagster/asset_partition_range_start") or tags.get("dagster/partition")
    last = tags.get("dagster/asset_partition_range_end") or first
    if first is None or last is None:
        return []
    start, end = (date.fromisoformat(key.split("|")[0]) for key in (first, last))
    return [(start + timedelta(days=k)).isoformat() for k in range((end - start).days + 1)]
