"""The compliance gate over rows: a blocking check that fails while personal data in any table
outlives the ledger entry it came from, or sits in a table nobody governs."""

from datetime import UTC, datetime

import dagster as dg
import duckdb as ddb
from dagster_duckdb import DuckDBResource

from assets.retention.checks import gate_check
from assets.retention.copies import (
    COPIES,
    NOT_COPIES,
    PERSONAL_COLUMNS,
    existing_tables,
    overdue_rows,
)
from assets.retention.resources import PolicyResource
from expectations.personal_rows import personal_rows_frame, personal_rows_suite
from expectations.runner import check_result, validate_frame

PERSONAL_ROWS_WITHIN_DEADLINE = "personal_rows_within_deadline"


def unaccounted_tables(con: ddb.DuckDBPyConnection) -> list[str]:
    """Tables with a call, agent or text column that are neither a governed copy nor listed as
    holding none (a new table someone forgot to give an owner)."""
    known = {c.table for c in COPIES} | set(NOT_COPIES)
    columns = con.execute(
        "select table_schema || '.' || table_name, list(column_name) "
        "from information_schema.columns group by 1"
    ).fetchall()
    tables = existing_tables(con)
    return sorted(
        table
        for table, names in columns
        if table in tables and table not in known and PERSONAL_COLUMNS & set(names)
    )


@gate_check(
    PERSONAL_ROWS_WITHIN_DEADLINE,
    "No row of personal data in any table (raw rows and marts) outlives its owning "
    "ledger entry or its deadline, legal holds excepted, and no table of personal data is "
    "ungoverned",
)
def personal_rows_within_deadline(
    duckdb: DuckDBResource, policy: PolicyResource
) -> dg.AssetCheckResult:
    now = datetime.now(UTC)
    with duckdb.get_connection() as con:
        overdue = {o.table: o for o in overdue_rows(con, now, policy.load().expiry)}
        tables = existing_tables(con)
        rows = [
            {
                "table_name": c.table,
                "owner": c.owner,
                "accounted": True,
                "overdue_rows": overdue[c.table].rows if c.table in overdue else 0,
            }
            for c in COPIES
            if c.table in tables
        ]
        rows += [
            {"table_name": t, "owner": None, "accounted": False, "overdue_rows": 0}
            for t in unaccounted_tables(con)
        ]
    result = validate_frame(personal_rows_frame(rows), personal_rows_suite())
    return check_result(
        result,
        tables_checked=len(rows),
        overdue=dg.MetadataValue.json(
            [
                {"table": o.table, "owner": o.owner, "rows": o.rows, "sample": o.sample}
                for o in overdue.values()
            ]
        ),
        unaccounted_tables=dg.MetadataValue.json(
            [r["table_name"] for r in rows if not r["accounted"]]
        ),
        failed_expectations=dg.MetadataValue.json(result.failed_names),
    )
