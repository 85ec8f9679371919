"""The compliance gate: blocking checks that fail when customer audio outlives its deadline, an
object lacks a basis, or the store holds anything the ledger cannot explain."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.common.concurrency import WAREHOUSE_POOL
from assets.common.warehouse import table_exists
from assets.retention.assets import RETENTION_STATE_TABLE, retention_state
from assets.retention.holds import HOLDS_TABLE, held_call_ids
from assets.retention.state import blocking
from expectations.retention import (
    basis_suite,
    customer_audio_frame,
    customer_audio_suite,
    ledger_objects_frame,
    store_objects_frame,
    store_suite,
)
from expectations.runner import check_result, validate_frame

CUSTOMER_AUDIO_WITHIN_DEADLINE = "customer_audio_within_deadline"


def _retention_state(duckdb: DuckDBResource):
    # Every date, not just the run's window: a violation anywhere stops the marts.
    with duckdb.get_connection() as con:
        return con.sql(f"select * from {RETENTION_STATE_TABLE}").pl()


def gate_check(name: str, description: str):
    """A blocking check of ``retention_state``: when it fails, the marts do not build."""
    return dg.asset_check(
        pool=WAREHOUSE_POOL,
        asset=retention_state,
        name=name,
        blocking=True,
        description=f"{description} (Great Expectations suite). Blocks the marts when it fails.",
    )


def _held(duckdb: DuckDBResource) -> set[str]:
    """Calls a legal hold keeps past their deadlines: not violations (the sweep and extraction
    report and audit each as a hold conflict), listed in the checks' metadata instead."""
    with duckdb.get_connection() as con:
        return held_call_ids(con) if table_exists(con, HOLDS_TABLE) else set()


@gate_check(
    CUSTOMER_AUDIO_WITHIN_DEADLINE,
    "No customer audio alive past its deadline, none without a deadline or basis, "
    "none unknown to the ledger",
)
def customer_audio_within_deadline(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    frame = customer_audio_frame(_retention_state(duckdb), held=_held(duckdb))
    result = validate_frame(frame, customer_audio_suite())
    offending = frame[
        frame["past_deadline"] | frame["deadline"].isna() | ~frame["in_ledger"].astype(bool)
    ]
    return check_result(
        result,
        expectations_evaluated=result.evaluated,
        customer_audio_alive=len(frame),
        violations=len(offending),
        held_past_deadline=int(frame["held_past_deadline"].sum()),
        offending_objects=dg.MetadataValue.json(
            [
                {
                    "object_key": row.object_key,
                    "deadline": None
                    if row.deadline is None or str(row.deadline) == "NaT"
                    else str(row.deadline),
                    "in_ledger": bool(row.in_ledger),
                }
                for row in offending.itertuples()
            ][:50]
        ),
        failed_expectations=dg.MetadataValue.json(result.failed_names),
    )


EVERY_OBJECT_HAS_BASIS_AND_PURPOSES = "every_object_has_basis_and_purposes"


@gate_check(
    EVERY_OBJECT_HAS_BASIS_AND_PURPOSES,
    "Every stored object the ledger keeps names a legal basis and its purposes",
)
def every_object_has_basis_and_purposes(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    frame = ledger_objects_frame(_retention_state(duckdb))
    result = validate_frame(frame, basis_suite())
    offending = frame[frame["legal_basis"].isna() | ~frame["has_purposes"].astype(bool)]
    return check_result(
        result,
        objects_checked=len(frame),
        violations=len(offending),
        offending_objects=dg.MetadataValue.json(offending["object_key"].tolist()[:50]),
    )


STORE_MATCHES_LEDGER = "store_matches_ledger"


@gate_check(
    STORE_MATCHES_LEDGER,
    "Everything in the object store, every prefix and date, is known to the ledger "
    "(names the store cannot address and leftovers of interrupted writes count as unknown), "
    "nothing the ledger records as deleted is still there, and nothing is alive past its "
    "deadline; it deletes nothing",
)
def store_matches_ledger(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    state = _retention_state(duckdb).with_columns(blocking=blocking())
    frame = store_objects_frame(state, held=_held(duckdb))
    result = validate_frame(frame, store_suite())
    offending = frame[~frame["known"] | frame["deleted_but_present"] | frame["past_deadline"]]
    return check_result(
        result,
        objects_in_store=len(frame),
        violations=len(offending),
        unknown=int((~frame["known"]).sum()),
        deleted_but_present=int(frame["deleted_but_present"].sum()),
        past_deadline=int(frame["past_deadline"].sum()),
        held_past_deadline=int(frame["held_past_deadline"].sum()),
        offending_objects=dg.MetadataValue.json(
            [
                {
                    "object_key": row.object_key,
                    "problem": row.problem if isinstance(row.problem, str) else "past deadline",
                }
                for row in offending.itertuples()
            ][:50]
        ),
        failed_expectations=dg.MetadataValue.json(result.failed_names),
    )
