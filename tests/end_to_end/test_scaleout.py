"""lydspor scaled out on this machine (``-m scaleout``): the Dagster instance and the DuckLake
catalogue in Postgres, the store and the lake's Parquet on the three-OSD Ceph, a
``dagster-daemon`` starting at most two runs at once with the ``warehouse`` pool at 1.

Two call dates x four shards are backfilled as eight queued runs; one is SIGKILLed while it
transcribes and re-executed from failure; the ``marts_after_shards`` sensor builds each date's
marts. The marts must hold the rows one embedded, single-process run makes of the same calls;
no call is held twice, and after a sweep nothing the killed run wrote is unaccounted for."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from assets.common.concurrency import WAREHOUSE_POOL
from assets.common.lake import DUCKLAKE, Warehouse, connect
from assets.common.shards import shard_of
from assets.common.storage import LocalObjectStore
from assets.recordings.metadata import RecordingMode
from assets.recordings.samples import generate_sample_calls
from assets.retention.ledger import StoredObject, ensure_ledger, register_many
from assets.retention.resources import policy_from_environment
from assets.retention.state import blocking, reconcile
from assets.retention.sweep import sweep
from assets.transcripts.work import WORK_KIND
from lydspor.demo import MARTS
from tests.conftest import lydspor_env
from tests.support.scaleout import (
    SHARDS,
    backfill,
    deployment,
    idle,
    instance_config,
    land,
    marts_built,
    reexecute_from_failure,
    run_worker_pid,
    shard_partitions,
    step_started,
    unreferenced_lake_files,
    wait_for,
)

pytestmark = pytest.mark.scaleout

LYDSPOR = Path(sys.executable).parent / "lydspor"
DAYS = ["2026-11-02", "2026-11-03"]
#: Few, short generated calls: the test measures orchestration, not transcription.
CALLS = 8
WORKERS = 2
TIMEOUT_S = 1800
#: The transcription steps' keys start with this (one step, or a graph asset's steps).
TRANSCRIPTS = "transcripts"
#: The step the kill waits for: the Pipes worker is hearing (or, if it was quick, ``load`` is
#: loading: the run is still going either way).
HEARING = f"{TRANSCRIPTS}.hear"
_S = dg.DagsterRunStatus


@pytest.fixture(scope="module")
def calls(tmp_path_factory):
    out = tmp_path_factory.mktemp("calls")
    made = generate_sample_calls(out, seed=23, calls=CALLS, start_date=date(2026, 11, 2), days=2)
    # A mono call is isolated with the voiceprints its agent's other calls enrolled; parallel
    # shard runs may not have enrolled them yet, so its words depend on the order runs happen
    # to take (docs/scale.md, known limits). Equality with one process holds for calls that
    # depend on nothing but themselves: those are the ones landed here.
    for call in [c for c in made if c.recording_mode == RecordingMode.MONO]:
        for path in (call.audio_path, call.metadata_path, call.truth_path):
            path.unlink()
    return out, [c for c in made if c.recording_mode != RecordingMode.MONO]


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
    """SIGKILL the worker of the first run of ``partitions`` once its ``transcripts.hear``
    step starts (the Pipes worker it started is left to finish or die on its own)."""

    def transcribing():
        runs = instance.get_runs(
            filters=dg.RunsFilter(job_name="call_pipeline", statuses=[_S.STARTED])
        )
        for run in runs:
            if run.tags.get("dagster/partition") in partitions and step_started(
                instance, run.run_id, HEARING
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
    # Killed mid-transcription: its transcription never finished.
    transcribing = {key for key in retry.step_keys_to_execute if key.startswith(TRANSCRIPTS)}
    assert transcribing
    assert not {key for key in succeeded if key.startswith(TRANSCRIPTS)} >= transcribing
    assert "raw_recordings" in succeeded
    assert retry.status == _S.SUCCESS
    assert retry.parent_run_id == failed.run_id
    assert not succeeded & set(retry.step_keys_to_execute)


#: Each catalogue table a call's rows land in, by the columns that name one row: a call written
#: twice (the killed run's rows and the re-execution's) shows as a key held twice.
ROW_KEYS = {
    "raw.recordings": ["call_id"],
    "raw.agent_audio": ["call_id"],
    "raw.agent_isolation": ["call_id"],
    "raw.agent_segments": ["call_id", "segment_index"],
    "raw.transcript_languages": ["call_id", "track"],
    "raw.transcript_segments": ["call_id", "track", "segment_index"],
    "raw.transcript_words": ["call_id", "track", "word_index"],
    "raw.audio_redactions": ["muted_key", "span_index"],
}


def test_no_duplicate_call_and_no_orphan_object_after_the_kill(scaled, calls, ceph_s3):
    dep, _, failed, _ = scaled
    made = {call.audio_path.stem for call in calls[1]}
    with connect(dep.warehouse, read_only=True) as con:
        tables = {
            name
            for (name,) in con.execute(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_catalog = current_database()"
            ).fetchall()
        }
        # The isolation tables are a mono call's, and none is landed here.
        assert set(ROW_KEYS) - tables <= {"raw.agent_isolation", "raw.agent_segments"}
        for table, key in ROW_KEYS.items():
            if table not in tables:
                continue
            columns = ", ".join(key)
            twice = con.execute(
                f"select {columns}, count(*) from {table} group by all having count(*) > 1"
            ).fetchall()
            assert twice == [], table
        loaded = {row[0] for row in con.execute("select call_id from raw.recordings").fetchall()}
        assert loaded and loaded <= made
        assert con.execute("select count(distinct call_id) from raw.transcript_words").fetchone()[0]

    lake_store = ceph_s3.object_store(dep.lake_bucket)
    left = unreferenced_lake_files(dep.warehouse, lake_store)
    # The sweep, with no grace for files of open transactions: the deployment is idle, so no
    # writer is open.
    with dep.environment(), connect(dep.warehouse) as con:
        swept = sweep(dep.store, con, orphan_grace=timedelta(0))
        assert sorted(p.rsplit("/", 1)[-1] for p in swept.lake_files_deleted) == sorted(
            k.rsplit("/", 1)[-1] for k in left
        )
        state = reconcile(dep.store, con, policy_from_environment().window("landing", "in_transit"))
        work = con.execute(
            "select o.object_key, o.deleted_at, o.deadline, r.receipt_id "
            "from raw.stored_objects o left join raw.deletion_receipts r using (object_key) "
            "where o.kind = ?",
            [WORK_KIND],
        ).fetchall()
    print(
        f"lake files the killed run {failed.run_id[:8]} left: {len(left)}; work files: {len(work)}"
    )
    assert unreferenced_lake_files(dep.warehouse, lake_store) == []
    # Every object in the store is one the ledger holds alive (or landing/ in transit).
    blocking_rows = state.filter(blocking())
    assert blocking_rows.is_empty(), blocking_rows.select("object_key", "problem").to_dicts()
    # Every transcription work file, the killed run's too, is in the ledger: deleted with a
    # receipt, or alive with the deadline the sweep deletes it at.
    assert work, "no work file was registered: the Pipes worker did not run"
    unaccounted = [
        key
        for key, deleted_at, deadline, receipt in work
        if not (receipt if deleted_at else deadline)
    ]
    assert unaccounted == []


TOGETHER_S = 5.0


def _object(name: str, confirmed: bool) -> StoredObject:
    created = datetime(2026, 11, 2, 12, tzinfo=UTC)
    return StoredObject(
        f"control/{name}.parquet",
        name,
        date(2026, 11, 2),
        "transcript",
        "transcript_text",
        "legitimate_interest",
        ["coaching"],
        "0" * 64,
        1,
        created,
        created + timedelta(days=30),
        confirmed_at=created if confirmed else None,
    )


def _writer(me: str, other: str, meeting: Path, warehouse: Warehouse) -> dg.JobDefinition:
    """A job of one step in the ``warehouse`` pool, as every catalogue-writing step is: it
    confirms its object in the ledger in one transaction, kept open until the other step has
    written too (a file in ``meeting`` says so) or ``TOGETHER_S`` has passed. Dagster's own
    executor claims the pool's slot before the step starts and frees it when it ends."""

    @dg.op(name=f"confirm_{me}", pool=WAREHOUSE_POOL)
    def confirm() -> None:
        with connect(warehouse) as con:
            con.execute("begin")
            register_many(con, [_object(me, confirmed=True)])
            (meeting / me).touch()
            deadline = time.monotonic() + TOGETHER_S
            while not (meeting / other).exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            con.execute("commit")

    @dg.job(name=f"control_{me}")
    def write() -> None:
        confirm()

    return write


