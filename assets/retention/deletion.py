"""The one way lydspor deletes an object: remove it, verify it is gone, write a receipt."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from assets.common.storage import ObjectStore, StorageError
from assets.common.warehouse import transaction
from assets.retention import audit
from assets.retention.copies import is_rows_key


class DeletionError(RuntimeError):
    """An object could not be deleted, or was still there after deletion."""


@dataclass(frozen=True)
class DeletionReceipt:
    receipt_id: str
    object_key: str
    deleted_at: datetime
    reason: str
    verified_absent: bool


#: A deletion's ledger facts, with its receipt: what the receipt and audit entry record.
_RECORD_SCHEMA = pl.Schema(
    {
        "receipt_id": pl.String,
        "object_key": pl.String,
        "call_id": pl.String,
        "object_class": pl.String,
        "legal_basis": pl.String,
        "deadline": pl.Datetime("us", "UTC"),
        "deleted_at": pl.Datetime("us", "UTC"),
        "reason": pl.String,
        "verified_absent": pl.Boolean,
        "sha256": pl.String,
    }
)


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
    return delete_objects(store, con, [(object_key, reason)], now=now, actor=actor)[0]


def delete_objects(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    deletions: Sequence[tuple[str, str]],
    *,
    now: datetime | None = None,
    actor: str = "lydspor",
) -> list[DeletionReceipt]:
    """``delete_object`` for many (key, reason) pairs, removed in their order: each object is
    removed and verified gone, then the ledger rows, receipts and audit entries of all of them
    are written in one transaction (per object, those writes were most of a deletion's time).

    Nothing is removed unless every key is in the ledger. If an object cannot be removed, or
    survives, the ones removed before it are recorded and a DeletionError names it."""
    keys = [key for key, _ in deletions]
    if len(set(keys)) != len(keys):
        raise DeletionError(f"refusing to delete a key twice in one batch: {sorted(keys)}")
    if not keys:
        return []
    ledger = {
        row[0]: row[1:]
        for row in con.execute(
            "select object_key, call_id, object_class, legal_basis, deadline, sha256, deleted_at "
            "from raw.stored_objects where list_contains(?, object_key)",
            [keys],
        ).fetchall()
    }
    for key in keys:
        if key not in ledger:
            raise DeletionError(f"refusing to delete {key!r}: it is not in the retention ledger")
        deleted_at = ledger[key][-1]
        if deleted_at is not None and (is_rows_key(key) or store.stat(key) is None):
            raise DeletionError(f"{key!r} was already deleted at {deleted_at}")
    deleted_at = now or datetime.now(UTC)
    receipts: list[DeletionReceipt] = []
    failure = None
    for key, reason in deletions:
        failure = _remove_verified(store, key)
        if failure:
            break
        receipts.append(DeletionReceipt(str(uuid.uuid4()), key, deleted_at, reason, True))
    # Ledger, receipts and audit entries together or not at all: a crash in between must not
    # leave a deletion without its receipt. (A crash before the commit leaves the keys alive in
    # the ledger while the store no longer has them; deleting them again completes the record.)
    if receipts:
        with transaction(con):
            _record(con, receipts, ledger, actor)
    if failure:
        raise failure
    return receipts


def _remove_verified(store: ObjectStore, key: str) -> DeletionError | None:
    """Remove the object and check it is gone; the error if not. A rows entry names no object:
    its rows are removed by ``copies.purge``, which the sweep and erasure run right after."""
    if is_rows_key(key):
        return None
    try:
        store.remove(key)
        verified = store.stat(key) is None
    except StorageError as exc:
        return DeletionError(f"could not delete {key!r}: {exc}")
    if not verified:
        return DeletionError(f"{key!r} is still in {store.description} after deletion")
    return None


def _record(
    con: duckdb.DuckDBPyConnection,
    receipts: list[DeletionReceipt],
    ledger: dict[str, tuple],
    actor: str,
) -> None:
    rows, entries = [], []
    for receipt in receipts:
        call_id, object_class, legal_basis, deadline, sha256, _ = ledger[receipt.object_key]
        rows.append(
            (
                receipt.receipt_id,
                receipt.object_key,
                call_id,
                object_class,
                legal_basis,
                deadline,
                receipt.deleted_at,
                receipt.reason,
                receipt.verified_absent,
                sha256,
            )
        )
        entries.append(
            audit.NewEntry(
                "delete",
                actor,
                call_id,
                receipt.object_key,
                details={
                    "receipt_id": receipt.receipt_id,
                    "reason": receipt.reason,
                    "object_class": object_class,
                    "legal_basis": legal_basis,
                    "deadline": deadline,
                    "on_time": receipt.deleted_at <= deadline,
                    "sha256": sha256,
                },
                at=receipt.deleted_at,
            )
        )
    frame = pl.DataFrame(rows, schema=_RECORD_SCHEMA, orient="row")
    con.register("_lydspor_deletions", frame.to_arrow())
    try:
        con.execute(
            "update raw.stored_objects o set deleted_at = d.deleted_at, deletion_reason = d.reason "
            "from _lydspor_deletions d where o.object_key = d.object_key"
        )
        con.execute("insert into raw.deletion_receipts select * from _lydspor_deletions")
    finally:
        con.unregister("_lydspor_deletions")
    audit.append_many(con, entries)
