"""The compliance gate's suite: no customer audio alive past its deadline."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import polars as pl

CUSTOMER_AUDIO_SUITE = "customer_audio_within_deadline"


def customer_audio_frame(
    retention_state: pl.DataFrame, now: datetime | None = None
) -> pd.DataFrame:
    """Customer-audio objects still in the store, with whether each is past its deadline.

    An object in the store that the ledger does not know has no deadline: it counts as overdue.
    """
    now = now or datetime.now(UTC)
    # DuckDB hands back timestamps in its session zone; compare in UTC.
    retention_state = retention_state.with_columns(pl.col("deadline").dt.convert_time_zone("UTC"))
    alive = retention_state.filter(
        (pl.col("object_class") == "customer_audio")
        & pl.col("deleted_at").is_null()
        & pl.col("in_store")
    )
    return (
        alive.with_columns(
            past_deadline=pl.col("deadline").is_null() | (pl.col("deadline") < now),
        )
        .select("object_key", "call_id", "legal_basis", "deadline", "in_ledger", "past_deadline")
        .to_pandas()
    )


def customer_audio_suite():
    import great_expectations as gx

    return gx.ExpectationSuite(
        name=CUSTOMER_AUDIO_SUITE,
        expectations=[
            gx.expectations.ExpectColumnValuesToBeInSet(column="past_deadline", value_set=[False]),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="deadline"),
            gx.expectations.ExpectColumnValuesToBeInSet(column="in_ledger", value_set=[True]),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="legal_basis"),
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
    import great_expectations as gx

    return gx.ExpectationSuite(
        name=BASIS_SUITE,
        expectations=[
            gx.expectations.ExpectColumnValuesToNotBeNull(column="legal_basis"),
            gx.expectations.ExpectColumnValuesToNotBeInSet(column="legal_basis", value_set=[""]),
            gx.expectations.ExpectColumnValuesToBeInSet(column="has_purposes", value_set=[True]),
        ],
    )
