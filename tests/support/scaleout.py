"""lydspor scaled out on one machine, for the scale-out test and its benchmark: the Dagster
instance in a throwaway Postgres, a DuckLake warehouse (catalogue in the same Postgres, Parquet
in a bucket of the three-OSD Ceph), the store in another bucket of that Ceph, and a
``dagster-daemon`` that starts the queued runs of the code location.

    with deployment(root, postgres, ceph, workers=2, env=base_env) as dep, dep.environment():
        land(dep.store, calls_dir)
        backfill(dep, "call_pipeline", shard_partitions(days))   # as `dagster job backfill`
        wait_until_idle(dep.instance(), ...)

The instance's ``dagster.yaml`` is ``deploy/dagster.yaml`` as shipped, loaded and overridden
(:func:`instance_config`), never a copy of its own: what the deployment limits, the test limits.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import dagster as dg
import yaml
from dagster._cli.job import execute_backfill_command
from dagster._cli.workspace.cli_target import get_workspace_from_cli_opts
from dagster._core.execution.plan.resume_retry import ReexecutionStrategy
from dagster_shared.cli import WorkspaceOpts

from assets.common.concurrency import GPU_TAG
from assets.common.lake import (
    DUCKLAKE,
    LAKE_ALIAS,
    Warehouse,
    connect,
    warehouse_from_environment,
)
from assets.common.shards import DATE_DIMENSION, SHARD_DIMENSION, shard_keys
from orchestration.schedules import retention_sweep_schedule
from orchestration.sensors import sweep_after_pipeline_failure, sweep_after_pipeline_success
from tests.support.ceph_s3 import CephS3Server
from tests.support.postgres import PostgresServer

REPO = Path(__file__).resolve().parents[2]
DEPLOY_YAML = REPO / "deploy" / "dagster.yaml"
#: The code location, as the daemon and the backfill load it (its name is the module's).
LOCATION = "orchestration.definitions"
DAEMON = Path(sys.executable).parent / "dagster-daemon"
#: Shards per call date (``LYDSPOR_SHARDS``).
SHARDS = 4
_S = dg.DagsterRunStatus
FINISHED = {_S.SUCCESS, _S.FAILURE, _S.CANCELED}
#: The sweep's automation, stopped on these deployments: a sweep run after each of a dozen runs
#: (and one every five minutes) would double the runs that two cores start, and the measure.
SWEEP_SENSORS = (sweep_after_pipeline_success.name, sweep_after_pipeline_failure.name)
_PID = re.compile(r"Started process for run \(pid: (\d+)\)")


def instance_config(workers: int) -> dict:
    """``deploy/dagster.yaml`` with this machine's limits: ``workers`` runs at once, and as many
    transcribing runs (the ``lydspor/gpu`` limit: here the transcriber is the CPU, one per
    worker), ``workers - 1`` runs beyond the pool's slots (below). The ``warehouse`` pool keeps
    the shipped limit of 1. Faster ticks than a deployment
    needs (a dead run's slot freed in 1 s, not 120 s), and no automatic retry: the test
    re-executes the run it kills itself."""
    config = yaml.safe_load(DEPLOY_YAML.read_text())
    runs = config["concurrency"]["runs"]
    runs["max_concurrent_runs"] = workers
    for limit in runs["tag_concurrency_limits"]:
        if limit["key"] == GPU_TAG:
            limit["limit"] = workers
    # The run queue holds back a run whose first step's pool is full, beyond this many: as
    # shipped (0) one run at a time would have a step in the warehouse pool, since every
    # heavy step is in it. With workers - 1 the other runs start their worker (process, code
    # load, resources) while the slot is busy, and wait in the pool, not in the queue.
    config["concurrency"]["pools"]["op_granularity_run_buffer"] = workers - 1
    config["run_coordinator"]["config"]["dequeue_interval_seconds"] = 1
    config["run_monitoring"].update(poll_interval_seconds=1, free_slots_after_run_end_seconds=1)
    config["run_retries"]["enabled"] = False
    return config


@dataclass(frozen=True)
class Deployment:
    home: Path
    env: dict[str, str]
    warehouse: Warehouse
    store: object
    lake_bucket: str
    log: Path

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.home))

    @contextlib.contextmanager
    def environment(self) -> Iterator[None]:
        """This process sees the deployment's settings (the instance's Postgres URL, the lake,
        the store), as every process of the deployment does."""
        with mock.patch.dict(os.environ, self.env):
            yield


def _stop(process: subprocess.Popen) -> None:
    """Stop the daemon (SIGTERM), then whatever it started that is still there (its code
    server, run workers): they are in its process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@contextlib.contextmanager
