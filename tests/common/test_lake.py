"""The warehouse switch: settings, the lake's URL (the same in Python and in dbt's profile),
and what the catalogue helpers do differently on a DuckLake (a DuckDB catalogue file here, so no
server is needed; the Postgres catalogue is tested in tests/retention/test_warehouses.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import jinja2
import pytest
import yaml

from assets.common.dbt_project import DBT_PROJECT_DIR
from assets.common.lake import (
    LakePurge,
    Warehouse,
    WarehouseError,
    connect,
    warehouse_from_environment,
)
from assets.common.warehouse import execute_ddl, in_transaction, is_lake
from assets.retention.remnants import RemnantReport
from lydspor.demo import purged_warehouse, summarise

DSN = "host=/tmp/sock port=5432 dbname=lake user=lydspor"


@pytest.mark.parametrize(
    ("catalog", "url", "dsn"),
    [
        (DSN, f"ducklake:postgres:{DSN}", DSN),
        (
            "postgresql://u@db/lake",
            "ducklake:postgres:postgresql://u@db/lake",
            "postgresql://u@db/lake",
        ),
        (f"postgres:{DSN}", f"ducklake:postgres:{DSN}", DSN),
        ("/srv/lake/catalogue.ducklake", "ducklake:/srv/lake/catalogue.ducklake", None),
    ],
)
def test_the_catalogue_setting_names_postgres_or_a_file(catalog, url, dsn):
    lake = Warehouse("ducklake", ducklake_catalog=catalog, ducklake_data_path="s3://lake/x/")
    assert lake.lake_url == url and lake.postgres_dsn == dsn and lake.data_on_s3
    assert _profile_lake_url(catalog) == url


def _profile_lake_url(catalog: str) -> str:
    """The ``ducklake:`` path dbt's profile attaches, rendered as dbt renders it."""
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    path = profile["lydspor"]["outputs"]["lake"]["attach"][0]["path"]
    return _render(path, {"LYDSPOR_DUCKLAKE_CATALOG": catalog})


def _render(template: str, env: dict[str, str]) -> str:
    return jinja2.Template(template).render(env_var=lambda name, default="": env.get(name, default))


def test_the_profile_picks_its_target_from_the_same_setting():
    target = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["lydspor"]["target"]
    for setting, expected in [("ducklake", "lake"), ("duckdb", "local"), (None, "local")]:
        env = {} if setting is None else {"LYDSPOR_WAREHOUSE": setting}
        assert _render(target, env) == expected


def test_the_default_is_the_duckdb_file_and_a_lake_needs_both_settings(tmp_path):
    default = warehouse_from_environment({"LYDSPOR_DUCKDB_PATH": str(tmp_path / "x.duckdb")})
    assert not default.is_lake and default.database.endswith("x.duckdb")
    with pytest.raises(WarehouseError, match="LYDSPOR_DUCKLAKE_DATA_PATH"):
        warehouse_from_environment(
            {"LYDSPOR_WAREHOUSE": "ducklake", "LYDSPOR_DUCKLAKE_CATALOG": DSN}
        )
    with pytest.raises(WarehouseError, match="one of"):
        Warehouse("sqlite")


def test_the_lake_refuses_the_stores_own_bucket():
    """The store-wide gate would fail on every Parquet file of a lake inside the store's bucket."""
    settings = {
        "LYDSPOR_WAREHOUSE": "ducklake",
        "LYDSPOR_DUCKLAKE_CATALOG": DSN,
        "LYDSPOR_BUCKET": "calls",
    }
    with pytest.raises(WarehouseError, match="bucket of its own"):
        warehouse_from_environment({**settings, "LYDSPOR_DUCKLAKE_DATA_PATH": "s3://calls/lake/"})
    lake = warehouse_from_environment({**settings, "LYDSPOR_DUCKLAKE_DATA_PATH": "s3://lake/x/"})
    assert lake.data_on_s3 and lake.s3["bucket"] == "calls"


@pytest.fixture
def lake(tmp_path) -> Warehouse:
    return Warehouse(
        "ducklake",
        ducklake_catalog=str(tmp_path / "catalogue.ducklake"),
        ducklake_data_path=f"{tmp_path / 'data'}/",
    )


