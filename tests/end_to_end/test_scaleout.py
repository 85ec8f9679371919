"""lydspor scaled out on this machine (``-m scaleout``): the Dagster instance and the DuckLake
catalogue in Postgres, the store and the lake's Parquet on the three-OSD Ceph, a
``dagster-daemon`` starting at most two runs at once with the ``warehouse`` pool at 1.

Two call dates x four shards are backfilled as eight queued runs; one is SIGKILLed while it
transcribes and re-executed from failure; the ``marts_after_shards`` sensor builds each date's
marts. The marts must hold the rows one embedded, single-process run makes of the same calls."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.common.concurrency import WAREHOUSE_POOL
from assets.common.lake import connect
from assets.common.shards import shard_of
from assets.common.storage import LocalObjectStore
from assets.recordings.samples import generate_sample_calls
from lydspor.demo import MARTS
from tests.conftest import lydspor_env
from tests.support.scaleout import (
    SHARDS,
    backfill,
    deployment,
    idle,
    land,
    marts_built,
    reexecute_from_failure,
    run_worker_pid,
    shard_partitions,
    step_started,
    wait_for,
)

pytestmark = pytest.mark.scaleout

LYDSPOR = Path(sys.executable).parent / "lydspor"
DAYS = ["2026-11-02", "2026-11-03"]
#: Few, short generated calls: the test measures orchestration, not transcription.
CALLS = 8
WORKERS = 2
TIMEOUT_S = 1800
_S = dg.DagsterRunStatus


@pytest.fixture(scope="module")
def calls(tmp_path_factory):
    out = tmp_path_factory.mktemp("calls")
    made = generate_sample_calls(out, seed=23, calls=CALLS, start_date=date(2026, 11, 2), days=2)
    return out, made


@pytest.fixture(scope="module")
def base_env(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("scaleout-env")
    return {**lydspor_env(root / "state"), "LYDSPOR_SECRET_KEY_FILE": str(root / "tenant.key")}


@pytest.fixture(scope="module")
def reference(calls, base_env, tmp_path_factory) -> Path:
    """The embedded default on the same calls: one process, one DuckDB file, no shards. It
    runs first, so it also writes the tenant key both share."""
    state = tmp_path_factory.mktemp("reference") / "state"
    env = {**os.environ, **base_env, **lydspor_env(state), "LYDSPOR_SHARDS": "1"}
    env["LYDSPOR_SECRET_KEY_FILE"] = base_env["LYDSPOR_SECRET_KEY_FILE"]
    Path(env["DAGSTER_HOME"]).mkdir(parents=True)
    land(LocalObjectStore(Path(env["LYDSPOR_STORE_ROOT"]), env["LYDSPOR_BUCKET"]), calls[0])
    done = subprocess.run(
        [str(LYDSPOR), "run", "--from", DAYS[0], "--to", DAYS[-1]],
        env=env,
        cwd=state.parent,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return Path(env["LYDSPOR_DUCKDB_PATH"])


def _kill_while_transcribing(instance: dg.DagsterInstance, partitions: set[str]) -> dg.DagsterRun:
    """SIGKILL the worker of the first run of ``partitions`` whose transcripts step starts."""

    def transcribing():
        runs = instance.get_runs(
            filters=dg.RunsFilter(job_name="call_pipeline", statuses=[_S.STARTED])
        )
        for run in runs:
            if run.tags.get("dagster/partition") in partitions and step_started(
                instance, run.run_id, "transcripts"
            ):
                return run
        return None

    run = wait_for("a run to start transcribing", transcribing, TIMEOUT_S, poll=0.1)
    pid = run_worker_pid(instance, run.run_id)
    assert pid, "no run worker pid in the event log"
    os.kill(pid, signal.SIGKILL)
    return run


@pytest.fixture(scope="module")
def scaled(calls, base_env, reference, postgres, ceph_s3, tmp_path_factory):
    """The deployment after the backfill, the kill, the re-execution and the marts."""
    source, made = calls
    root = tmp_path_factory.mktemp("scaleout")
    with (
        deployment(root, postgres, ceph_s3, workers=WORKERS, env=base_env) as dep,
        dep.environment(),
        dep.instance() as instance,
    ):
        land(dep.store, source)
        # The shards that have calls: the one killed must be transcribing something.
        loaded = {
            f"{call.call_date.isoformat()}|{shard_of(call.audio_path.stem, SHARDS)}"
            for call in made
        }
        backfill(instance, "call_pipeline", shard_partitions(DAYS))
        killed = _kill_while_transcribing(instance, loaded)
        failed = wait_for(
            "the killed run to fail",
            lambda: (
                instance.get_run_by_id(killed.run_id).status == _S.FAILURE
                and instance.get_run_by_id(killed.run_id)
            ),
            60,
        )
        retry = reexecute_from_failure(instance, failed)

        # The killed date's marts count only once its re-executed shard is in.
        retried_day = failed.tags["dagster/partition"].split("|")[0]
        retried_at = instance.get_run_record_by_id(retry.run_id).create_timestamp

        wait_for(
            "the shard runs and the marts",
            lambda: idle(instance) and marts_built(instance, DAYS, {retried_day: retried_at}),
            TIMEOUT_S,
            poll=1,
        )
        yield dep, instance, failed, instance.get_run_by_id(retry.run_id)


def row_hashes(con: duckdb.DuckDBPyConnection, table: str) -> Counter:
    """The multiset of a table's row hashes, over the columns a run's clock does not write."""
    kept = [
        name
        for name, kind, *_ in con.execute(f"describe {table}").fetchall()
        if not kind.startswith("TIMESTAMP") and not name.endswith("_at")
    ]
    select = ", ".join(f'"{name}"' for name in kept)
    return Counter(row[0] for row in con.execute(f"select hash({select}) from {table}").fetchall())


def test_backfill_runs_in_parallel_under_the_shipped_limits(scaled):
    dep, instance, _, _ = scaled
    config = dg.DagsterInstance.from_config(str(dep.home)).get_concurrency_config()
    assert config.run_queue_config.max_concurrent_runs == WORKERS
    assert config.pool_config.default_pool_limit == 1
    assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1
    runs = instance.get_run_records(filters=dg.RunsFilter(job_name="call_pipeline"))
    # Eight backfill runs, one per (date, shard), plus the re-execution.
    assert len({r.dagster_run.tags["dagster/partition"] for r in runs}) == len(DAYS) * SHARDS
    assert len(runs) == len(DAYS) * SHARDS + 1
    # Two runs were in progress at once: the queue let them, the pool serialised their steps.
    spans = sorted((r.start_time, r.end_time) for r in runs if r.start_time and r.end_time)
    assert max(overlap(spans, start) for start, _ in spans) == WORKERS


def overlap(spans: list[tuple[float, float]], t: float) -> int:
    return sum(start <= t < end for start, end in spans)


def test_marts_equal_the_single_process_run(scaled, reference):
    dep, *_ = scaled
    with (
        duckdb.connect(str(reference), read_only=True) as single,
        connect(dep.warehouse, read_only=True) as lake,
    ):
        for table in ["raw.recordings", "raw.transcript_words", *MARTS]:
            one, many = row_hashes(single, table), row_hashes(lake, table)
            assert many == one, table
        assert row_hashes(single, "fct_calls"), "no calls in the marts"


def test_the_killed_run_is_reexecuted_from_failure(scaled):
    _, instance, failed, retry = scaled
    assert failed.status == _S.FAILURE
    steps = instance.get_records_for_run(failed.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS)
    succeeded = {r.event_log_entry.step_key for r in steps.records}
    # Killed mid-transcription: its transcripts step never finished.
    assert "transcripts" not in succeeded
    assert "raw_recordings" in succeeded
    assert retry.status == _S.SUCCESS
    assert retry.parent_run_id == failed.run_id
    assert "transcripts" in retry.step_keys_to_execute
    assert not succeeded & set(retry.step_keys_to_execute)
