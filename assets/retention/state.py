"""Reconcile the ledger with everything the store really holds: every prefix, every date.

The whole bucket is listed (``ObjectStore.inventory``), not the run's window, so an object
under an odd prefix or an old date, a name the store cannot address or a leftover of a killed
write is seen. Each row of the result is a ledger object or a stored file; ``problem`` says
why the gate must look at it:

* ``unknown to the ledger``: a stored object no ledger row explains. Its class is unknown,
  so it is treated as customer audio (the safe error) and has no deadline.
* a name the store cannot address, an interrupted write's leftover, or not a plain file: the
  same, and the retention engine could not even delete it (an operator must).
* ``deleted but still in the store``: the ledger records its deletion, the store still has it.
* ``pending``: registered, never confirmed (``assets.retention.pending`` settles it);
  ``missing from the store``: alive in the ledger, absent. Neither fails the gate by itself.

Ledger entries that own rows rather than an object (kind ``rows``) are listed with no problem
and not in the store, which never holds them (the row checks cover their deadlines); a file
under such a key is unknown.

Two kinds of stored file are not lydspor's objects and are not unknown: files in ``landing/``
not yet ingested (the dialer's uploads, in transit until the landing window has passed since
they arrived; after that they are unknown too), and the system keys in ``SYSTEM_KEYS`` and
under ``SYSTEM_PREFIXES``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb
import polars as pl

from assets.common.storage import ObjectStore, StoredFile
from assets.retention.audit import HEAD_KEY
from assets.retention.audit_checkpoints import PREFIX as AUDIT_CHECKPOINTS
from assets.retention.ledger import CUSTOMER_AUDIO, RETENTION_STATE_SCHEMA, ROWS_KIND, all_objects

#: Keys lydspor writes that are no personal data and no ledger object, with the reason.
SYSTEM_KEYS = {
    HEAD_KEY: "the audit log's anchored head (a sequence number and a hash; written on every "
    "audit append, so registering it would add a ledger row per entry)",
}
#: Prefixes of such keys: the audit head's write-once checkpoints (a sequence number and a hash,
#: locked by the store, which the sweep could not delete anyway).
SYSTEM_PREFIXES = (AUDIT_CHECKPOINTS,)

#: Where the dialer uploads; files there are in transit until ingested or past the window.
LANDING_PREFIX = "landing/"

UNKNOWN = "unknown to the ledger"
DELETED_BUT_PRESENT = "deleted but still in the store"
PENDING = "pending (registered, not confirmed)"
MISSING = "missing from the store"
#: Problems that fail the gate (with any object alive past its deadline).
BLOCKING_PREFIXES = (UNKNOWN, DELETED_BUT_PRESENT, "name ", "leftover ", "not a plain file")


def reconcile(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    landing_window: timedelta,
    now: datetime | None = None,
) -> pl.DataFrame:
    """Every ledger object and every stored file, reconciled (see the module).
    ``landing_window`` is how long an uploaded file may wait in landing/ unregistered."""
    now = now or datetime.now(UTC)
    ledger = all_objects(con)
    known = set(ledger["object_key"].to_list())
    present: set[str] = set()
    strays = []
    for item in store.inventory():
        if item.problem is None:
            present.add(item.key)
            if item.key in known or item.key in SYSTEM_KEYS or item.key.startswith(SYSTEM_PREFIXES):
                continue
        strays.append(_stray(item, landing_window, now))
    alive = pl.col("deleted_at").is_null()
    in_store = pl.col("object_key").is_in(list(present))
    rows_entry = pl.col("kind") == ROWS_KIND
    registered = ledger.with_columns(in_store=in_store, in_ledger=pl.lit(True)).with_columns(
        # An entry that owns rows has no object: a file under its key is explained by nothing.
        problem=pl.when(rows_entry & pl.col("in_store"))
        .then(pl.lit(UNKNOWN))
        .when(rows_entry)
        .then(pl.lit(None))
        .when(~alive & pl.col("in_store"))
        .then(pl.lit(DELETED_BUT_PRESENT))
        .when(alive & ~pl.col("in_store"))
        .then(pl.lit(MISSING))
        .when(alive & pl.col("confirmed_at").is_null())
        .then(pl.lit(PENDING))
    )
    frame = pl.concat(
        [
            registered.select(RETENTION_STATE_SCHEMA.names()).cast(RETENTION_STATE_SCHEMA),
            pl.DataFrame(strays, schema=RETENTION_STATE_SCHEMA),
        ]
    )
    return frame.sort("object_key")


def blocking() -> pl.Expr:
    """Whether a row's problem fails the gate by itself."""
    return pl.any_horizontal(
        [pl.col("problem").str.starts_with(prefix) for prefix in BLOCKING_PREFIXES]
    ).fill_null(False)


def _stray(item: StoredFile, landing_window: timedelta, now: datetime) -> dict:
    """The row of a stored file the ledger does not know."""
    in_transit = (
        item.problem is None
        and item.key.startswith(LANDING_PREFIX)
        and item.modified_at + landing_window > now
    )
    return {
        "object_key": item.key,
        "call_id": _call_id_from_key(item.key),
        "call_date": _date_from_key(item.key) or item.modified_at.date(),
        "kind": "landing" if in_transit else "unregistered",
        "object_class": "landing" if in_transit else CUSTOMER_AUDIO,
        "legal_basis": "in_transit" if in_transit else None,
        "purposes": ["ingestion"] if in_transit else None,
        "created_at": item.modified_at,
        "deadline": item.modified_at + landing_window if in_transit else None,
        "deleted_at": None,
        "in_store": True,  # present, whether or not the store can address it
        "in_ledger": False,
        "confirmed_at": None,
        "problem": None if in_transit else (item.problem or UNKNOWN),
    }


def _date_from_key(key: str) -> date | None:
    parts = key.split("/")
    try:
        return date.fromisoformat(parts[1]) if len(parts) > 2 else None
    except ValueError:
        return None


def _call_id_from_key(key: str) -> str | None:
    parts = key.split("/")
    # raw/<date>/<call_id>/recording.wav, agent/<date>/<call_id>/agent.wav, ...
    return parts[2] if len(parts) >= 4 and parts[0] in {"raw", "agent", "transcripts"} else None
