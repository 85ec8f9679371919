"""The warehouses the retention engine is tested on: the embedded DuckDB file and a DuckLake
(catalogue in the throwaway Postgres, Parquet in a local folder), selected the way a deployment
selects them, by ``LYDSPOR_WAREHOUSE`` and its two settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from assets.common.lake import Warehouse, connect
from assets.common.warehouse import ensure_table
from assets.recordings.ingest import CATALOGUE_TABLES
from assets.retention.ledger import ensure_ledger
from tests.support import warehouses
from tests.support.warehouses import catalogue_database_dir

#: The fixture that runs each test using it on both warehouses (tests/support/warehouses.py).
warehouse = warehouses.warehouse


@pytest.fixture
def warehouse_catalog(warehouse):
    """What the ``catalog`` fixture is, on the parametrized warehouse."""
    con = connect(warehouse)
    ensure_ledger(con)
    for table, schema in CATALOGUE_TABLES.items():
        ensure_table(con, table, schema)
    yield con
    con.close()


def warehouse_bytes(warehouse: Warehouse, postgres=None) -> list[Path]:
    """The folders where the warehouse keeps rows on disk: the DuckDB file's (its WAL too);
    the lake's data folder and its Postgres catalogue's table files (``base/<oid>``: the WAL is
    Postgres's to recycle, see docs/warehouse.md)."""
    if not warehouse.is_lake:
        return [Path(warehouse.database).parent]
    roots = [Path(warehouse.ducklake_data_path)]
    if postgres is not None:
        roots.append(catalogue_database_dir(postgres, warehouse))
    return roots
