"""Erasure's bytes on both warehouses: the DuckDB file and a DuckLake. The same calls and the
same request; after the purge the erased customer's number is gone from wherever that
warehouse keeps rows (the DuckDB file; the lake's Parquet files and its Postgres catalogue).
The engine's other tests run on both warehouses too (``engine`` in test_retention.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from assets.agent_audio.extract import AGENT_AUDIO_SCHEMA, AGENT_AUDIO_TABLE
from assets.common.lake import connect
from assets.common.warehouse import ensure_table
from assets.recordings.ingest import CATALOGUE_TABLES
from assets.retention.remnants import RemnantTargets, purge_remnants
from assets.retention.tables import ensure_compliance_tables
from lydspor.demo import run_retention_sweep
from tests.retention.conftest import warehouse_bytes
from tests.retention.test_retention import consented, erase_by_phone, ingest, plant
from tests.support.calls import stereo, wav
from tests.support.remanence import encodings, scan_bytes
from tests.support.scan import scan_tables
from tests.support.warehouses import catalogue_database_dir, use_ducklake

pytestmark = pytest.mark.compliance

PHONE = "+4791234567"
KEPT_PHONE = "+4799999999"
LATER = datetime.now(UTC) - timedelta(days=30)


@pytest.fixture
def con(warehouse_catalog):
    ensure_compliance_tables(warehouse_catalog)
    ensure_table(warehouse_catalog, AGENT_AUDIO_TABLE, AGENT_AUDIO_SCHEMA)
    return warehouse_catalog


def ingest_erased_and_kept(store, con, policy) -> None:
    """Two consented calls: the one the erasure names (PHONE) and one it must not touch."""
    ingest(
        store,
        con,
        policy,
        consented("erased-1", customer_number=PHONE),
        consented("kept-1", wav(stereo(320, 880)), customer_number=KEPT_PHONE),
    )


def test_erasure_leaves_no_bytes_on_either_warehouse(request, warehouse, con, local_store, policy):
    ingest_erased_and_kept(local_store, con, policy)
    outcome = erase_by_phone(local_store, con)
    assert outcome.calls_erased == ["erased-1"]
    assert con.execute("select call_id from raw.recordings").fetchall() == [("kept-1",)]
    assert scan_tables(con, [PHONE]) == []
    con.close()
    postgres = request.getfixturevalue("postgres") if warehouse.is_lake else None
    roots = warehouse_bytes(warehouse, postgres)
    # The rows are deleted, their bytes not yet: the scan finds them (so it can fail).
    assert any(scan_bytes(root, [PHONE]) for root in roots)

    report = purge_remnants(RemnantTargets.from_environment(), LATER, mentioning=[PHONE])

    assert [hit for root in roots for hit in scan_bytes(root, [PHONE])] == []
    assert (report.lake is not None) == warehouse.is_lake
    assert (report.duckdb is not None) == (not warehouse.is_lake)
    with connect(warehouse, read_only=True) as after:
        # The other customer's rows survive the rewrite, and nothing else was lost.
        assert after.execute("select call_id, customer_number from raw.recordings").fetchall() == [
            ("kept-1", KEPT_PHONE)
        ]
        assert (
            after.execute(
                "select count(*) from raw.stored_objects where call_id = 'kept-1'"
            ).fetchone()[0]
            > 0
        )
        # Filters are answered right with the recomputed bounds (DuckLake prunes files by them).
        assert after.execute(
            "select call_id from raw.recordings where customer_number >= ?", [KEPT_PHONE]
        ).fetchall() == [("kept-1",)]


def s3_hits(client, bucket: str, needle: str) -> list[str]:
    """Every object in ``bucket`` whose bytes hold ``needle`` (read whole: the lake's files
    here are small)."""
    forms = encodings(needle)
    hits = []
    for item in client.list_objects(bucket, recursive=True):
        response = client.get_object(bucket, item.object_name)
        try:
            data = response.read()
        finally:
            response.close()
            response.release_conn()
        if any(form in data for form in forms):
            hits.append(item.object_name)
    return hits


@pytest.mark.s3
def test_erasure_leaves_no_bytes_in_a_lake_on_s3(
    lydspor_state, ceph_s3, postgres, policy, monkeypatch
):
    """The lake's Parquet in a bucket of its own on the S3 server (apart from the store's, whose
    every object the ledger must explain), written and purged with the store's credentials."""
    suffix = uuid.uuid4().hex[:8]
    bucket, lake_bucket = f"lydspor-{suffix}", f"lake-{suffix}"
    for name, value in ceph_s3.lydspor_env(bucket).items():
        monkeypatch.setenv(name, value)
    client = ceph_s3.minio_client()
    client.make_bucket(lake_bucket)
    warehouse = use_ducklake(monkeypatch, postgres, f"s3://{lake_bucket}/lake/")
    store = ceph_s3.object_store(bucket)
    with connect(warehouse) as con:
        ensure_compliance_tables(con)
        ensure_table(con, AGENT_AUDIO_TABLE, AGENT_AUDIO_SCHEMA)
        for table, schema in CATALOGUE_TABLES.items():
            ensure_table(con, table, schema)
        ingest_erased_and_kept(store, con, policy)
        assert erase_by_phone(store, con).calls_erased == ["erased-1"]
    assert s3_hits(client, lake_bucket, PHONE)  # deleted rows, bytes not yet gone

    report = purge_remnants(RemnantTargets.from_environment(), LATER, mentioning=[PHONE])

    assert report.lake is not None and report.lake.files_deleted > 0
    assert s3_hits(client, lake_bucket, PHONE) == []
    assert scan_bytes(catalogue_database_dir(postgres, warehouse), [PHONE]) == []
    with connect(warehouse, read_only=True) as after:
        assert after.execute("select call_id, customer_number from raw.recordings").fetchall() == [
            ("kept-1", KEPT_PHONE)
        ]


def test_the_sweep_job_purges_the_lake(lydspor_state, local_store, postgres, monkeypatch):
    """The sweep as Dagster runs it (the op, its warehouse resource, the purge) on a lake:
    what is due goes, and no snapshot from before the sweep is left to travel back to."""
    warehouse = use_ducklake(monkeypatch, postgres, f"{lydspor_state / 'lake'}/")
    key = "raw/2026-11-02/due/recording.wav"
    with connect(warehouse) as con:
        ensure_compliance_tables(con)
        plant(local_store, con, key, "due", datetime.now(UTC) - timedelta(minutes=1))
        assert con.execute("select count(*) from lydspor.snapshots()").fetchone()[0] > 1

    with dg.DagsterInstance.from_config(str(lydspor_state / "dagster")) as instance:
        outcome = run_retention_sweep(instance=instance)

    assert outcome.success and outcome.deleted == 1
    assert local_store.stat(key) is None
    with connect(warehouse, read_only=True) as after:
        assert after.execute("select count(*) from lydspor.snapshots()").fetchone()[0] == 1
        assert after.execute(
            "select deleted_at is not null from raw.stored_objects where object_key = ?", [key]
        ).fetchone() == (True,)
