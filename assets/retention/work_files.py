"""A worker's work files in the retention ledger: read back and confirmed, then deleted.

A step that hands work to a Dagster Pipes worker (transcription, agent audio) registers each
work file's key as an intent before the worker starts (``ledger.register_many``). When the
worker is done the step reads the files back and confirms them (``confirm_work``); when it no
longer needs them it deletes them through the retention engine, a receipt each
(``discard_work``), also when the step fails.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import duckdb

from assets.common.pipes import WorkerError
from assets.common.storage import ObjectStore
from assets.retention.deletion import DeletionReceipt, delete_objects
from assets.retention.ledger import StoredObject, register_many


def confirm_work(
    store: ObjectStore, con: duckdb.DuckDBPyConnection, intents: Sequence[StoredObject]
) -> list[bytes]:
    """Each work file's bytes, in the intents' order, confirmed in the ledger (registered
    again as written: a file a concurrent reconcile closed as never written starts a new life
    with its deadline instead of being an object the ledger thinks deleted)."""
    found, written, now = [], [], datetime.now(UTC)
    for intent in intents:
        if store.stat(intent.object_key) is None:
            raise WorkerError(f"the worker wrote no {intent.object_key}")
        data = store.get_bytes(intent.object_key)
        digest = hashlib.sha256(data).hexdigest()
        written.append(replace(intent, sha256=digest, size_bytes=len(data), confirmed_at=now))
        found.append(data)
    register_many(con, written)
    return found


def discard_work(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    keys: Sequence[str],
    reason: str,
    actor: str = "transcripts",
) -> list[DeletionReceipt]:
    """Delete the work files through the retention engine, each with a receipt (one never
    written gets a receipt for nothing, as ``reconcile_pending`` gives it)."""
    if not keys:
        return []
    alive = {
        row[0]
        for row in con.execute(
            "select object_key from raw.stored_objects "
            "where deleted_at is null and list_contains(?, object_key)",
            [list(keys)],
        ).fetchall()
    }
    doomed = [(key, reason) for key in keys if key in alive]
    return delete_objects(store, con, doomed, actor=actor)
