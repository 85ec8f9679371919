"""Settling the write-ahead intents a crash left pending: confirmed if the object is there,
closed as never written if it is not.

A run killed between registering an object and confirming it leaves a ledger row with
``confirmed_at`` null. ``reconcile_pending`` runs at the start of each pipeline run and of the
sweep. An intent whose object exists is confirmed with the SHA-256 and size of what the store
really holds (read back, so a mismatch with the intent is seen and reported). An intent whose
object is absent is closed through the retention engine (``delete_objects``) with the reason
"never written": the store is cleared of any partial copy of it, and a deletion receipt and an
audit entry record it. A receipt for nothing is redundant but harmless, while an intent closed
without one would be the one ledger row whose end no receipt explains.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb

from assets.common.storage import ObjectStore, PutResult, StorageError
from assets.retention.deletion import delete_objects
from assets.retention.ledger import ROWS_KIND, confirm_many

#: An absent intent younger than this (minutes, from its created_at) is left pending: it may be
#: a write still in flight in a run alongside. Present objects are confirmed at any age.
PENDING_GRACE = timedelta(minutes=15)


@dataclass
class PendingResult:
    confirmed: list[str] = field(default_factory=list)
    #: Confirmed, but what the store holds is not what was registered (SHA-256 differs).
    changed: list[str] = field(default_factory=list)
    never_written: list[str] = field(default_factory=list)
    #: Absent, but younger than PENDING_GRACE: left for the run that may still write it.
    in_flight: list[str] = field(default_factory=list)


def reconcile_pending(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    now: datetime | None = None,
    grace: timedelta = PENDING_GRACE,
) -> PendingResult:
    """Confirm or close every alive intent that was never confirmed (see the module). Entries
    that own rows, not an object (``ROWS_KIND``), are never pending writes."""
    now = now or datetime.now(UTC)
    result = PendingResult()
    pending = con.execute(
        "select object_key, sha256, created_at from raw.stored_objects "
        "where deleted_at is null and confirmed_at is null and kind <> ? order by object_key",
        [ROWS_KIND],
    ).fetchall()
    puts: list[PutResult] = []
    closes: list[tuple[str, str]] = []
    for key, intended_sha, created_at in pending:
        try:
            data = store.get_bytes(key) if store.stat(key) is not None else None
        except StorageError:
            data = None  # removed between stat and read: absent
        if data is not None:
            sha = hashlib.sha256(data).hexdigest()
            puts.append(PutResult(key, len(data), sha))
            result.confirmed.append(key)
            if intended_sha and intended_sha != sha:
                result.changed.append(key)
        elif created_at.astimezone(UTC) <= now - grace:
            registered = created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
            closes.append((key, f"never written: registered at {registered} UTC, no object"))
            result.never_written.append(key)
        else:
            result.in_flight.append(key)
    confirm_many(con, puts, now)
    if closes:
        delete_objects(store, con, closes, now=now, actor="reconcile_pending")
    return result
