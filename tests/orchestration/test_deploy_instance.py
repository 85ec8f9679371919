"""deploy/dagster.yaml, the instance of a multi-machine lydspor, checked by Dagster itself on
a real Postgres: its config validates, runs and pool slots live in Postgres where a second
process sees them, the run queue holds GPU runs to the GPU limit, the warehouse pool admits
one step at a time."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import dagster as dg
import pytest
import yaml
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config
from dagster._core.remote_origin import (
    GrpcServerCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.run_coordinator import QueuedRunCoordinator, SubmitRunContext
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
    QueuedRunCoordinatorDaemon,
)

from assets.common.concurrency import GPU_TAG, WAREHOUSE_POOL
from assets.common.settings import DAGSTER_YAML
from assets.retention.run_logs import purge_dagster_runs

REPO = Path(__file__).resolve().parents[2]
DEPLOY_YAML = REPO / "deploy" / "dagster.yaml"


class Deployment(NamedTuple):
    home: Path
    database: str


@pytest.fixture
def deployment(postgres, tmp_path, monkeypatch) -> Deployment:
    """A DAGSTER_HOME holding deploy/dagster.yaml as shipped, pointed at a fresh database."""
    database = f"dagster_{uuid.uuid4().hex[:12]}"
    postgres.create_database(database)
    url = postgres.url_for(database, driver="psycopg2")
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", url)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_YAML, home / "dagster.yaml")
    return Deployment(home, database)


def test_deploy_dagster_yaml_passes_dagsters_own_validation(deployment):
    config, _ = dagster_instance_config(str(deployment.home))
    assert config["storage"] == {"postgres": {"postgres_url": {"env": "DAGSTER_POSTGRES_URL"}}}
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    runs, pools = config["concurrency"]["runs"], config["concurrency"]["pools"]
    assert {"key": GPU_TAG, "limit": 1} in runs["tag_concurrency_limits"]
    assert pools == {"default_limit": 1, "granularity": "op", "op_granularity_run_buffer": 7}
    # Below max_concurrent_runs - 1 the queue starts fewer shard runs than it may.
    assert pools["op_granularity_run_buffer"] == runs["max_concurrent_runs"] - 1
    assert config["run_monitoring"]["enabled"] is True
    assert config["run_monitoring"]["free_slots_after_run_end_seconds"] > 0


def test_validation_can_fail_where_dagster_refuses_env_vars(deployment):
    """Negative control, and why the limits are literals: Dagster reads ``concurrency`` limits
    as plain integers, and refuses the queue's limits in two places at once."""
    path = deployment.home / "dagster.yaml"
    shipped = yaml.safe_load(path.read_text())
    broken = yaml.safe_load(path.read_text())
    broken["concurrency"]["runs"]["max_concurrent_runs"] = {"env": "LYDSPOR_MAX_RUNS"}
    path.write_text(yaml.safe_dump(broken))
    with pytest.raises(DagsterInvalidConfigError):
        dagster_instance_config(str(deployment.home))
    doubled = {**shipped, "run_coordinator": {**shipped["run_coordinator"]}}
    doubled["run_coordinator"]["config"] = {
        **shipped["run_coordinator"]["config"],
        "max_concurrent_runs": 4,
    }
    path.write_text(yaml.safe_dump(doubled))
    with pytest.raises(DagsterInvalidConfigError, match="incompatible"):
        dagster_instance_config(str(deployment.home))


def _submit(instance: dg.DagsterInstance, job_def, partition: str | None = None):
    """Queue a run of ``job_def`` as the webserver or a sensor would: from the code location
    deploy/workspace.yaml names."""
    workspace = yaml.safe_load((REPO / "deploy" / "workspace.yaml").read_text())
    server = workspace["load_from"][0]["grpc_server"]
    origin = RemoteJobOrigin(
        repository_origin=RemoteRepositoryOrigin(
            code_location_origin=GrpcServerCodeLocationOrigin(**server),
            repository_name="__repository__",
        ),
        job_name=job_def.name,
    )
    tags = {"dagster/partition": partition} if partition else {}
    run = instance.create_run_for_job(
        job_def=job_def, tags={**job_def.tags, **tags}, remote_job_origin=origin
    )
    return instance.run_coordinator.submit_run(SubmitRunContext(run, workspace=None))