def test_table_definitions_drop_primary_keys_only_on_a_lake(tmp_path, lake):
    ddl = "create schema if not exists raw; create table raw.t (k varchar primary key, v int);"
    with connect(Warehouse(database=str(tmp_path / "file.duckdb"))) as con:
        assert not is_lake(con)
        execute_ddl(con, ddl)
        con.execute("insert into raw.t values ('a', 1)")
        with pytest.raises(duckdb.ConstraintException):
            con.execute("insert into raw.t values ('a', 2)")
    with connect(lake) as con:
        assert is_lake(con) and con.execute("select current_database()").fetchone() == ("lydspor",)
        execute_ddl(con, ddl)
        con.execute("insert into raw.t values ('a', 1)")
        assert con.execute("select count(*) from raw.t").fetchone() == (1,)
    assert list(Path(lake.ducklake_data_path).rglob("*.parquet"))  # not inlined: Parquet


def test_an_open_transaction_is_seen_on_a_lake(lake):
    with connect(lake) as con:
        assert not in_transaction(con)
        con.begin()
        assert in_transaction(con)
        con.rollback()


def test_read_only_opens_attach_the_warehouse_under_its_catalogue_name(tmp_path, lake):
    """Every reader gets the same shape on both warehouses: an in-memory DuckDB with the
    warehouse attached read-only and made the default, so writes are refused and private
    tables go to ``memory``."""
    file = Warehouse(database=str(tmp_path / "catalogue.duckdb"))
    for warehouse, name in ((file, "catalogue"), (lake, "lydspor")):
        with connect(warehouse) as con:
            con.execute("create schema if not exists raw; create table raw.t as select 1 as n")
        with connect(warehouse, read_only=True) as con:
            assert con.execute("select current_database()").fetchone() == (name,)
            assert con.execute("select n from raw.t").fetchall() == [(1,)]
            with pytest.raises(duckdb.Error, match=r"read.only"):
                con.execute("insert into raw.t values (2)")
            con.execute("create table memory.main.mine as select * from raw.t")
    with pytest.raises(duckdb.IOException):  # as duckdb.connect(read_only=True) raises it
        connect(Warehouse(database=str(tmp_path / "missing.duckdb")), read_only=True)


def test_a_failed_attach_names_the_catalogue_setting_not_its_password(tmp_path):
    dsn = "host=/nonexistent port=5432 dbname=lake user=lydspor password=s3cret-pw"
    lake = Warehouse("ducklake", "", dsn, str(tmp_path / "data") + "/")
    with pytest.raises(duckdb.IOException) as failure:
        connect(lake, read_only=True)
    assert "s3cret" not in str(failure.value) and "<LYDSPOR_DUCKLAKE_CATALOG>" in str(failure.value)
    assert failure.value.__cause__ is None and failure.value.__suppress_context__


def test_the_demo_summary_reads_the_warehouse_it_is_given(tmp_path, lake):
    """``lydspor.demo.summarise`` opens the lake, not the DuckDB file the settings also name
    (here: a file holding other calls)."""
    recordings = (
        "create schema if not exists raw; create table raw.recordings as select * from (values "
        "('c1', date '2026-11-02', 60.0, 'stereo', 'genesys'), "
        "('c2', date '2026-11-02', 120.0, 'mono', 'adversus')) "
        "v(call_id, call_date, duration_s, recording_mode, dialer)"
    )
    file = Warehouse(database=str(tmp_path / "lydspor.duckdb"))
    with connect(file) as con:
        con.execute(recordings + " where call_id = 'c1'")
    with connect(lake) as con:
        con.execute(recordings)
        con.execute("create table main.fct_calls as select call_id from raw.recordings")
    day = date(2026, 11, 2)
    summary = summarise(replace(lake, database=file.database), day, day)
    assert (summary.calls, summary.audio_minutes, summary.mono_calls) == (2, 3.0, 1)
    assert summary.dialers == ("adversus", "genesys") and summary.mart_rows["fct_calls"] == 2
    assert summarise(file, day, day).calls == 1


def test_the_erasure_follow_up_says_what_the_purge_did_to_either_warehouse():
    assert purged_warehouse(RemnantReport()) == "DuckDB file rewritten"
    refused = purged_warehouse(RemnantReport(lake=LakePurge(0.1, 2, 3, 4, True, False)))
    assert "2 file(s) rewritten, 4 deleted" in refused and "WAL not checkpointed" in refused
    done = purged_warehouse(RemnantReport(lake=LakePurge(0.1, 2, 3, 4, True, True)))
    assert done.endswith("WAL checkpointed")
