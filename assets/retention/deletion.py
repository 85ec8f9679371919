"""The one way lydspor deletes an object: remove it, verify it is gone, write a receipt."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from assets.retention import audit
from orchestration.storage import ObjectStore, StorageError


class DeletionError(RuntimeError):
    """An object could not be deleted, or was still there after deletion."""


@dataclass(frozen=True)
class DeletionReceipt:
    receipt_id: str
    object_key: str
    deleted_at: datetime
    reason: str
    verified_absent: bool


def delete_object(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    object_key: str,
    reason: str,
    *,
    now: datetime | None = None,
    actor: str = "lydspor",
) -> DeletionReceipt:
    """Delete a ledger-registered object and record the receipt; raises if it survives."""
    row = con.execute(
        "select call_id, object_class, legal_basis, deadline, sha256, deleted_at "
        "from raw.stored_objects where object_key = ?",
        [object_key],
    ).fetchone()
    if row is None:
        raise DeletionError(f"refusing to delete {object_key!r}: it is not in the retention ledger")
    call_id, object_class, legal_basis, deadline, sha256, deleted_at = row
    if deleted_at is not None and store.stat(object_key) is None:
        raise DeletionError(f"{object_key!r} was already deleted at {deleted_at}")
    try:
        store.remove(object_key)
        verified = store.stat(object_key) is None
    except StorageError as exc:
        raise DeletionError(f"could not delete {object_key!r}: {exc}") from exc
    if not verified:
        raise DeletionError(f"{object_key!r} is still in {store.description} after deletion")
    deleted_at = now or datetime.now(UTC)
    receipt = DeletionReceipt(str(uuid.uuid4()), object_key, deleted_at, reason, verified)
    con.execute(
        "update raw.stored_objects set deleted_at = ?, deletion_reason = ? where object_key = ?",
        [deleted_at, reason, object_key],
    )
    con.execute(
        "insert into raw.deletion_receipts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            receipt.receipt_id,
            object_key,
            call_id,
            object_class,
            legal_basis,
            deadline,
            deleted_at,
            reason,
            verified,
            sha256,
        ],
    )
    audit.append(
        con,
        "delete",
        actor=actor,
        call_id=call_id,
        subject=object_key,
        details={
            "receipt_id": receipt.receipt_id,
            "reason": reason,
            "object_class": object_class,
            "legal_basis": legal_basis,
            "deadline": deadline,
            "on_time": deleted_at <= deadline,
            "sha256": sha256,
        },
        at=deleted_at,
    )
    return receipt
