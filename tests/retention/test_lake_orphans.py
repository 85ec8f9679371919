"""The sweep deletes the Parquet a writer killed inside its transaction left in the lake.

DuckLake records a data file only when the transaction that wrote it commits; a process killed
before that leaves the file in the data path, referenced by no snapshot, until someone deletes
it. Here a real writer process is SIGKILLed mid-transaction."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assets.common.lake import (
    LAKE_ORPHAN_GRACE,
    connect,
    delete_orphaned_files,
    is_lake_connection,
    purge_lake,
)
from assets.retention import audit
from assets.retention.sweep import sweep
from assets.retention.tables import ensure_compliance_tables
from tests.support.warehouses import use_ducklake

pytestmark = pytest.mark.compliance

REPO = Path(__file__).resolve().parents[2]
TABLE = "raw.orphan_probe"
#: A writer that inserts in a transaction and is killed before it commits.
KILLED_WRITER = f"""
import os, signal
from assets.common.lake import connect, warehouse_from_environment
con = connect(warehouse_from_environment())
con.execute("begin")
con.execute("insert into {TABLE} select 'killed', range from range(1000)")
os.kill(os.getpid(), signal.SIGKILL)
"""


def kill_a_writer() -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER], cwd=REPO, capture_output=True, timeout=120
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]


def parquet(data: Path) -> set[Path]:
    """The probe table's files (the sweep's own audit entries write files of their own)."""
    return set((data / TABLE.replace(".", "/")).rglob("*.parquet"))


def age(paths: set[Path], by: timedelta) -> None:
    then = time.time() - by.total_seconds()
    for path in paths:
        os.utime(path, (then, then))


@pytest.fixture
def lake(postgres, lydspor_state, monkeypatch):
    data = lydspor_state / "lake"
    warehouse = use_ducklake(monkeypatch, postgres, f"{data}/")
    with connect(warehouse) as con:
        ensure_compliance_tables(con)
        con.execute(f"create table {TABLE} (call_id varchar, n integer)")
        con.execute(f"insert into {TABLE} values ('kept', 1)")
    return warehouse, data


def test_the_sweep_deletes_what_a_killed_writer_left_once_past_the_grace(lake, local_store):
    warehouse, data = lake
    committed = parquet(data)
    assert committed, "the committed row is in no Parquet file"
    kill_a_writer()
    stale = parquet(data) - committed
    assert stale, "the killed writer left no file: nothing to test"
    # Files of a writer that might still commit are left alone...
    with connect(warehouse) as con:
        assert sweep(local_store, con).lake_files_deleted == []
    assert parquet(data) == committed | stale
    # ...until they are older than the grace.
    age(stale, LAKE_ORPHAN_GRACE + timedelta(minutes=1))
    kill_a_writer()
    fresh = parquet(data) - committed - stale
    assert fresh
    with connect(warehouse) as con:
        result = sweep(local_store, con)
        assert sorted(Path(p) for p in result.lake_files_deleted) == sorted(stale)
        assert parquet(data) == committed | fresh
        # The committed rows are all there, the killed writer's none.
        assert con.execute(f"select call_id, n from {TABLE}").fetchall() == [("kept", 1)]
        entry = audit.entries(con)[-1]
        assert (entry.action, entry.actor) == ("purge_rows", "sweep")
        assert entry.details == {"orphaned_lake_files": result.lake_files_deleted}
        assert audit.verify(con).ok
        # A sweep that may take the young ones (the writers are known gone) takes them, and
        # then there is nothing left to take.
        assert len(sweep(local_store, con, orphan_grace=timedelta(0)).lake_files_deleted) == len(
            fresh
        )
        assert sweep(local_store, con, orphan_grace=timedelta(0)).lake_files_deleted == []
    assert parquet(data) == committed


def test_a_sweep_dated_in_the_future_keeps_the_grace_against_the_wall_clock(lake, local_store):
    warehouse, data = lake
    before = parquet(data)
    kill_a_writer()
    left = parquet(data) - before
    with connect(warehouse) as con:
        later = datetime.now(UTC) + timedelta(days=365)
        assert sweep(local_store, con, later).lake_files_deleted == []
    assert left and left <= parquet(data)


def test_a_duckdb_file_has_no_lake_files_to_delete(catalog):
    assert not is_lake_connection(catalog)
    assert delete_orphaned_files(catalog, datetime.now(UTC)) == []


def test_the_erasure_purge_leaves_a_young_unrecorded_file_to_its_writer(lake):
    """``lydspor erase`` runs outside the warehouse pool: a file another step is writing, not
    yet recorded, must survive the purge that follows it; a stale one goes."""
    warehouse, data = lake
    committed = parquet(data)
    kill_a_writer()
    stale = parquet(data) - committed
    age(stale, LAKE_ORPHAN_GRACE + timedelta(minutes=1))
    kill_a_writer()
    young = parquet(data) - committed - stale
    assert stale and young
    purge_lake(warehouse)
    assert young <= parquet(data)
    assert not stale & parquet(data)
