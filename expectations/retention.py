"""The compliance gate's suites: no customer audio alive past its deadline, every stored object
named with a basis, and nothing in the store the ledger cannot explain."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import polars as pl

from expectations.runner import build_suite

CUSTOMER_AUDIO_SUITE = "customer_audio_within_deadline"


def customer_audio_frame(
    retention_state: pl.DataFrame, now: datetime | None = None, held: set[str] = frozenset()
) -> pd.DataFrame:
    """Customer-audio objects still in the store, with whether each is past its deadline.

    An object in the store that the ledger does not know has no deadline: it counts as overdue.
    One of a call under legal hold (``held``) is kept lawfully: counted apart, not overdue.
    """
    now = now or datetime.now(UTC)
    # DuckDB hands back timestamps in its session zone; compare in UTC.
    retention_state = retention_state.with_columns(pl.col("deadline").dt.convert_time_zone("UTC"))
    alive = retention_state.filter(
        (pl.col("object_class") == "customer_audio")
        & pl.col("deleted_at").is_null()
        & pl.col("in_store")
    )
    overdue = pl.col("deadline").is_null() | (pl.col("deadline") < now)
    kept = pl.col("call_id").is_in(list(held)).fill_null(False) & pl.col("deadline").is_not_null()
    return (
        alive.with_columns(past_deadline=overdue & ~kept, held_past_deadline=overdue & kept)
        .select(
            "object_key",
            "call_id",
            "legal_basis",
            "deadline",
            "in_ledger",
            "past_deadline",
            "held_past_deadline",
        )
        .to_pandas()
    )


def customer_audio_suite():
    return build_suite(
        CUSTOMER_AUDIO_SUITE,
        lambda e: [
            e.ExpectColumnValuesToBeInSet(column="past_deadline", value_set=[False]),
            e.ExpectColumnValuesToNotBeNull(column="deadline"),
            e.ExpectColumnValuesToBeInSet(column="in_ledger", value_set=[True]),
            e.ExpectColumnValuesToNotBeNull(column="legal_basis"),
        ],
    )


BASIS_SUITE = "stored_objects_have_basis_and_purposes"


def ledger_objects_frame(retention_state: pl.DataFrame) -> pd.DataFrame:
    """Alive ledger objects with whether each names a basis and at least one purpose."""
    alive = retention_state.filter(pl.col("in_ledger") & pl.col("deleted_at").is_null())
    return (
        alive.with_columns(
            has_purposes=pl.col("purposes").list.len().fill_null(0) > 0,
        )
        .select("object_key", "object_class", "legal_basis", "has_purposes")
        .to_pandas()
    )


def basis_suite():
    return build_suite(
        BASIS_SUITE,
        lambda e: [
            e.ExpectColumnValuesToNotBeNull(column="legal_basis"),
            e.ExpectColumnValuesToNotBeInSet(column="legal_basis", value_set=[""]),
            e.ExpectColumnValuesToBeInSet(column="has_purposes", value_set=[True]),
        ],
    )


STORE_SUITE = "store_matches_ledger"


def store_objects_frame(
    retention_state: pl.DataFrame, now: datetime | None = None, held: set[str] = frozenset()
) -> pd.DataFrame:
    """Everything in the store, of any class, with the gate's three questions: is it explained
    (``blocking`` is the state's own verdict on its ``problem``: unknown to the ledger, a name
    the store cannot address, an interrupted write's leftover), was it deleted yet still here,
    and is it alive past its deadline (an unconfirmed intent included)."""
    now = now or datetime.now(UTC)
    state = retention_state.with_columns(pl.col("deadline").dt.convert_time_zone("UTC"))
    present = state.filter(pl.col("in_store"))
    overdue = pl.col("deleted_at").is_null() & (
        pl.col("deadline").is_null() | (pl.col("deadline") < now)
    )
    kept = pl.col("call_id").is_in(list(held)).fill_null(False) & pl.col("deadline").is_not_null()
    return (
        present.with_columns(
            known=~pl.col("blocking") | pl.col("deleted_at").is_not_null(),
            deleted_but_present=pl.col("deleted_at").is_not_null(),
            past_deadline=overdue & ~kept,
            held_past_deadline=overdue & kept,
        )
        .select(
            "object_key",
            "object_class",
            "problem",
            "deadline",
            "known",
            "deleted_but_present",
            "past_deadline",
            "held_past_deadline",
        )
        .to_pandas()
    )


def store_suite():
    return build_suite(
        STORE_SUITE,
        lambda e: [
            e.ExpectColumnValuesToBeInSet(column="known", value_set=[True]),
            e.ExpectColumnValuesToBeInSet(column="deleted_but_present", value_set=[False]),
            e.ExpectColumnValuesToBeInSet(column="past_deadline", value_set=[False]),
        ],
    )
