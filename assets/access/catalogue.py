"""Opening the catalogue for the people who read it: the CLI, the web app, sessions, notebooks.

Every reader opens the warehouse the environment names (the DuckDB file or the DuckLake,
``assets.common.lake``) through :func:`open_catalogue`, so what one reader sees and the access
rules applied to it are the same on both warehouses.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from assets.common.lake import Warehouse, connect
from assets.retention.tables import ensure_compliance_tables, has_compliance_tables


class CatalogueMissing(FileNotFoundError):
    """The DuckDB file, or the lake, does not exist yet: nothing has run."""


def require_catalogue(warehouse: Warehouse) -> None:
    """Raise :class:`CatalogueMissing` when the warehouse is a DuckDB file not made yet, rather
    than let a read-write open create an empty one."""
    path = Path(warehouse.database)
    if not warehouse.is_lake and not path.exists():
        raise CatalogueMissing(f"no catalogue at {path}: run `lydspor demo` or `lydspor run` first")


def connect_reading(
    warehouse: Warehouse, config: dict[str, object] | None = None
) -> duckdb.DuckDBPyConnection:
    """``lake.connect(warehouse, read_only=True)``; :class:`CatalogueMissing` for a DuckDB
    file or a lake not made yet (a read-only open never creates either)."""
    require_catalogue(warehouse)
    try:
        return connect(warehouse, read_only=True, config=config)
    except duckdb.InvalidInputException as exc:
        # DuckLake refuses to create a lake on a read-only attach.
        if warehouse.is_lake and "does not exist" in str(exc):
            raise CatalogueMissing(
                "no lake in LYDSPOR_DUCKLAKE_CATALOG yet: run `lydspor demo` or `lydspor run` first"
            ) from None
        raise


def open_catalogue(warehouse: Warehouse, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The warehouse with its compliance tables; read-only for commands and pages that only
    look, so they never block a run. Tables a newer lydspor added are created once, read-write,
    before anything reads them (``duckdb.IOException`` while a run holds the DuckDB file)."""
    if not read_only:
        require_catalogue(warehouse)
        con = connect(warehouse)
        try:
            ensure_compliance_tables(con)
        except BaseException:
            con.close()
            raise
        return con
    con = connect_reading(warehouse)
    if has_compliance_tables(con):
        return con
    con.close()
    with connect(warehouse) as writable:
        ensure_compliance_tables(writable)
    return connect(warehouse, read_only=True)
