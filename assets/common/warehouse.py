"""Small helpers for writing typed Polars frames into the DuckDB catalogue."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import polars as pl

#: The columns every per-call table starts with: the call, and the day it is partitioned by.
CALL_KEY = {"call_id": pl.String, "call_date": pl.Date}


def upsert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, keys: list[str]) -> int:
    """Insert ``frame`` into ``table`` (created from the frame's schema), replacing rows with
    the same key. Returns the number of rows written."""
    schema = table.split(".", 1)[0] if "." in table else "main"
    con.execute(f"create schema if not exists {schema}")
    con.register("_lydspor_frame", frame.to_arrow())
    try:
        con.execute(
            f"create table if not exists {table} as select * from _lydspor_frame where false"
        )
        if frame.height:
            match = " and ".join(f"t.{k} = f.{k}" for k in keys)
            con.execute(
                f"delete from {table} t where exists (select 1 from _lydspor_frame f where {match})"
            )
            columns = ", ".join(frame.columns)
            con.execute(f"insert into {table} ({columns}) select {columns} from _lydspor_frame")
    finally:
        con.unregister("_lydspor_frame")
    return frame.height


def first_column(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> list:
    """The first column of every row ``sql`` returns, in order."""
    return [r[0] for r in con.execute(sql, params).fetchall()]


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".", 1) if "." in table else ("main", table)
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def table_ddl(table: str, columns: str) -> str:
    """``create table if not exists`` for a schema-qualified ``table`` with ``columns`` (SQL
    column definitions), creating its schema first."""
    schema = table.split(".", 1)[0]
    return (
        f"create schema if not exists {schema};\ncreate table if not exists {table} ({columns});\n"
    )


#: What a DuckLake refuses in a table's definition: primary keys (and the unique index they are).
_KEY_CONSTRAINT = re.compile(r"\s+primary\s+key\b", re.IGNORECASE)


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's default catalogue is a DuckLake (``assets.common.lake``)."""
    row = con.execute(
        "select type from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    return bool(row) and row[0] == "ducklake"


def execute_ddl(con: duckdb.DuckDBPyConnection, ddl: str) -> None:
    """Run table definitions on either warehouse. A DuckLake has no primary keys: there they
    are left out, and the key stays unique because every write to such a table is a MERGE on
    it or an insert of a fresh key, and the steps that write the catalogue run one at a time
    (a DuckLake also aborts the later of two conflicting commits)."""
    con.execute(_KEY_CONSTRAINT.sub("", ddl) if is_lake(con) else ddl)


def ensure_table(con: duckdb.DuckDBPyConnection, table: str, schema) -> None:
    """Create ``table`` from a Polars schema if it is missing, so downstream reads never fail."""
    upsert(con, table, pl.DataFrame(schema=schema), [])


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One commit for everything inside; inside a transaction the caller opened, part of that
    one (the caller commits it)."""
    if in_transaction(con):
        yield
        return
    con.begin()
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    con.commit()


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the caller has a transaction open. Trying BEGIN is no test: in DuckDB a failed
    BEGIN aborts the open transaction. Each autocommitted statement runs in a transaction of
    its own, so two reads of the transaction id agree only inside an open one. (The id of the
    connection's transaction, not of one catalogue's: ``txid_current()`` fails on a DuckLake.)"""
    first = con.execute("select current_transaction_id()").fetchone()[0]
    return con.execute("select current_transaction_id()").fetchone()[0] == first
