"""The two warehouses a test can run on: the embedded DuckDB file and a DuckLake (catalogue in
the throwaway Postgres, Parquet in a local folder), selected the way a deployment selects them,
by ``LYDSPOR_WAREHOUSE`` and its two settings.

    from tests.support.warehouses import warehouse  # noqa: F401  (in a conftest)
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from assets.common.lake import DUCKDB, DUCKLAKE, Warehouse, warehouse_from_environment


def use_ducklake(monkeypatch, postgres, data_path: str) -> Warehouse:
    """Switch this test's lydspor to a DuckLake in a fresh Postgres database of its own."""
    database = f"lake_{uuid.uuid4().hex[:12]}"
    postgres.create_database(database)
    monkeypatch.setenv("LYDSPOR_WAREHOUSE", DUCKLAKE)
    monkeypatch.setenv("LYDSPOR_DUCKLAKE_CATALOG", postgres.dsn_for(database))
    monkeypatch.setenv("LYDSPOR_DUCKLAKE_DATA_PATH", data_path)
    return warehouse_from_environment()


@pytest.fixture(params=[DUCKDB, DUCKLAKE])
def warehouse(request, lydspor_state, monkeypatch) -> Warehouse:
    """Each test using it runs on both warehouses."""
    if request.param == DUCKLAKE:
        postgres = request.getfixturevalue("postgres")
        return use_ducklake(monkeypatch, postgres, f"{lydspor_state / 'lake'}/")
    return warehouse_from_environment()


def catalogue_database_dir(postgres, warehouse: Warehouse) -> Path:
    """The folder of the lake's own Postgres database (``base/<oid>``): the server is the test
    session's, and other tests' databases hold the same sample values."""
    dsn = dict(part.split("=", 1) for part in (warehouse.postgres_dsn or "").split())
    oid = postgres.psql(f"select oid from pg_database where datname = '{dsn['dbname']}'")
    return postgres.data_dir / "base" / oid
