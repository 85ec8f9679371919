"""The one way lydspor deletes an object: remove it, verify it is gone, write a receipt."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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
    # Ledger, receipt and audit entry together or not at all: a crash in between must not leave
    # a deletion without its receipt. (A crash before the commit leaves the key alive in the
    # ledger while the store no longer has it; deleting it again completes the record.)
    with _one_transaction(con):
        _record(con, receipt, call_id, object_class, legal_basis, deadline, sha256, actor)
    return receipt


@contextmanager
def _one_transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    if _in_transaction(con):  # the caller's transaction holds it together, and commits it
        yield
        return
    con.begin()
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    con.commit()


def _in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the caller has a transaction open. Trying BEGIN is no test: in DuckDB a failed
    BEGIN aborts the open transaction. Each autocommitted statement runs in a transaction of
    its own, so two reads of the transaction id agree only inside an open one."""
    first = con.execute("select txid_current()").fetchone()[0]
    return con.execute("select txid_current()").fetchone()[0] == first


def _record(
    con: duckdb.DuckDBPyConnection,
    receipt: DeletionReceipt,
    call_id: str | None,
    object_class: str,
    legal_basis: str,
    deadline: datetime,
    sha256: str | None,
    actor: str,
) -> None:
    object_key, deleted_at, reason = receipt.object_key, receipt.deleted_at, receipt.reason
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
            receipt.verified_absent,
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
