"""The retention sweep: everything past its deadline goes, objects and the rows copied from them.

In order: every catalogued call gets its metadata entry (``call_metadata``); each ledger entry
past its deadline is deleted through the retention engine (objects removed and verified, rows
entries closed), except what a legal hold keeps, which is reported and audited
(``holds.record_hold_conflicts``); then every row whose owner is gone is purged (``copies``), the
audit log is pruned to its window, and what is still overdue is reported as a failure. On a
DuckLake it also deletes the Parquet files no snapshot references (``lake.delete_orphaned_files``:
what a writer killed inside its transaction left), audited as a ``purge_rows`` entry naming them.
Run again, it finds nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb

from assets.common.lake import LAKE_ORPHAN_GRACE, delete_orphaned_files
from assets.common.storage import ObjectStore
from assets.retention import audit
from assets.retention.call_metadata import register_call_metadata
from assets.retention.copies import Overdue, is_rows_key, overdue_rows, purge
from assets.retention.deletion import DeletionError, DeletionReceipt, delete_object
from assets.retention.holds import record_hold_conflicts
from assets.retention.pending import reconcile_pending
from assets.retention.policy import REQUIRED_WINDOWS, RetentionPolicy


@dataclass
class SweepResult:
    deleted: list[DeletionReceipt] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    already_gone: list[str] = field(default_factory=list)
    rows_deleted: dict[str, int] = field(default_factory=dict)
    rows_anonymised: dict[str, int] = field(default_factory=dict)
    audit_entries_pruned: int = 0
    overdue: list[Overdue] = field(default_factory=list)
    lake_files_deleted: list[str] = field(default_factory=list)


def due_objects(con: duckdb.DuckDBPyConnection, now: datetime) -> list[dict]:
    return (
        con.sql(
            "select object_key, call_id, object_class, legal_basis, deadline "
            "from raw.stored_objects where deleted_at is null "
            f"and deadline <= '{now.astimezone(UTC).isoformat()}'::timestamptz "
            "order by deadline"
        )
        .pl()
        .to_dicts()
    )


def sweep(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    now: datetime | None = None,
    *,
    policy: RetentionPolicy | None = None,
    orphan_grace: timedelta = LAKE_ORPHAN_GRACE,
) -> SweepResult:
    """Delete what is due; one object's failure never stops the others. Without a policy only
    ledger entries and their rows are swept (no new metadata entries, no audit pruning).
    ``orphan_grace``: see ``LAKE_ORPHAN_GRACE``."""
    now = now or datetime.now(UTC)
    result = SweepResult()
    # Writes a crash interrupted: confirmed if the object is there, closed if it never came.
    reconcile_pending(store, con, now)
    if policy is not None:
        register_call_metadata(con, policy, now)
    due = due_objects(con, now)
    held = {
        obj["object_key"]
        for obj in record_hold_conflicts(
            con, due, actor="sweep", now=now, wanted="deletion at retention deadline"
        )
    }
    for obj in due:
        key = obj["object_key"]
        if key in held:
            result.held.append(key)
            continue
        reason = (
            f"retention deadline {obj['deadline'].astimezone(UTC):%Y-%m-%d %H:%M} UTC passed "
            f"({obj['object_class']} under {obj['legal_basis']})"
        )
        try:
            if not is_rows_key(key) and store.stat(key) is None:
                # Gone already (e.g. expired by a bucket lifecycle rule): record it as deleted.
                result.already_gone.append(key)
            result.deleted.append(delete_object(store, con, key, reason, now=now, actor="sweep"))
        except DeletionError as exc:
            result.failed.append((key, str(exc)))
    expiry = policy.expiry if policy is not None else {}
    purged = purge(con, expiry)
    result.rows_deleted, result.rows_anonymised = purged.deleted, purged.anonymised
    if purged.rows:
        audit.append(
            con,
            "purge_rows",
            actor="sweep",
            details={"deleted": purged.deleted, "anonymised": purged.anonymised},
            at=now,
        )
    # Against the wall clock, not ``now``: the files' times are the store's.
    written_before = min(now, datetime.now(UTC)) - orphan_grace
    result.lake_files_deleted = delete_orphaned_files(con, written_before)
    if result.lake_files_deleted:
        audit.append(
            con,
            "purge_rows",
            actor="sweep",
            details={"orphaned_lake_files": result.lake_files_deleted},
            at=now,
        )
    if policy is not None:
        window = policy.window("audit_log", REQUIRED_WINDOWS["audit_log"])
        result.audit_entries_pruned = audit.prune(con, now - window, now)
    result.overdue = overdue_rows(con, now, expiry)
    for found in result.overdue:
        result.failed.append(
            (found.table, f"{found.rows} row(s) of {found.owner} past deadline: {found.sample}")
        )
    return result