def _run_writer(me: str, other: str, meeting: Path, warehouse: Warehouse, home: Path, out) -> None:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = _writer(me, other, meeting, warehouse).execute_in_process(
            instance=instance, raise_on_error=False
        )
    failures = [
        e.step_failure_data.error.to_string() for e in result.all_events if e.is_step_failure
    ]
    out.put((me, result.success, failures))


def _two_writers(
    home: Path, warehouse: Warehouse, meeting: Path
) -> dict[str, tuple[bool, list[str]]]:
    """Two runs started together, one step each, in a process each (as two run workers are);
    whether each run succeeded, and its step failures."""
    meeting.mkdir()
    # Spawned: a forked child would inherit DuckDB's threads and locks mid-state.
    spawn = multiprocessing.get_context("spawn")
    out = spawn.Queue()
    runs = [
        spawn.Process(target=_run_writer, args=(me, other, meeting, warehouse, home, out))
        for me, other in (("a", "b"), ("b", "a"))
    ]
    for run in runs:
        run.start()
    outcomes = {}
    for _ in runs:
        me, success, failures = out.get(timeout=120)
        outcomes[me] = (success, failures)
    for run in runs:
        run.join(30)
    return outcomes


def test_without_the_pool_two_catalogue_writers_conflict(postgres, tmp_path, monkeypatch):
    """Negative control: what the pool prevents. Two runs' catalogue-writing steps, executed by
    Dagster: at 1 (as shipped) the steps take turns and both commit; raised to 2 they write at
    once, DuckLake aborts one commit and its step fails."""
    tag = uuid.uuid4().hex[:10]
    postgres.create_database(f"dagster_{tag}")
    postgres.create_database(f"lake_{tag}")
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", postgres.url_for(f"dagster_{tag}", "psycopg2"))
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(instance_config(WORKERS)))
    warehouse = Warehouse(
        kind=DUCKLAKE,
        ducklake_catalog=postgres.dsn_for(f"lake_{tag}"),
        ducklake_data_path=f"{tmp_path / 'lake'}/",
    )
    with connect(warehouse) as con:
        ensure_ledger(con)
        register_many(con, [_object("a", False), _object("b", False)])
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        storage = instance.event_log_storage
        storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
        assert storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1
        started = time.monotonic()
        pooled = _two_writers(tmp_path, warehouse, tmp_path / "pooled")
        # Taking turns: the first held its transaction open for the other, which never came.
        assert pooled == {"a": (True, []), "b": (True, [])}
        assert time.monotonic() - started >= TOGETHER_S
        storage.set_concurrency_slots(WAREHOUSE_POOL, 2)
        unpooled = _two_writers(tmp_path, warehouse, tmp_path / "unpooled")
    assert sorted(success for success, _ in unpooled.values()) == [False, True], unpooled
    errors = [error for _, step in unpooled.values() for error in step]
    assert len(errors) == 1, unpooled
    assert "Transaction conflict" in errors[0]
