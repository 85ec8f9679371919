"""The DuckDB rewrite: deleted rows leave no bytes, and everything else survives it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from assets.common.compaction import COPY_SUFFIX, compact_database
from assets.common.dbt_project import PRODUCTION_BUILD_EXCLUDES
from assets.common.warehouse import ensure_table
from assets.recordings.ingest import CATALOGUE_TABLES
from assets.retention.ledger import ensure_ledger
from tests.support.dbt import ensure_sources, run_dbt
from tests.support.remanence import scan_bytes

SECRET = "Kari Nordmann +4741234567"

#: What the catalogue holds besides rows; compared before and after the rewrite.
CATALOGUE = (
    "select schema_name, table_name, constraint_type, constraint_text from duckdb_constraints() "
    "order by all",
    "select schema_name, sequence_name, last_value from duckdb_sequences() order by all",
    "select schema_name, view_name, sql from duckdb_views() where not internal order by all",
    "select schema_name, function_name, macro_definition from duckdb_functions() "
    "where not internal order by all",
    "select schema_name, index_name, sql from duckdb_indexes() order by all",
    "select type_name from duckdb_types() where not internal order by all",
    "select schema_name, table_name, comment from duckdb_tables() order by all",
    "select table_name, column_name, data_type, column_default from duckdb_columns() "
    "where not internal order by all",
)


def build(path):
    """A catalogue shaped like lydspor's (the real raw tables with their primary keys, views
    naming the catalogue as dbt writes them, a macro, a sequence), with an erased customer."""
    con = duckdb.connect(str(path))
    # Stored as written, so the test sees the bytes whatever DuckDB's compression would pick.
    con.execute("pragma force_compression = 'uncompressed'")
    ensure_ledger(con)
    for table, schema in CATALOGUE_TABLES.items():
        ensure_table(con, table, schema)
    con.execute(
        """
        create sequence raw.request_seq start 1;
        create type raw.track as enum ('agent', 'customer');
        create table raw.words (
            id integer default nextval('raw.request_seq') primary key,
            call_id varchar not null, track raw.track, word varchar unique, check (id > 0));
        create index words_by_call on raw.words(call_id);
        create macro raw.shout(w) as upper(w);
        create view main.stg_words as select call_id, raw.shout(word) as word
            from lydspor.raw.words;
        create view main.int_words as select * from lydspor.main.stg_words;
        comment on table raw.words is 'one row per transcribed word';
        """
    )
    con.execute(
        "insert into raw.words (call_id, track, word) "
        "select 'call-' || (i % 7), 'agent', 'word' || i from range(5000) t(i)"
    )
    con.execute(
        "insert into raw.words (call_id, track, word) "
        "select 'call-erased', 'customer', ? || ' ' || i from range(2000) t(i)",
        [SECRET],
    )
    con.execute("checkpoint")
    con.execute("delete from raw.words where call_id = 'call-erased'")
    con.execute("checkpoint")
    con.close()


def snapshot(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        catalogue = {q: con.execute(q).fetchall() for q in CATALOGUE}
        rows = con.execute("select * from main.int_words order by all").fetchall()
        return catalogue, rows
    finally:
        con.close()


@pytest.fixture
def database(tmp_path):
    # Named as in production: the dbt views name the catalogue by the file's stem.
    path = tmp_path / "lydspor.duckdb"
    build(path)
    return path


def test_deleted_rows_leave_no_bytes_and_the_catalogue_survives(database):
    assert scan_bytes(database.parent, [SECRET]), "DuckDB should keep the freed blocks"
    before = snapshot(database)
    os.chmod(database, 0o600)

    result = compact_database(database)

    assert scan_bytes(database.parent, [SECRET]) == []
    assert snapshot(database) == before
    assert os.stat(database).st_mode & 0o777 == 0o600
    assert sorted(p.name for p in database.parent.iterdir()) == ["lydspor.duckdb"]
    assert result.bytes_after < result.bytes_before
    assert result.seconds > 0
    # Still a working database: the sequence continues, the key still holds.
    con = duckdb.connect(str(database))
    con.execute("insert into raw.words (call_id, word) values ('call-new', 'fresh')")
    # 7000 ids were handed out (the erased rows' too): none is handed out again.
    assert con.execute("select max(id) from raw.words").fetchone()[0] > 7000
    with pytest.raises(duckdb.ConstraintException):
        con.execute("insert into raw.words (call_id, word) values ('call-new', 'fresh')")
    with pytest.raises(duckdb.ConstraintException):
        con.execute(
            "insert into raw.stored_objects (object_key, call_date, kind, object_class, "
            "legal_basis, purposes, created_at, deadline) "
            "select 'k', current_date, 'k', 'c', 'b', [], now(), now() from range(2)"
        )
    con.close()


def test_a_crashed_writers_spill_files_go(database):
    spill = database.with_name(database.name + ".tmp")
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_text(SECRET)

    compact_database(database)

    assert not spill.exists()


def test_the_write_ahead_log_is_folded_in(database):
    con = duckdb.connect(str(database))
    con.execute("pragma disable_checkpoint_on_shutdown")
    con.execute("set wal_autocheckpoint = '1GB'")
    con.execute("insert into raw.words (call_id, word) values ('call-late', 'in the wal')")
    con.close()
    wal = database.with_name(database.name + ".wal")
    assert wal.exists()

    compact_database(database)

    assert not wal.exists()
    con = duckdb.connect(str(database), read_only=True)
    assert con.execute("select count(*) from raw.words where call_id = 'call-late'").fetchone() == (
        1,
    )
    con.close()


def test_an_open_connection_in_this_process_makes_it_fail(database):
    original = database.read_bytes()
    con = duckdb.connect(str(database))
    try:
        with pytest.raises(duckdb.Error):
            compact_database(database)
    finally:
        con.close()
    assert database.read_bytes() == original


@contextmanager
def held_open(database: Path, seconds: float) -> Iterator[None]:
    """Another process with ``database`` open for ``seconds``, then closed; inside the block it
    is open. Leaving the block stops the process if it still runs."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', "
            "flush=True); time.sleep(float(sys.argv[2])); c.close()",
            *(str(database), str(seconds)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        yield
    finally:
        holder.kill()
        holder.wait()


def test_another_process_holding_the_file_makes_it_fail(database):
    original = database.read_bytes()
    with held_open(database, seconds=60), pytest.raises(duckdb.IOException, match="lock"):
        compact_database(database)
    assert database.read_bytes() == original


def test_a_failed_copy_leaves_the_old_file(database):
    con = duckdb.connect(str(database))
    # DuckDB copies tables in an order that can break a foreign key: the copy fails.
    con.execute("create table raw.parent (id integer primary key)")
    con.execute("create table raw.child (pid integer references raw.parent(id))")
    con.execute("insert into raw.parent values (1), (2)")
    con.execute("insert into raw.child values (2)")
    con.close()
    original = database.read_bytes()

    with pytest.raises(duckdb.Error):
        compact_database(database)

    assert database.read_bytes() == original
    assert not database.with_name(database.name + COPY_SUFFIX).exists()


def test_it_waits_for_another_process_to_let_go(database):
    with held_open(database, seconds=1.5):
        compact_database(database, wait_s=30)
    assert scan_bytes(database.parent, [SECRET]) == []


def test_the_dbt_projects_catalogue_survives(catalog, tmp_path, policy):
    """The real project built (`--empty`: its views select nothing) on the test catalogue: every
    staging and intermediate view, mart, seed and key is the same after the rewrite."""
    ensure_sources(catalog)
    catalog.execute(
        "insert into raw.recordings (call_id, call_date, dialer, direction, agent_id) "
        "values ('call-1', date '2026-11-02', 'generic', 'inbound', 'agent-a')"
    )
    catalog.close()  # dbt and the rewrite need the file to themselves
    run_dbt("build", tmp_path, policy.mart_purposes, "--empty", *PRODUCTION_BUILD_EXCLUDES)
    database = Path(os.environ["LYDSPOR_DUCKDB_PATH"])

    def contents():
        con = duckdb.connect(str(database), read_only=True)
        try:
            relations = con.execute(
                "select table_schema, table_name from information_schema.tables order by all"
            ).fetchall()
            counts = {
                r: con.execute(f'select count(*) from "{r[0]}"."{r[1]}"').fetchone()[0]
                for r in relations
            }
            return {q: con.execute(q).fetchall() for q in CATALOGUE}, counts
        finally:
            con.close()

    before = contents()
    views = {name for (_, name, _) in before[0][CATALOGUE[2]]}
    assert {"stg_lydspor__calls", "int_agent_turns"} <= views
    assert before[1][("raw", "recordings")] == 1

    compact_database(database)

    assert contents() == before
