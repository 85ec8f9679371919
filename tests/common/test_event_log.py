"""The embedded instance's event log (``assets/common/event_log.py``) and the ``dagster.yaml``
that selects it: the same events in the same files as Dagster's own SQLite event log, written
without a new connection (and a WAL checkpoint) per event."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as db
import yaml

from assets.common import settings
from assets.common.event_log import OPEN_FILES, EmbeddedEventLogStorage
from assets.common.settings import DAGSTER_YAML, apply_embedded_defaults, embedded_dagster_yaml
from assets.retention.run_logs import purge_dagster_runs

CHECKS = 12


@dg.multi_asset(
    specs=[dg.AssetSpec("calls")],
    check_specs=[dg.AssetCheckSpec(f"check_{i}", asset="calls") for i in range(CHECKS)],
)
def calls(context):
    for i in range(20):
        context.log.info(f"line {i}")
    yield dg.MaterializeResult(asset_key="calls", metadata={"rows": 3})
    for i in range(CHECKS):
        yield dg.AssetCheckResult(check_name=f"check_{i}", asset_key="calls", passed=i != 3)


def _home(tmp_path: Path, name: str, text: str | None = None) -> Path:
    home = tmp_path / name
    home.mkdir()
    (home / "dagster.yaml").write_text(text if text is not None else embedded_dagster_yaml(home))
    return home


@pytest.fixture
def connections(monkeypatch):
    """The files of the SQLite connections opened in this process, one entry a connection."""
    opened = []

    def count(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        opened.append(Path(cursor.execute("PRAGMA database_list").fetchone()[2]))
        cursor.close()

    db.event.listen(db.engine.Engine, "connect", count)
    yield opened
    db.event.remove(db.engine.Engine, "connect", count)


def _summary(instance: dg.DagsterInstance, run_id: str) -> dict:
    records = instance.all_logs(run_id)
    events = [r.dagster_event.event_type_value for r in records if r.dagster_event]
    checks = {
        name: instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("calls"), name), limit=5
        )[0].status.value
        for name in (f"check_{i}" for i in range(CHECKS))
    }
    latest = instance.get_latest_materialization_event(dg.AssetKey("calls"))
    return {
        "events": sorted(events),
        "logs": len(instance.all_logs(run_id)),
        "checks": checks,
        "latest_run": latest.run_id == run_id,
        "latest_rows": latest.asset_materialization.metadata["rows"].value,
    }


def test_the_same_events_as_dagsters_own_event_log_in_the_same_files(tmp_path, connections):
    summaries, opened = {}, {}
    for name, text in (("dagster", DAGSTER_YAML), ("embedded", None)):
        home = _home(tmp_path, name, text)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert isinstance(instance.event_log_storage, EmbeddedEventLogStorage) == (
                name == "embedded"
            )
            dg.materialize([calls], instance=instance, raise_on_error=False)  # creates the index
            before = len(connections)
            run = dg.materialize([calls], instance=instance, raise_on_error=False)
            events_dir = home / "history" / "runs"
            opened[name] = sum(p.parent == events_dir for p in connections[before:])
            summaries[name] = _summary(instance, run.run_id)
            # Where Dagster's own storage (and the run-log purge) looks for a run's events.
            assert (home / "history" / "runs" / f"{run.run_id}.db").is_file()
    assert summaries["embedded"] == summaries["dagster"]
    assert summaries["embedded"]["logs"] > 40
    assert summaries["embedded"]["checks"]["check_3"] == "FAILED"
    # Dagster opens a connection per event (more for checks and materialisations); the
    # embedded log one per file it writes (the run's and the index).
    assert opened["dagster"] > summaries["dagster"]["logs"]
    assert opened["embedded"] <= 2


def test_a_deleted_run_file_is_let_go_and_few_files_stay_open(tmp_path):
    home = _home(tmp_path, "embedded")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        runs = [dg.materialize([calls], instance=instance).run_id for _ in range(OPEN_FILES + 1)]
        assert len(storage._engines) == OPEN_FILES
        assert runs[0] not in storage._engines
        # What the run-log purge does to a run's file: the storage must not keep writing to
        # (or holding) the deleted file.
        last = runs[-1]
        held = storage._engines[last]
        for suffix in ("", "-wal", "-shm"):
            Path(storage.path_for_shard(last) + suffix).unlink(missing_ok=True)
        assert storage._engine(last) is not held
    assert not storage._engines


def test_a_child_process_opens_its_own_connections(tmp_path):
    home = _home(tmp_path, "embedded")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        run_id = dg.materialize([calls], instance=instance).run_id
        parent = storage._engine(run_id)
        pid = os.fork()
        if pid == 0:  # the child: a fresh engine, the parent's left untouched
            os._exit(0 if storage._engine(run_id) is not parent else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert storage._engine(run_id) is parent
        assert len(instance.all_logs(run_id)) > 40


def test_the_embedded_defaults_write_the_event_log_for_their_home(tmp_path, monkeypatch):
    state = tmp_path / "state"
    home = state / "dagster"
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    for name in settings.embedded_defaults(state):
        monkeypatch.delenv(name, raising=False)
    old_umask = os.umask(0o022)
    try:
        # An older lydspor's file is replaced.
        home.mkdir(parents=True)
        (home / "dagster.yaml").write_text(DAGSTER_YAML)
        apply_embedded_defaults(state)
        config = yaml.safe_load((home / "dagster.yaml").read_text())
        assert config["event_log_storage"]["config"]["base_dir"] == str(home / "history" / "runs")
        assert config["run_coordinator"] == yaml.safe_load(DAGSTER_YAML)["run_coordinator"]
        # A state moved elsewhere points at its new home again.
        moved = tmp_path / "moved"
        state.rename(moved)
        monkeypatch.delenv("DAGSTER_HOME")
        apply_embedded_defaults(moved)
        text = (moved / "dagster" / "dagster.yaml").read_text()
        assert text == embedded_dagster_yaml(moved.resolve() / "dagster")
        # The user's own file is left alone.
        mine = "telemetry:\n  enabled: false\n"
        (moved / "dagster" / "dagster.yaml").write_text(mine)
        apply_embedded_defaults(moved)
        assert (moved / "dagster" / "dagster.yaml").read_text() == mine
    finally:
        os.umask(old_umask)


def test_threads_share_the_open_connections(tmp_path):
    """The daemon and the webserver store and read events from many threads."""
    home = _home(tmp_path, "embedded")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        errors = []

        def report(n: int) -> None:
            try:
                for i in range(10):
                    instance.report_runless_asset_event(
                        dg.AssetMaterialization("calls", metadata={"thread": n, "i": i})
                    )
            except Exception as exc:  # collected, asserted below
                errors.append(exc)

        threads = [threading.Thread(target=report, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        records = instance.fetch_materializations(dg.AssetKey("calls"), limit=100).records
        assert len(records) == 40


def test_the_run_log_purge_leaves_no_deleted_run_open_or_in_any_file(tmp_path):
    home = _home(tmp_path, "embedded")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        doomed = dg.materialize([calls], instance=instance, tags={"call": "c-0047-secret"})
        kept = dg.materialize([calls], instance=instance)
        assert doomed.run_id in storage._engines
        purge = purge_dagster_runs(
            instance, datetime(2000, 1, 1, tzinfo=UTC), mentioning=["c-0047-secret"]
        )
        assert purge.deleted_runs == [doomed.run_id]
        assert doomed.run_id not in storage._engines
        assert not Path(storage.path_for_shard(doomed.run_id)).exists()
        # Every byte under the home, write-ahead logs included, is free of the value.
        for path in home.rglob("*"):
            if path.is_file():
                assert b"c-0047-secret" not in path.read_bytes(), path
        # The storage goes on writing and reading the runs it kept.
        assert len(instance.all_logs(kept.run_id)) > 40
        dg.materialize([calls], instance=instance)
