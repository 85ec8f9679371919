"""The one daily partition on call date, shared by the Python assets and dbt."""

from __future__ import annotations

import warnings
from datetime import date

import dagster as dg

from assets.common.settings import CALL_TIMEZONE

# Single-run backfills are marked beta in Dagster; every lydspor asset relies on them deliberately.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`")

call_date_partitions = dg.DailyPartitionsDefinition(
    start_date="2026-01-01", timezone=str(CALL_TIMEZONE), end_offset=1
)


def window_dates(context: dg.AssetExecutionContext) -> tuple[date, date]:
    """The half-open call-date window [start, end) a run covers (one day, or a backfill range)."""
    window = context.partition_time_window
    return window.start.date(), window.end.date()


def dbt_window_vars(context: dg.AssetExecutionContext) -> dict[str, str]:
    start, end = window_dates(context)
    return {"min_call_date": start.isoformat(), "max_call_date": end.isoformat()}
