"""Create every compliance table at once (write paths call this; read paths never do)."""

from __future__ import annotations

import duckdb

from assets.retention.audit import ensure_audit_log
from assets.retention.erasure import ensure_erasure_tables
from assets.retention.holds import ensure_holds
from assets.retention.ledger import ensure_ledger


def ensure_compliance_tables(con: duckdb.DuckDBPyConnection) -> None:
    ensure_ledger(con)
    ensure_holds(con)
    ensure_erasure_tables(con)
    ensure_audit_log(con)


COMPLIANCE_TABLES = [
    "raw.stored_objects",
    "raw.deletion_receipts",
    "raw.legal_holds",
    "raw.erasure_requests",
    "raw.erased_calls",
    "raw.audit_log",
]


def has_compliance_tables(con: duckdb.DuckDBPyConnection) -> bool:
    present = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    return set(COMPLIANCE_TABLES) <= present
