"""The retention ledger: every object lydspor stores, its basis and deadline, and its deletion.

Write-ahead: a row is written (the intent: key, class, basis, purposes, deadline, with
``confirmed_at`` null) and committed before the object is written, and confirmed (SHA-256,
size, ``confirmed_at``) after, so a crash in between leaves a pending row the next run
reconciles (``assets.retention.pending``), never an object the ledger does not know.
``write_through`` does all three. Rows are updated only when confirmed or deleted; nothing here
removes a row, so the ledger stays the proof of what was kept and for how long.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import duckdb
import polars as pl

from assets.common.storage import ObjectStore, PutResult
from assets.common.warehouse import execute_ddl, in_transaction

LEDGER_DDL = """
create schema if not exists raw;
create table if not exists raw.stored_objects (
    object_key varchar primary key,
    call_id varchar,
    call_date date not null,
    kind varchar not null,
    object_class varchar not null,
    legal_basis varchar not null,
    purposes varchar[] not null,
    sha256 varchar,
    size_bytes bigint,
    created_at timestamptz not null,
    deadline timestamptz not null,
    deleted_at timestamptz,
    deletion_reason varchar,
    confirmed_at timestamptz
);
create table if not exists raw.deletion_receipts (
    receipt_id varchar primary key,
    object_key varchar not null,
    call_id varchar,
    object_class varchar not null,
    legal_basis varchar not null,
    deadline timestamptz not null,
    deleted_at timestamptz not null,
    reason varchar not null,
    verified_absent boolean not null,
    sha256 varchar
);
"""

#: Object classes whose content includes the customer's voice.
CUSTOMER_AUDIO = "customer_audio"

#: The kind of a ledger entry that owns rows in DuckDB rather than a stored object: the store
#: never holds its key, so it is registered confirmed, is never a pending write, and an object
#: found under its key is unknown to the ledger.
ROWS_KIND = "rows"

#: What every stored object is: its key, call, class, basis and purposes.
_OBJECT_COLUMNS = {
    "object_key": pl.String,
    "call_id": pl.String,
    "call_date": pl.Date,
    "kind": pl.String,
    "object_class": pl.String,
    "legal_basis": pl.String,
    "purposes": pl.List(pl.String),
}
_TIMESTAMP = pl.Datetime("us", "UTC")

RETENTION_STATE_SCHEMA = pl.Schema(
    {
        **_OBJECT_COLUMNS,
        "created_at": _TIMESTAMP,
        "deadline": _TIMESTAMP,
        "deleted_at": _TIMESTAMP,
        "in_store": pl.Boolean,
        "in_ledger": pl.Boolean,
        "confirmed_at": _TIMESTAMP,
        # Why the gate must look at this row, or null: unknown to the ledger, a name the store
        # cannot address, a leftover of an interrupted write, deleted but present, ...
        "problem": pl.String,
    }
)


@dataclass(frozen=True)
class StoredObject:
    object_key: str
    call_id: str | None
    call_date: date
    kind: str
    object_class: str
    legal_basis: str
    purposes: list[str]
    sha256: str | None
    size_bytes: int | None
    created_at: datetime
    deadline: datetime
    #: When the object was seen written; None for an intent (registered, not yet written).
    confirmed_at: datetime | None = None


class LedgerConflict(ValueError):
    """A key alive in the ledger was registered again with another class, basis or purposes:
    refused, so an object's legal basis never changes silently."""


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ledger; a ledger from before write-ahead registration gains ``confirmed_at``,
    its rows counted as confirmed when created (they were written under the old order)."""
    execute_ddl(con, LEDGER_DDL)
    has_column = con.execute(
        "select count(*) from information_schema.columns where table_schema = 'raw' "
        "and table_name = 'stored_objects' and column_name = 'confirmed_at'"
    ).fetchone()[0]
    if not has_column:
        con.execute(
            "alter table raw.stored_objects add column if not exists confirmed_at timestamptz"
        )
        con.execute("update raw.stored_objects set confirmed_at = created_at")


#: The ledger rows ``register_many`` writes, as a frame (one statement for a whole batch).
_REGISTER_SCHEMA = pl.Schema(
    {
        **_OBJECT_COLUMNS,
        "sha256": pl.String,
        "size_bytes": pl.Int64,
        "created_at": _TIMESTAMP,
        "deadline": _TIMESTAMP,
        "confirmed_at": _TIMESTAMP,
    }
)

#: Alive keys a batch would register with another class, basis or purposes (purposes as sets).
_CONFLICT_SQL = """
select r.object_key, o.object_class, o.legal_basis, o.purposes,
       r.object_class, r.legal_basis, r.purposes
from _lydspor_ledger_rows r join raw.stored_objects o using (object_key)
where o.deleted_at is null and (
    o.object_class <> r.object_class or o.legal_basis <> r.legal_basis
    or list_sort(list_distinct(o.purposes)) <> list_sort(list_distinct(r.purposes)))
order by r.object_key
"""

_REGISTER_SQL = f"""
merge into raw.stored_objects as stored_objects
using _lydspor_ledger_rows as excluded
on stored_objects.object_key = excluded.object_key
when matched then update set
    sha256 = excluded.sha256,
    size_bytes = excluded.size_bytes,
    created_at = case when stored_objects.deleted_at is null
        then stored_objects.created_at else excluded.created_at end,
    deadline = case when stored_objects.deleted_at is null
        then stored_objects.deadline else excluded.deadline end,
    call_id = case when stored_objects.deleted_at is null
        then stored_objects.call_id else excluded.call_id end,
    call_date = case when stored_objects.deleted_at is null
        then stored_objects.call_date else excluded.call_date end,
    kind = case when stored_objects.deleted_at is null
        then stored_objects.kind else excluded.kind end,
    object_class = excluded.object_class,
    legal_basis = excluded.legal_basis,
    purposes = excluded.purposes,
    confirmed_at = excluded.confirmed_at,
    deleted_at = null,
    deletion_reason = null
