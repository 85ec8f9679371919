"""The lake purge on Postgres: planner statistics re-taken before the rewrite, and the WAL
segments that hold erased rows switched out and checkpointed, so Postgres removes them
(``wal_recycle = off``), where the catalogue's role may; a role that may not still gets the
rest of the purge. On throwaway Postgres clusters (tests/support/postgres.py)."""

from __future__ import annotations

import time
import uuid

import pytest

from assets.common.lake import DUCKLAKE, Warehouse, connect, purge_lake
from tests.support.postgres import PostgresServer
from tests.support.remanence import scan_bytes
from tests.support.warehouses import catalogue_database_dir

PHONE = "+4791234567"
KEPT = "+4799999999"


@pytest.fixture(scope="module")
def private_postgres(postgres):
    """A cluster of this module's own (the WAL is the cluster's: the session's server carries
    other tests' writes of the same sample values), with ``wal_recycle = off``. Requested
    through ``postgres`` so missing binaries skip or fail the same way."""
    with PostgresServer() as server:
        server.psql("ALTER SYSTEM SET wal_recycle = off")
        server.psql("SELECT pg_reload_conf()")
        yield server


def _in_wal_soon(wal, timeout_s: float = 10.0) -> list:
    """The tests' servers commit asynchronously (``-c synchronous_commit=off`` on their command
    line, which ``ALTER SYSTEM`` does not override): the WAL writer writes a commit's records a
    few hundred milliseconds after it returns, so the scan waits for them."""
    deadline = time.monotonic() + timeout_s
    while not (found := scan_bytes(wal, [PHONE])) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def _lake(tmp_path, dsn: str) -> Warehouse:
    return Warehouse(DUCKLAKE, str(tmp_path / "lydspor.duckdb"), dsn, f"{tmp_path / 'lake'}/")


def _erase(lake: Warehouse) -> None:
    with connect(lake) as con:
        con.execute("create schema if not exists raw")
        con.execute("create table raw.calls (call_id varchar, customer_number varchar)")
        con.execute(f"insert into raw.calls values ('erased-1', '{PHONE}'), ('kept-1', '{KEPT}')")
        con.execute("delete from raw.calls where call_id = 'erased-1'")


def test_the_purge_checkpoints_the_catalogue_so_its_wal_lets_go_of_erased_rows(
    tmp_path, private_postgres
):
    postgres = private_postgres
    database = f"lake_{uuid.uuid4().hex[:12]}"
    lake = _lake(tmp_path, postgres.create_database(database))
    _erase(lake)
    wal = postgres.data_dir / "pg_wal"
    assert _in_wal_soon(wal)  # the catalogue's inserts (column bounds) are in the WAL
    # What autovacuum does on its own schedule: planner statistics taken from the values.
    postgres.psql("ANALYZE", database)
    postgres.psql("CHECKPOINT")
    assert scan_bytes(catalogue_database_dir(postgres, lake), [PHONE])

    purged = purge_lake(lake)

    assert purged.wal_checkpointed
    assert scan_bytes(wal, [PHONE]) == []
    assert scan_bytes(catalogue_database_dir(postgres, lake), [PHONE]) == []
    with connect(lake, read_only=True) as con:
        assert con.execute("select * from raw.calls").fetchall() == [("kept-1", KEPT)]


def test_a_role_that_may_not_checkpoint_still_gets_the_rest_of_the_purge(tmp_path, postgres):
    role = f"lake_{uuid.uuid4().hex[:12]}"
    postgres.psql(f'CREATE ROLE "{role}" LOGIN')
    postgres.psql(f'CREATE DATABASE "{role}" OWNER "{role}"')
    lake = _lake(tmp_path, postgres.dsn_for(role).replace(f"user={postgres.user}", f"user={role}"))
    _erase(lake)

    purged = purge_lake(lake)

    assert not purged.wal_checkpointed and purged.files_deleted > 0
    assert scan_bytes(catalogue_database_dir(postgres, lake), [PHONE]) == []
    with connect(lake, read_only=True) as con:
        assert con.execute("select * from raw.calls").fetchall() == [("kept-1", KEPT)]