def test_runs_queue_in_postgres_and_gpu_runs_wait_for_a_gpu(deployment, postgres, lydspor_state):
    from orchestration.definitions import defs

    pipeline = defs.resolve_job_def("call_pipeline")
    intake = defs.resolve_job_def("call_intake")
    with dg.DagsterInstance.from_config(str(deployment.home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        gpu_runs = [_submit(instance, pipeline, day) for day in ("2026-03-02", "2026-03-03")]
        light = _submit(instance, intake, "2026-03-03")
        assert {r.status for r in [*gpu_runs, light]} == {dg.DagsterRunStatus.QUEUED}

        # What the daemon would start now: one GPU run (the limit is 1 GPU), and the intake.
        daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
        chosen = daemon._get_runs_to_dequeue(instance, instance.get_concurrency_config(), None)
        ids = {r.run_id for r in chosen}
        assert light.run_id in ids
        assert len(ids & {r.run_id for r in gpu_runs}) == 1

    # Another process (here: another instance on the same file) sees the same runs: they are
    # in Postgres, not in a file on one machine.
    with dg.DagsterInstance.from_config(str(deployment.home)) as other:
        stored = other.get_run_by_id(gpu_runs[0].run_id)
        assert stored.job_name == "call_pipeline"
        assert stored.tags[GPU_TAG] == "1"
        assert stored.status == dg.DagsterRunStatus.QUEUED
    assert postgres.psql("select count(*) from runs", deployment.database) == "3"


def test_warehouse_pool_admits_one_step_at_a_time_across_runs(deployment):
    with dg.DagsterInstance.from_config(str(deployment.home)) as instance:
        storage = instance.event_log_storage
        assert storage.supports_global_concurrency_limits
        # Pools without a limit of their own take the default (1) on first use, as a step's
        # claim does (dagster/_core/execution/plan/instance_concurrency_context.py).
        storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
        assert storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1
        first = storage.claim_concurrency_slot(WAREHOUSE_POOL, "run-a", "transcripts.load")
        second = storage.claim_concurrency_slot(WAREHOUSE_POOL, "run-b", "agent_audio")
        assert first.is_claimed and not second.is_claimed
        storage.free_concurrency_slot_for_step("run-a", "transcripts.load")
        assert storage.claim_concurrency_slot(WAREHOUSE_POOL, "run-b", "agent_audio").is_claimed


@dg.asset(pool=WAREHOUSE_POOL)
def writes_the_catalogue() -> int:
    return 1


HELD_S = 2.0


def _seconds_to_materialize_while_the_pool_is_held(instance: dg.DagsterInstance) -> float:
    """Seconds a step of the warehouse pool takes while another run's step holds the pool's
    one slot and gives it back after ``HELD_S`` seconds."""
    storage = instance.event_log_storage
    assert storage.claim_concurrency_slot(WAREHOUSE_POOL, "other-run", "dbt").is_claimed
    release = threading.Timer(
        HELD_S, storage.free_concurrency_slot_for_step, args=("other-run", "dbt")
    )
    started = time.monotonic()
    release.start()
    try:
        assert dg.materialize([writes_the_catalogue], instance=instance).success
    finally:
        release.cancel()
    return time.monotonic() - started


def test_a_warehouse_step_waits_for_the_slot_on_the_deployment_only(deployment, tmp_path):
    with dg.DagsterInstance.from_config(str(deployment.home)) as instance:
        instance.event_log_storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
        assert _seconds_to_materialize_while_the_pool_is_held(instance) >= HELD_S
    # The embedded default (SQLite, settings.DAGSTER_YAML): the pool has no limit, so the
    # step claims nothing and never waits (its runs are serialised by the run queue instead).
    home = tmp_path / "embedded"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert dg.materialize([writes_the_catalogue], instance=instance).success
        info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
        assert info.slot_count == 0 and not info.claimed_slots


@dg.asset
def logs_a_phone_number(context) -> int:
    context.log.info("called +47 912 34 567")
    return 1


def test_the_run_log_purge_deletes_runs_naming_erased_data_from_postgres(deployment, postgres):
    """lydspor's sweep and erasure delete run logs through Dagster's API: on the deployment
    they go from Postgres (the rows; reclaiming their pages is Postgres's VACUUM)."""
    naming = "select count(*) from event_logs where event like '%912 34 567%'"
    with dg.DagsterInstance.from_config(str(deployment.home)) as instance:
        assert dg.materialize([logs_a_phone_number], instance=instance).success
        assert dg.materialize([writes_the_catalogue], instance=instance).success
        assert postgres.psql(naming, deployment.database) == "1"
        purge = purge_dagster_runs(
            instance, datetime(2000, 1, 1, tzinfo=UTC), mentioning=["+47 912 34 567"]
        )
        assert len(purge.deleted_runs) == 1
        assert postgres.psql(naming, deployment.database) == "0"
        assert postgres.psql("select count(*) from runs", deployment.database) == "1"