when not matched then insert ({", ".join(_REGISTER_SCHEMA)})
    values ({", ".join(f"excluded.{c}" for c in _REGISTER_SCHEMA)})
"""


def register(con: duckdb.DuckDBPyConnection, obj: StoredObject) -> None:
    """Record an object (an intent, unless ``obj.confirmed_at`` is set). Re-registering an
    alive key keeps its first created_at and deadline, and raises LedgerConflict if the class,
    basis or purposes differ (nothing is written then); a key written again after deletion
    starts a new life with the new ones."""
    register_many(con, [obj])


def register_many(con: duckdb.DuckDBPyConnection, objects: Sequence[StoredObject]) -> None:
    """``register`` for many objects, in one statement per run of distinct keys (a statement
    per object cost ~3 ms each). A key listed twice ends as registering them in turn would
    leave it: DuckDB cannot update one row twice in a statement, so the repeat goes in the next.
    """
    for chunk in _distinct_key_runs(objects):
        rows = pl.DataFrame([_row(obj) for obj in chunk], schema=_REGISTER_SCHEMA, orient="row")
        con.register("_lydspor_ledger_rows", rows.to_arrow())
        try:
            conflicts = con.execute(_CONFLICT_SQL).fetchall()
            if conflicts:
                raise LedgerConflict(
                    "refusing to change the class, basis or purposes of a live object: "
                    + "; ".join(
                        f"{key}: {oc}/{ob}/{sorted(op)} -> {nc}/{nb}/{sorted(np)}"
                        for key, oc, ob, op, nc, nb, np in conflicts[:10]
                    )
                    + ("" if len(conflicts) <= 10 else f" (+{len(conflicts) - 10} more)")
                )
            con.execute(_REGISTER_SQL)
        finally:
            con.unregister("_lydspor_ledger_rows")


def _distinct_key_runs(objects: Sequence[StoredObject]) -> Iterator[list[StoredObject]]:
    run: list[StoredObject] = []
    keys: set[str] = set()
    for obj in objects:
        if obj.object_key in keys:
            yield run
            run, keys = [], set()
        run.append(obj)
        keys.add(obj.object_key)
    if run:
        yield run


def _row(obj: StoredObject) -> tuple:
    for name in ("created_at", "deadline"):
        if getattr(obj, name).tzinfo is None:  # a naive time would be read as UTC, silently
            raise ValueError(f"{obj.object_key}: {name} has no time zone")
    return (
        obj.object_key,
        obj.call_id,
        obj.call_date,
        obj.kind,
        obj.object_class,
        obj.legal_basis,
        list(obj.purposes),
        obj.sha256,
        obj.size_bytes,
        obj.created_at,
        obj.deadline,
        obj.confirmed_at,
    )


_CONFIRM_SCHEMA = pl.Schema(
    {"object_key": pl.String, "sha256": pl.String, "size_bytes": pl.Int64, "at": _TIMESTAMP}
)


def confirm_many(
    con: duckdb.DuckDBPyConnection, puts: Sequence[PutResult], at: datetime | None = None
) -> None:
    """Record that these objects are written, with their SHA-256 and size (one statement)."""
    if not puts:
        return
    at = at or datetime.now(UTC)
    rows = pl.DataFrame(
        [(p.key, p.sha256, p.size, at) for p in puts], schema=_CONFIRM_SCHEMA, orient="row"
    )
    con.register("_lydspor_confirmed", rows.to_arrow())
    try:
        con.execute(
            "update raw.stored_objects o set sha256 = c.sha256, size_bytes = c.size_bytes, "
            "confirmed_at = c.at from _lydspor_confirmed c "
            "where o.object_key = c.object_key and o.deleted_at is null"
        )
    finally:
        con.unregister("_lydspor_confirmed")


def write_through(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    obj: StoredObject,
    data: bytes,
    content_type: str = "application/octet-stream",
) -> PutResult:
    """Register ``obj`` (the intent, committed), write ``data`` under its key, confirm it.

    The one way a put site writes an object. Refused inside an open transaction: the intent
    must be durable before the write, or a crash would leave an object the ledger never knew."""
    if in_transaction(con):
        raise RuntimeError(
            f"write_through({obj.object_key!r}) inside a transaction: the intent would not be "
            "committed before the object is written"
        )
    sha = obj.sha256 or hashlib.sha256(data).hexdigest()
    register(con, replace(obj, sha256=sha, size_bytes=len(data), confirmed_at=None))
    put = store.put_bytes(obj.object_key, data, content_type, sha256=sha)
    confirm_many(con, [put])
    return put


def alive_object(con: duckdb.DuckDBPyConnection, object_key: str) -> dict | None:
    row = con.execute(
        "select * from raw.stored_objects where object_key = ? and deleted_at is null",
        [object_key],
    ).fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in con.description], row, strict=True))


def all_objects(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every ledger row, alive or deleted, for reconciling with the whole store."""
    return con.sql(
        """
        select object_key, call_id, call_date, kind, object_class, legal_basis, purposes,
               created_at, deadline, deleted_at, confirmed_at
        from raw.stored_objects order by object_key
        """
    ).pl()
