"""The retention ledger: every object lydspor stores, its basis and deadline, and its deletion.

Rows are written when an object is stored and updated only when it is deleted; nothing here
removes a row, so the ledger stays the proof of what was kept and for how long.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import polars as pl

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
    deletion_reason varchar
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


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LEDGER_DDL)


#: The ledger rows ``register_many`` writes, as a frame (one statement for a whole batch).
_REGISTER_SCHEMA = pl.Schema(
    {
        **_OBJECT_COLUMNS,
        "sha256": pl.String,
        "size_bytes": pl.Int64,
        "created_at": _TIMESTAMP,
        "deadline": _TIMESTAMP,
    }
)

_REGISTER_SQL = f"""
insert into raw.stored_objects ({", ".join(_REGISTER_SCHEMA)})
select {", ".join(_REGISTER_SCHEMA)} from _lydspor_ledger_rows
on conflict (object_key) do update set
    sha256 = excluded.sha256,
    size_bytes = excluded.size_bytes,
    created_at = case when stored_objects.deleted_at is null
        then stored_objects.created_at else excluded.created_at end,
    deadline = case when stored_objects.deleted_at is null
        then stored_objects.deadline else excluded.deadline end,
    legal_basis = excluded.legal_basis,
    purposes = excluded.purposes,
    deleted_at = null,
    deletion_reason = null
"""


def register(con: duckdb.DuckDBPyConnection, obj: StoredObject) -> None:
    """Record a stored object. Re-registering an alive key keeps its first created_at/deadline;
    a key written again after deletion starts a new life."""
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
    )


def alive_object(con: duckdb.DuckDBPyConnection, object_key: str) -> dict | None:
    row = con.execute(
        "select * from raw.stored_objects where object_key = ? and deleted_at is null",
        [object_key],
    ).fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in con.description], row, strict=True))


def objects_for_window(con: duckdb.DuckDBPyConnection, start: date, end: date) -> pl.DataFrame:
    return con.sql(
        f"""
        select object_key, call_id, call_date, kind, object_class, legal_basis, purposes,
               created_at, deadline, deleted_at
        from raw.stored_objects
        where call_date >= '{start.isoformat()}' and call_date < '{end.isoformat()}'
        order by object_key
        """
    ).pl()
