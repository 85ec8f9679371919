"""Sharded against unsharded on the same landed calls: ``LYDSPOR_SHARDS=4`` runs every shard of
the date as its own run, then the daily marts; the raw tables and the marts must hold the same
rows as one daily run, and every call must have gone through exactly one shard."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.common.shards import shard_of
from tests.conftest import lydspor_env

pytestmark = pytest.mark.slow

LYDSPOR = Path(sys.executable).parent / "lydspor"
DAY = "2026-11-02"
SHARDS = 4
#: The raw tables the sharded assets write, and two marts built on them.
COMPARED = [
    "raw.recordings",
    "raw.consent_lineage",
    "raw.agent_audio",
    "raw.transcript_words",
    "fct_calls",
    "fct_call_coaching",
]


def pipeline(root: Path, shards: int) -> tuple[Path, dict[str, str]]:
    state = root / f"shards-{shards}" / "state"
    env = {
        **os.environ,
        **lydspor_env(state),
        "LYDSPOR_SECRET_KEY_FILE": str(root / "tenant.key"),
        "LYDSPOR_SHARDS": str(shards),
        "COLUMNS": "200",
    }
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    for args in (
        ["sample", "--calls", "5", "--days", "1", "--seed", "11"],
        ["run", "--from", DAY, "--to", DAY],
    ):
        done = subprocess.run(
            [str(LYDSPOR), *args],
            env=env,
            cwd=state.parent,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return state, env


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    root = tmp_path_factory.mktemp("sharding")
    return pipeline(root, 1), pipeline(root, SHARDS)


def table_name(con: duckdb.DuckDBPyConnection, name: str) -> str:
    if "." in name:
        return name
    schema = con.execute(
        "select table_schema from information_schema.tables where table_name = ?", [name]
    ).fetchone()
    assert schema, name
    return f"{schema[0]}.{name}"


def row_hashes(database: str, name: str) -> Counter:
    """The multiset of row hashes, over the columns a run's clock does not write."""
    with duckdb.connect(database, read_only=True) as con:
        table = table_name(con, name)
        schema, _, bare = table.rpartition(".")
        columns = [
            column
            for column, kind in con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, bare],
            ).fetchall()
            if not kind.startswith("TIMESTAMP") and not column.endswith("_at")
        ]
        quoted = ", ".join(f'"{c}"' for c in columns)
        return Counter(h for (h,) in con.execute(f"select hash({quoted}) from {table}").fetchall())


def test_sharded_rows_equal_unsharded_rows(both):
    (_, single), (_, sharded) = both
    for name in COMPARED:
        one = row_hashes(single["LYDSPOR_DUCKDB_PATH"], name)
        many = row_hashes(sharded["LYDSPOR_DUCKDB_PATH"], name)
        assert one, name
        assert one == many, name


def test_every_call_goes_through_exactly_one_shard(both, monkeypatch):
    _, (state, env) = both
    with duckdb.connect(env["LYDSPOR_DUCKDB_PATH"], read_only=True) as con:
        calls = [c for (c,) in con.execute("select call_id from raw.recordings").fetchall()]
    assert len(calls) == len(set(calls)) == 5
    expected = Counter(str(shard_of(call, SHARDS)) for call in calls)
    monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
    with dg.DagsterInstance.get() as instance:
        records = instance.fetch_materializations(dg.AssetKey("agent_audio"), limit=100).records
        by_shard = Counter()
        for record in records:
            key = record.asset_materialization.partition
            assert key.startswith(f"{DAY}|"), key
            by_shard[key.split("|")[1]] += record.asset_materialization.metadata["calls"].value
        runs = instance.get_runs(filters=dg.RunsFilter(job_name="call_pipeline"))
        marts = instance.get_runs(filters=dg.RunsFilter(job_name="call_marts"))
    # One shard run per shard, each took exactly its own calls: none twice, none missed.
    assert len(records) == len(runs) == SHARDS
    assert by_shard == expected
    assert len(marts) == 1
    # Every landed file was released by the shard that ingested it.
    assert not list((state / "objects" / "lydspor" / "landing" / DAY).glob("*"))
