"""Ledger entries for rows: a catalogued call's metadata has a deadline like any stored object.

A call's rows in DuckDB (its dialer record, consent lineage, and through ``copies`` every row
derived from it that has no object of its own) are owned by one ledger entry of class
``call_metadata``, kind ``rows``, under the key ``rows/<call date>/<call id>/call_metadata``.
No object with that key is ever stored: the sweep deletes such an entry like any other (receipt,
audit entry), and ``copies.purge`` then removes the rows it owned.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from assets.retention.copies import (
    CALL_METADATA,
    RECORDINGS,
    ROWS_PREFIX,
    existing_tables,
    rows_key,
)
from assets.retention.ledger import ROWS_KIND, StoredObject, register_many
from assets.retention.policy import RetentionPolicy

#: The basis of call metadata: the employer's record of the agent's work.
CALL_METADATA_BASIS = "contract"


def register_call_metadata(
    con: duckdb.DuckDBPyConnection, policy: RetentionPolicy, now: datetime | None = None
) -> int:
    """Give each catalogued call that has none its metadata entry, counted from when it was
    catalogued. A call whose entry was deleted keeps it deleted: its rows are purged, not
    given a new life."""
    if RECORDINGS not in existing_tables(con):
        return 0
    rows = con.execute(
        f"select r.call_id, r.call_date, coalesce(r.ingested_at, ?) from {RECORDINGS} r "
        "where not exists (select 1 from raw.stored_objects o where o.object_key = "
        f"'{ROWS_PREFIX}' || strftime(r.call_date, '%Y-%m-%d') || '/' || r.call_id "
        f"|| '/{CALL_METADATA}')",
        [now or datetime.now(UTC)],
    ).fetchall()
    register_many(
        con,
        [
            StoredObject(
                object_key=rows_key(call_date, call_id),
                call_id=call_id,
                call_date=call_date,
                kind=ROWS_KIND,
                object_class=CALL_METADATA,
                legal_basis=CALL_METADATA_BASIS,
                purposes=list(policy.default_purposes),
                sha256=None,
                size_bytes=None,
                created_at=created_at,
                deadline=policy.deadline(CALL_METADATA, CALL_METADATA_BASIS, created_at),
                # Written with the rows in the same commit: never a pending write.
                confirmed_at=created_at,
            )
            for call_id, call_date, created_at in rows
        ],
    )
    return len(rows)
