"""The warehouse: the embedded DuckDB file, or a DuckLake for deployments with many writers.

One setting switches (``LYDSPOR_WAREHOUSE``): ``duckdb`` (the default) opens the single DuckDB
file; ``ducklake`` attaches a DuckLake whose catalogue is a Postgres database (a libpq DSN,
``LYDSPOR_DUCKLAKE_CATALOG``; or a DuckDB file for a single box) and whose data is Parquet
under ``LYDSPOR_DUCKLAKE_DATA_PATH`` (``s3://bucket/prefix`` on the object store's S3, or a
local folder). The lake is attached as ``lydspor`` (the DuckDB file's stem) and made the
default catalogue, so every query, and every dbt view that names its catalogue, reads the same
on both.

Small writes are not inlined into the catalogue (``DATA_INLINING_ROW_LIMIT 0``): every row is
in a Parquet file, so erasure has one place to make bytes go (:func:`purge_lake`).

The extensions come from their PyPI wheels (``duckdb-extension-*``, pinned to the duckdb pin):
nothing is downloaded at run time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import duckdb_extensions

from assets.common.compaction import compact_database
from assets.common.settings import CATALOGUE_VARIABLES, OBJECT_STORE_VARIABLES, from_environment
from assets.common.storage import is_true

DUCKDB, DUCKLAKE = "duckdb", "ducklake"
WAREHOUSES = (DUCKDB, DUCKLAKE)
#: The name the lake is attached under: what the DuckDB file's catalogue is called.
LAKE_ALIAS = "lydspor"
#: What the lake needs: the lake itself, its Postgres catalogue, and S3 for its data.
LAKE_EXTENSIONS = ("ducklake", "postgres_scanner", "httpfs")
#: The name the Postgres catalogue is attached under while it is vacuumed.
_CATALOGUE = "lydspor_lake_catalogue"
#: The secret the S3 data path is read and written with (and the store's Parquet read).
S3_SECRET = "lydspor_store"


class WarehouseError(ValueError):
    """The warehouse settings are incomplete or name an unknown warehouse."""


@dataclass(frozen=True)
class Warehouse:
    """Where the catalogue lives. ``s3``: the object store's settings (``OBJECT_STORE_VARIABLES``
    names), used for the httpfs secret when the data path is on S3."""

    kind: str = DUCKDB
    database: str = ""
    #: Left out of the repr, as ``s3`` is: a DSN can carry a password, and a repr ends up in
    #: tracebacks and run logs.
    ducklake_catalog: str = field(default="", repr=False)
    ducklake_data_path: str = ""
    s3: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in WAREHOUSES:
            raise WarehouseError(
                f"LYDSPOR_WAREHOUSE must be one of {WAREHOUSES}, not {self.kind!r}"
            )
        if self.is_lake and not (self.ducklake_catalog and self.ducklake_data_path):
            raise WarehouseError(
                "LYDSPOR_WAREHOUSE=ducklake needs LYDSPOR_DUCKLAKE_CATALOG and "
                "LYDSPOR_DUCKLAKE_DATA_PATH"
            )
        if self.data_on_s3 and self.ducklake_data_path[5:].split("/")[0] == self.s3.get("bucket"):
            # The store-wide gate fails on any object in the store's bucket that the ledger
            # cannot explain, and the lake's Parquet is not in the ledger.
            raise WarehouseError(
                "LYDSPOR_DUCKLAKE_DATA_PATH must be in a bucket of its own, not LYDSPOR_BUCKET"
            )

    @property
    def is_lake(self) -> bool:
        return self.kind == DUCKLAKE

    @property
    def lake_url(self) -> str:
        """``ducklake:postgres:<dsn>`` for a Postgres catalogue (a libpq ``key=value`` DSN or a
        ``postgresql://`` URL), else ``ducklake:<file>`` (a DuckDB catalogue file)."""
        catalog = self.ducklake_catalog.strip()
        if catalog.startswith("postgres:") and not catalog.startswith("postgres://"):
            return f"ducklake:{catalog}"
        if "=" in catalog or "://" in catalog:
            return f"ducklake:postgres:{catalog}"
        return f"ducklake:{catalog}"

    @property
    def postgres_dsn(self) -> str | None:
        """The Postgres catalogue's connection string; None for a DuckDB catalogue file."""
        url = self.lake_url.removeprefix("ducklake:")
        return url.removeprefix("postgres:") if url.startswith("postgres:") else None

    @property
    def data_on_s3(self) -> bool:
        return self.ducklake_data_path.startswith("s3://")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def install_lake_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """Install the lake's extensions from their wheels (a local file, never the network) and
    load them."""
    for name in LAKE_EXTENSIONS:
        duckdb_extensions.import_extension(name, con=con)
        con.load_extension(name)


def create_s3_secret(con: duckdb.DuckDBPyConnection, s3: Mapping[str, str]) -> None:
    """A temporary httpfs secret for the object store's S3 (``OBJECT_STORE_VARIABLES`` names:
    endpoint, access_key, secret_key, secure, region)."""
    con.execute(
        f"CREATE OR REPLACE TEMPORARY SECRET {S3_SECRET} "
        "(TYPE s3, KEY_ID ?, SECRET ?, ENDPOINT ?, URL_STYLE 'path', USE_SSL ?, REGION ?)",
        [
            s3.get("access_key", ""),
            s3.get("secret_key", ""),
            s3.get("endpoint", ""),
            is_true(s3.get("secure", "false")),
            s3.get("region") or "us-east-1",
        ],
    )


def attach_lake(con: duckdb.DuckDBPyConnection, warehouse: Warehouse, read_only: bool = False):
    """Attach the DuckLake as ``lydspor`` and make it the default catalogue."""
    install_lake_extensions(con)
    if warehouse.data_on_s3:
        create_s3_secret(con, warehouse.s3)
    options = [f"DATA_PATH {_quote(warehouse.ducklake_data_path)}", "DATA_INLINING_ROW_LIMIT 0"]
    if read_only:
        options.append("READ_ONLY")
    con.execute(
        f"ATTACH IF NOT EXISTS {_quote(warehouse.lake_url)} AS {LAKE_ALIAS} ({', '.join(options)})"
    )
    con.execute(f"USE {LAKE_ALIAS}")


def connect(
    warehouse: Warehouse, *, read_only: bool = False, config: Mapping[str, object] | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection whose default catalogue is the warehouse, the one way lydspor opens it.

    Read-write: the DuckDB file itself, or an in-memory DuckDB with the lake attached.
    Read-only (every read path: ``lydspor query`` sessions, the CLI's and web app's catalogue
    reads, the demo's summary): an in-memory DuckDB with the warehouse attached ``READ_ONLY``
    under its catalogue name (the file's stem, or ``lydspor``) and made the default, on both
    warehouses alike, so a reader may build private tables in ``memory`` and then detach the
    warehouse (what a role-scoped session does). ``duckdb.IOException`` while another process
    holds the file's write lock, as ``duckdb.connect`` raises it."""
    if not warehouse.is_lake and not read_only:
        return duckdb.connect(warehouse.database, config=dict(config or {}))
    con = duckdb.connect(":memory:", config=dict(config or {}))
    try:
        if warehouse.is_lake:
            attach_lake(con, warehouse, read_only=read_only)
        else:
            name = '"' + Path(warehouse.database).stem.replace('"', '""') + '"'
            con.execute(f"ATTACH {_quote(warehouse.database)} AS {name} (READ_ONLY)")
            con.execute(f"USE {name}")
    except duckdb.Error as exc:
        con.close()
        raise _without_dsn(exc, warehouse) from None
    except BaseException:
        con.close()
        raise
    return con


def _without_dsn(exc: duckdb.Error, warehouse: Warehouse) -> duckdb.Error:
    """``exc`` with the catalogue's DSN (which can carry a password) named by its setting
    instead: the message reaches terminals, run logs and the web app's server log."""
    catalog = warehouse.ducklake_catalog.strip()
    message = str(exc)
    if not (warehouse.is_lake and catalog and catalog in message):
        return exc
    return type(exc)(message.replace(catalog, "<LYDSPOR_DUCKLAKE_CATALOG>"))


#: The catalogue the lake's metadata is attached as, inside a connection to the lake.
_METADATA = f"__ducklake_metadata_{LAKE_ALIAS}"
#: A table's minimum and maximum per column outlive the rows that set them: DuckLake widens
#: them on insert and never narrows them, so an erased phone number or name can stay there as
#: a live value. For text columns (where such values are) they are recomputed from the files
#: that are left (text compares the same as a string, so the bounds stay exact).
_TEXT_STATS_SQL = f"""
update {_METADATA}.ducklake_table_column_stats s set
    min_value = (select min(f.min_value) from {_METADATA}.ducklake_file_column_stats f
        join {_METADATA}.ducklake_data_file d using (data_file_id)
        where d.end_snapshot is null and f.table_id = s.table_id and f.column_id = s.column_id),
    max_value = (select max(f.max_value) from {_METADATA}.ducklake_file_column_stats f
        join {_METADATA}.ducklake_data_file d using (data_file_id)
        where d.end_snapshot is null and f.table_id = s.table_id and f.column_id = s.column_id)
where (s.table_id, s.column_id) in (
    select table_id, column_id from {_METADATA}.ducklake_column
    where column_type = 'varchar' and end_snapshot is null)
"""


@dataclass(frozen=True)
class LakePurge:
    """What :func:`purge_lake` did: files rewritten, snapshots expired, files deleted, whether
    the catalogue was rewritten too, and whether the Postgres catalogue's WAL was switched and
    checkpointed (False for a DuckDB catalogue file, or when the DSN's role may not)."""

    seconds: float
    files_rewritten: int
    snapshots_expired: int
    files_deleted: int
    catalogue_rewritten: bool
    wal_checkpointed: bool = False


def purge_lake(warehouse: Warehouse, *, wait_s: float = 0.0) -> LakePurge:
    """Make the bytes of deleted rows go from the lake, as the DuckDB file's rewrite does:

    1. rewrite every data file that has deleted rows (``delete_threshold`` 0: one deleted row
       is enough) and merge small files, so no live file holds an erased row;
    2. expire every snapshot but the current one, so no snapshot still references the old
       files (time travel to before an erasure must not bring it back);
    3. delete the files no snapshot references any more, now (``cleanup_all``), and any
       orphan a failed write left over ``LAKE_ORPHAN_GRACE`` ago;
    4. recompute the tables' text minima and maxima from the files left (DuckLake only ever
       widens them, so an erased value can be one);
    5. rewrite the catalogue, whose rows of the expired files (column minima and maxima: the
       values themselves) are deleted but not yet overwritten: ``ANALYZE`` (planner statistics
       hold values) then ``VACUUM FULL`` of the Postgres database (it locks each table for the
       moment it is rewritten), or the DuckDB catalogue
       file's rewrite (``compaction``; ``wait_s`` as there);
    6. on Postgres, switch to a new WAL segment and ``CHECKPOINT``, so the segments that hold
       the erased rows' inserts are behind the checkpoint and removed (``wal_recycle = off``)
       or recycled, not kept for crash recovery. Only where the DSN's role may (a superuser,
       or a member of ``pg_checkpoint`` with ``EXECUTE`` on ``pg_switch_wal``); otherwise
       Postgres does the same at its next timed checkpoint once the segment fills, and
       ``wal_checkpointed`` says so. Archives, backups and replicas are the operator's
       (docs/warehouse.md).

    Run it after the transactions that deleted the rows committed."""
    started = time.monotonic()
    lake = _quote(LAKE_ALIAS)
    checkpointed = False
    con = connect(warehouse)
    try:
        rewritten = con.execute(
            f"CALL ducklake_rewrite_data_files({lake}, delete_threshold => 0.0)"
        ).fetchall()
        con.execute(f"CALL ducklake_merge_adjacent_files({lake})").fetchall()
        expired = con.execute(
            f"CALL ducklake_expire_snapshots({lake}, older_than => now() + interval 1 second)"
        ).fetchall()
        deleted = con.execute(
            f"CALL ducklake_cleanup_old_files({lake}, cleanup_all => true)"
        ).fetchall()
        # Not cleanup_all: an unrecorded young file may be a concurrent writer's, not junk.
        orphans = delete_orphaned_files(con, datetime.now(UTC) - LAKE_ORPHAN_GRACE)
        con.execute(_TEXT_STATS_SQL)
        # The lake's own connection to its catalogue holds a snapshot open: let go of it.
        con.execute(f"USE memory; DETACH {LAKE_ALIAS}")
        if warehouse.postgres_dsn is not None:
            con.execute(f"ATTACH {_quote(warehouse.postgres_dsn)} AS {_CATALOGUE} (TYPE postgres)")
            # ANALYZE first: the planner statistics (pg_statistic: most common values,
            # histogram bounds) an earlier (auto)analyze took hold catalogue values, the erased
            # ones too, and VACUUM FULL keeps them; re-taken from the rows left, the old ones are
            # dead tuples the rewrite drops. VACUUM cannot run inside a transaction block.
            for statement in ("ANALYZE", "VACUUM FULL"):
                con.execute(
                    f"CALL postgres_execute('{_CATALOGUE}', {_quote(statement)}, "
                    "use_transaction => false)"
                )
            checkpointed = _checkpoint_wal(con)
    finally:
        con.close()
    if warehouse.postgres_dsn is None:
        compact_database(Path(warehouse.ducklake_catalog), wait_s=wait_s)
    return LakePurge(
        time.monotonic() - started,
        len(rewritten),
        len(expired),
        len(deleted) + len(orphans),
        True,
        checkpointed,
    )


def is_lake_connection(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con`` has the lake attached (what :func:`connect` opens on a DuckLake)."""
    return bool(
        con.execute(
            "select 1 from duckdb_databases() where database_name = ? and type = 'ducklake'",
            [LAKE_ALIAS],
        ).fetchone()
    )


#: How long an unreferenced lake file is left alone (a duration, from the wall clock): it may be
#: the write of a catalogue transaction still open (another run's step, mid-write), so this is
#: longer than any one step's transaction. A killed writer's files go at the first sweep or
#: purge after it. Files of committed data an erasure dropped are not orphans: the purge
#: deletes those at once (``ducklake_cleanup_old_files``).
LAKE_ORPHAN_GRACE = timedelta(hours=1)


def delete_orphaned_files(con: duckdb.DuckDBPyConnection, written_before: datetime) -> list[str]:
    """Delete the lake's data files that no snapshot references and that were last written
    before ``written_before``; their paths. A writer that died inside its transaction (a run
    killed mid-step) leaves the Parquet it had written: DuckLake only records a file when the
    transaction commits, and keeps what it never recorded until told to delete it. Files
    younger than ``written_before`` are left alone, since they may belong to a transaction
    still open. Nothing on a connection without the lake."""
    if not is_lake_connection(con):
        return []
    rows = con.execute(
        f"CALL ducklake_delete_orphaned_files({_quote(LAKE_ALIAS)}, older_than => ?::timestamptz)",
        [written_before],
    ).fetchall()
    return sorted(row[0] for row in rows)


#: Whether the catalogue's role may switch the WAL and checkpoint (``pg_checkpoint``: 15+).
_MAY_CHECKPOINT_SQL = """
select (select rolsuper from pg_roles where rolname = current_user)
    or (case when exists (select 1 from pg_roles where rolname = 'pg_checkpoint')
             then pg_has_role(current_user, 'pg_checkpoint', 'member') else false end
        and has_function_privilege('pg_catalog.pg_switch_wal()', 'execute'))
"""


def _checkpoint_wal(con: duckdb.DuckDBPyConnection) -> bool:
    """Step 6 of :func:`purge_lake` on the attached Postgres catalogue; False when the role
    may not."""
    may = con.execute(
        f"SELECT * FROM postgres_query('{_CATALOGUE}', {_quote(_MAY_CHECKPOINT_SQL)})"
    ).fetchone()[0]
    if not may:
        return False
    # The segment being written holds the erased rows' inserts: close it first, or the
    # checkpoint's own redo point keeps it.
    for statement in ("SELECT pg_switch_wal()", "CHECKPOINT"):
        con.execute(
            f"CALL postgres_execute('{_CATALOGUE}', {_quote(statement)}, use_transaction => false)"
        )
    return True


def warehouse_from_settings(
    settings: Mapping[str, str | None], s3: Mapping[str, str | None] | None = None
) -> Warehouse:
    """The warehouse from a ``CATALOGUE_VARIABLES`` mapping of settings; a missing lake setting
    reads as empty (an older ``.env`` names only the DuckDB file)."""
    return Warehouse(
        kind=(settings.get("warehouse") or DUCKDB).strip().lower(),
        database=settings.get("database") or "",
        ducklake_catalog=settings.get("ducklake_catalog") or "",
        ducklake_data_path=settings.get("ducklake_data_path") or "",
        s3={k: v or "" for k, v in (s3 or {}).items()},
    )


def warehouse_from_environment(environ: Mapping[str, str] = os.environ) -> Warehouse:
    """The warehouse the environment names, with the object store's S3 settings."""
    return warehouse_from_settings(
        from_environment(CATALOGUE_VARIABLES, environ.get),
        from_environment(OBJECT_STORE_VARIABLES, environ.get),
    )
