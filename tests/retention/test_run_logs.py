"""Purging Dagster's run records: the runs go, and so do their bytes in every file."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from assets.retention.run_logs import purge_dagster_runs, vacuum
from tests.support.remanence import scan_bytes

MARKER = "call-erased-7c1f +4741234567"
OTHER = "call-kept-93ab"


@dg.asset(config_schema={"call": str})
def tiny(context) -> dg.MaterializeResult:
    call = context.op_config["call"]
    context.log.info(f"processing {call}")
    print(f"stdout {call}")
    return dg.MaterializeResult(metadata={"call": call})


@dg.asset_check(asset=tiny)
def tiny_check() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True, metadata={"checked": "yes"})


def run(instance: dg.DagsterInstance, call: str) -> str:
    config = {"ops": {"tiny": {"config": {"call": call}}}}
    result = dg.materialize([tiny, tiny_check], instance=instance, run_config=config)
    assert result.success
    return result.run_id


@pytest.fixture
def instance(tmp_path):
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


def home(instance: dg.DagsterInstance) -> Path:
    return Path(instance.root_directory)


def test_runs_mentioning_an_erased_value_leave_no_bytes(instance):
    erased = run(instance, MARKER)
    kept = run(instance, OTHER)
    assert {p.name for p, _ in scan_bytes(home(instance), [MARKER])} >= {
        f"{erased}.db",
        "index.db",
    }
    assert any(p.suffix == ".out" for p, _ in scan_bytes(home(instance), [MARKER]))

    result = purge_dagster_runs(
        instance, datetime.now(UTC) - timedelta(days=30), mentioning=[MARKER]
    )

    assert result.deleted_runs == [erased]
    assert scan_bytes(home(instance), [MARKER, erased]) == []
    # The other run and its logs are untouched, and the instance still works.
    assert instance.get_run_ids() == [kept]
    assert scan_bytes(home(instance), [OTHER])
    assert instance.get_latest_materialization_event(dg.AssetKey("tiny")) is not None
    assert result.compute_log_dirs == 1
    assert result.bytes_after < result.bytes_before
    run(instance, OTHER)


def test_one_event_log_file_for_all_runs_is_purged_too(tmp_path):
    """Dagster's other SQLite layout (``ConsolidatedSqliteEventLogStorage``): no file per
    run, so the events are read through the instance."""
    root = tmp_path / "dagster"
    root.mkdir()
    (root / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        "event_log_storage:\n"
        "  module: dagster._core.storage.event_log\n"
        "  class: ConsolidatedSqliteEventLogStorage\n"
        f"  config:\n    base_dir: {root / 'events'}\n"
    )
    with dg.DagsterInstance.from_config(str(root)) as consolidated:
        erased = run(consolidated, MARKER)
        kept = run(consolidated, OTHER)
        assert scan_bytes(root / "events", [MARKER])

        result = purge_dagster_runs(
            consolidated, datetime.now(UTC) - timedelta(days=30), mentioning=[MARKER]
        )

        assert result.deleted_runs == [erased]
        assert consolidated.get_run_ids() == [kept]
    assert scan_bytes(root, [MARKER]) == []


def test_a_phone_number_is_matched_by_its_digits(instance):
    erased = run(instance, "customer 4741234567 called")
    run(instance, OTHER)

    result = purge_dagster_runs(
        instance, datetime.now(UTC) - timedelta(days=30), mentioning=["+47 41 23 45 67"]
    )

    assert result.deleted_runs == [erased]


def test_runs_older_than_the_cutoff_go_and_the_running_one_stays(instance):
    old = run(instance, MARKER)
    current = run(instance, OTHER)

    result = purge_dagster_runs(instance, datetime.now(UTC), skip_run_ids={current})

    assert result.deleted_runs == [old]
    assert instance.get_run_ids() == [current]
    assert scan_bytes(home(instance), [MARKER]) == []
    assert scan_bytes(home(instance), [OTHER])


@dg.asset
def purger(context) -> dg.MaterializeResult:
    result = purge_dagster_runs(context.instance, datetime.now(UTC), skip_run_ids={context.run_id})
    return dg.MaterializeResult(metadata={"runs_deleted": len(result.deleted_runs)})


def test_a_run_purges_the_others_and_finishes(instance):
    """As the sweep does: the purge runs inside a run, which must not lose its own records."""
    run(instance, MARKER)

    current = dg.materialize([purger], instance=instance)

    assert current.success
    assert instance.get_run_ids() == [current.run_id]
    assert instance.get_run_by_id(current.run_id).status == dg.DagsterRunStatus.SUCCESS
    event = instance.get_latest_materialization_event(dg.AssetKey("purger"))
    assert event.asset_materialization.metadata["runs_deleted"].value == 1
    assert scan_bytes(home(instance), [MARKER]) == []


def test_a_home_directory_is_accepted(instance):
    run(instance, MARKER)

    result = purge_dagster_runs(home(instance), datetime.now(UTC))

    assert len(result.deleted_runs) == 1
    assert scan_bytes(home(instance), [MARKER]) == []


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_vacuum_removes_deleted_rows_from_the_file(tmp_path, journal):
    # Some SQLite builds zero deleted rows (secure_delete), many do not: VACUUM is what is
    # relied on, so the test turns zeroing off.
    path = tmp_path / "events.db"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute(f"pragma journal_mode = {journal}")
    con.execute("pragma secure_delete = 0")
    con.execute("create table events (body text)")
    con.executemany("insert into events values (?)", [(f"{MARKER} {i}",) for i in range(500)])
    con.execute("insert into events values ('kept')")
    con.execute("delete from events where body like 'call-erased%'")
    assert scan_bytes(tmp_path, [MARKER])

    vacuum(path)

    assert scan_bytes(tmp_path, [MARKER]) == []
    assert con.execute("select body from events").fetchall() == [("kept",)]
    con.close()


@dg.op(config_schema={"call": str})
def handed_on(context) -> str:
    return f"plan for {context.op_config['call']}"


@dg.op
def received(context, plan: str) -> None:
    context.log.info(plan)


@pytest.mark.parametrize("shared_dir", [False, True], ids=["dagster-home", "LYDSPOR_IO_DIR"])
def test_outputs_steps_hand_each_other_go_with_their_run(
    instance, tmp_path, monkeypatch, shared_dir
):
    """A step's output is a pickle under ``<dir>/<run_id>/``: under DAGSTER_HOME by default,
    on the shared volume a k8s deployment names; either way the run's purge removes it."""
    outputs = tmp_path / "step-outputs"
    if shared_dir:
        monkeypatch.setenv("LYDSPOR_IO_DIR", str(outputs))
    # base_dir None: the instance's storage directory, as a deployed run without the setting.
    io_manager = dg.FilesystemIOManager(base_dir=str(outputs) if shared_dir else None)
    job = dg.GraphDefinition(
        name="handover",
        node_defs=[handed_on, received],
        dependencies={"received": {"plan": dg.DependencyDefinition("handed_on")}},
    ).to_job(resource_defs={"io_manager": io_manager})
    config = {"ops": {"handed_on": {"config": {"call": MARKER}}}}
    result = job.execute_in_process(instance=instance, run_config=config)
    where = outputs if shared_dir else home(instance)
    assert scan_bytes(where, [MARKER]), "the output should be stored before the purge"

    purge = purge_dagster_runs(
        instance, datetime.now(UTC) - timedelta(days=30), mentioning=[MARKER]
    )

    assert purge.deleted_runs == [result.run_id]
    assert scan_bytes(where, [MARKER]) == []
    assert not (where / result.run_id).exists()
