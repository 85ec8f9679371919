"""The retention sweep: delete every object past its deadline, except those under legal hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from assets.common.storage import ObjectStore
from assets.retention.deletion import DeletionError, DeletionReceipt, delete_object
from assets.retention.holds import held_call_ids


@dataclass
class SweepResult:
    deleted: list[DeletionReceipt] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    already_gone: list[str] = field(default_factory=list)


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
    store: ObjectStore, con: duckdb.DuckDBPyConnection, now: datetime | None = None
) -> SweepResult:
    """Delete what is due; one object's failure never stops the others."""
    now = now or datetime.now(UTC)
    result = SweepResult()
    held = held_call_ids(con)
    for obj in due_objects(con, now):
        key = obj["object_key"]
        if obj["call_id"] in held:
            result.held.append(key)
            continue
        reason = (
            f"retention deadline {obj['deadline'].astimezone(UTC):%Y-%m-%d %H:%M} UTC passed "
            f"({obj['object_class']} under {obj['legal_basis']})"
        )
        try:
            if store.stat(key) is None:
                # Gone already (e.g. expired by a bucket lifecycle rule): record it as deleted.
                result.already_gone.append(key)
            result.deleted.append(delete_object(store, con, key, reason, now=now, actor="sweep"))
        except DeletionError as exc:
            result.failed.append((key, str(exc)))
    return result