def deployment(
    root: Path,
    postgres: PostgresServer,
    ceph: CephS3Server,
    *,
    workers: int,
    env: Mapping[str, str],
) -> Iterator[Deployment]:
    """A deployment in ``root``: fresh databases and buckets, ``instance_config(workers)`` as
    its instance, and its daemon running (stopped on exit). ``env``: the lydspor settings of
    every process (the embedded defaults; the store, the lake and the instance are set here)."""
    tag = uuid.uuid4().hex[:10]
    bucket, lake_bucket = f"scaleout-{tag}", f"scaleout-lake-{tag}"
    store = ceph.object_store(bucket)
    ceph.object_store(lake_bucket)  # creates the lake's bucket
    dagster_db, lake_db = f"dagster_{tag}", f"lake_{tag}"
    postgres.create_database(dagster_db)
    postgres.create_database(lake_db)
    home = root / "dagster_home"
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance_config(workers)))
    settings = {
        **env,
        **ceph.lydspor_env(bucket),
        "LYDSPOR_WAREHOUSE": DUCKLAKE,
        "LYDSPOR_DUCKLAKE_CATALOG": postgres.dsn_for(lake_db),
        "LYDSPOR_DUCKLAKE_DATA_PATH": f"s3://{lake_bucket}/lake/",
        "LYDSPOR_SHARDS": str(SHARDS),
        # Speech in a Pipes worker process, as the multi-process install runs it: its work
        # files are objects in the store a killed run can leave behind.
        "LYDSPOR_TRANSCRIBE_WORKER": "subprocess",
        "DAGSTER_HOME": str(home),
        "DAGSTER_POSTGRES_URL": postgres.url_for(dagster_db, driver="psycopg2"),
    }
    log = root / "daemon.log"
    with mock.patch.dict(os.environ, settings):
        warehouse = warehouse_from_environment()
        with dg.DagsterInstance.from_config(str(home)) as instance:
            stop_sweeps(instance)
    with log.open("wb") as out:
        # Started outside the repository: Dagster's CLI loads a .env from its working
        # directory over the environment, and `make demo` leaves one there.
        daemon = subprocess.Popen(
            [str(DAEMON), "run", "-m", LOCATION, "-d", REPO],
            env={**os.environ, **settings},
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield Deployment(home, settings, warehouse, store, lake_bucket, log)
    finally:
        _stop(daemon)


def stop_sweeps(instance: dg.DagsterInstance) -> None:
    """What ``dagster sensor stop`` and ``dagster schedule stop`` do to the sweep's sensors and
    schedule, before the daemon first ticks."""
    with get_workspace_from_cli_opts(instance, dg.__version__, _workspace_opts()) as request:
        repo = request.get_code_location(LOCATION).get_repository("__repository__")
        for name in SWEEP_SENSORS:
            sensor = repo.get_sensor(name)
            instance.stop_sensor(sensor.get_remote_origin_id(), sensor.selector_id, sensor)
        schedule = repo.get_schedule(retention_sweep_schedule.name)
        instance.stop_schedule(schedule.get_remote_origin_id(), schedule.selector_id, schedule)


def land(store, source: Path) -> int:
    """Put ``source/<date>/*`` (what the sample generator writes) under ``landing/``."""
    files = sorted(p for p in source.rglob("*") if p.is_file())
    for path in files:
        store.put_bytes(f"landing/{path.relative_to(source).as_posix()}", path.read_bytes())
    return len(files)


def shard_partitions(days: list[str]) -> list[str]:
    """The (call date, shard) partition keys of ``days``: ``2026-11-02|3``."""
    return [
        str(dg.MultiPartitionKey({DATE_DIMENSION: day, SHARD_DIMENSION: shard}))
        for day in days
        for shard in shard_keys(SHARDS)
    ]


def _workspace_opts() -> WorkspaceOpts:
    return WorkspaceOpts(module_name=[LOCATION], working_directory=str(REPO))


def backfill(instance: dg.DagsterInstance, job: str, partitions: list[str]) -> None:
    """What ``dagster job backfill -m orchestration.definitions -j JOB --partitions ...
    --noprompt`` does: one queued run per partition, which the daemon starts."""
    execute_backfill_command(
        workspace_opts=_workspace_opts(),
        partitions=",".join(partitions),
        job_name=job,
        noprompt=True,
        print_fn=lambda *_: None,
        instance=instance,
    )


def reexecute_from_failure(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dg.DagsterRun:
    """Queue Dagster's re-execution of ``run`` from failure (the UI's "re-execute from
    failure"): the steps that failed or never finished, with the parent's tags."""
    with get_workspace_from_cli_opts(instance, dg.__version__, _workspace_opts()) as request:
        location = request.get_code_location(LOCATION)
        remote_job = location.get_repository("__repository__").get_full_job(run.job_name)
        child = instance.create_reexecuted_run(
            parent_run=run,
            request_context=request,
            code_location=location,
            remote_job=remote_job,
            strategy=ReexecutionStrategy.FROM_FAILURE,
            use_parent_run_tags=True,
        )
        return instance.submit_run(child.run_id, request)


def step_started(instance: dg.DagsterInstance, run_id: str, prefix: str) -> bool:
    """Whether a step whose key starts with ``prefix`` started (``transcripts``: the asset's
    one step, or any of a graph asset's ``transcripts.*`` steps)."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_START).records
    return any((r.event_log_entry.step_key or "").startswith(prefix) for r in records)


def unreferenced_lake_files(warehouse: Warehouse, lake_store) -> list[str]:
    """The keys in the lake's bucket that its catalogue does not account for: no snapshot's data
    or delete file, nor a file scheduled for deletion. Compared by file name (DuckLake names
    every file it writes with a fresh UUID), read from the catalogue's own tables."""
    metadata = f"__ducklake_metadata_{LAKE_ALIAS}"
    with connect(warehouse, read_only=True) as con:
        paths = con.execute(
            " union all ".join(
                f"select path from {metadata}.{table}"
                for table in (
                    "ducklake_data_file",
                    "ducklake_delete_file",
                    "ducklake_files_scheduled_for_deletion",
                )
            )
        ).fetchall()
    known = {path.rsplit("/", 1)[-1] for (path,) in paths}
    return sorted(o.key for o in lake_store.list() if o.key.rsplit("/", 1)[-1] not in known)


def run_worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid of the run's worker process, from its "Started process for run" event."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
    for record in records.records:
        found = _PID.search(record.event_log_entry.message or "")
        if found:
            return int(found.group(1))
    return None


def wait_for(what: str, ready: Callable[[], object], timeout: float, poll: float = 0.2):
    """``ready()``'s first true value, polled every ``poll`` s; TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        time.sleep(poll)
    raise TimeoutError(f"waited {timeout:.0f} s for {what}")


def idle(instance: dg.DagsterInstance) -> bool:
    """No run queued, starting or in progress."""
    return not instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[_S.QUEUED, _S.NOT_STARTED, _S.STARTING, _S.STARTED, _S.CANCELING]
        ),
        limit=1,
    )


def marts_built(
    instance: dg.DagsterInstance, days: list[str], after: Mapping[str, object] | None = None
) -> bool:
    """Every call date in ``days`` has a successful ``call_marts`` run (created after
    ``after[day]``, a datetime, where given)."""
    return all(
        instance.get_runs(
            filters=dg.RunsFilter(
                job_name="call_marts",
                statuses=[_S.SUCCESS],
                tags={"dagster/partition": day},
                created_after=(after or {}).get(day),
            ),
            limit=1,
        )
        for day in days
    )
