"""Deleting Dagster's records of past runs, and the bytes they leave in its files.

A run's event log and its captured stdout/stderr hold whatever the run logged: call ids, object
keys, agent ids, error messages quoting a row. With the default (SQLite) storage under
``DAGSTER_HOME`` they live in

- ``history/runs.db``: the runs, their tags and config;
- ``history/runs/<run_id>.db``: one file per run, its events;
- ``history/runs/index.db``: the events mirrored across runs (asset materialisations, check
  results, run status), and the latest materialisation of each asset cached in ``asset_keys``;
- ``schedules/schedules.db``: schedule and sensor ticks, naming the runs they started;
- ``storage/<run_id>/compute_logs/``: the captured stdout and stderr of each step.

``DagsterInstance.delete_run`` removes a run's rows but leaves the per-run file, the cached
latest materialisation and the check executions, and SQLite keeps deleted rows in free pages:
:func:`purge_dagster_runs` removes all of those and rewrites every SQLite file (VACUUM).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import dagster as dg
from dagster_shared.serdes import serialize_value

from assets.common.concurrency import io_dir

# Dagster's storage internals (SQLAlchemy tables, the compute log manager) are imported where a
# purge uses them: at import they would cost every CLI command about a second.

#: A run still in one of these states may be executing: it is deleted only once it is older
#: than the cutoff (a run "started" before the whole run-log window is a dead process's).
_UNFINISHED = {
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
}
_RUN_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_SQLITE_HEADER = b"SQLite format 3\x00"
#: How long (s) a VACUUM waits for a writer (the running pipeline, the UI) to let go.
SQLITE_BUSY_TIMEOUT_S = 60


def needle_forms(needles: Iterable[str]) -> list[bytes]:
    """The bytes a value can be stored as: UTF-8, JSON-escaped (Dagster and dbt write JSON
    with non-ASCII escaped) and, for a phone number, its bare digits."""
    forms: set[bytes] = set()
    for needle in needles:
        if not needle:
            continue
        forms.add(needle.encode())
        forms.add(json.dumps(needle)[1:-1].encode())
        digits = "".join(ch for ch in needle if ch.isdigit())
        if len(digits) >= 6:
            forms.add(digits.encode())
    return sorted(forms)


def mentions(data: bytes, forms: list[bytes]) -> bool:
    return any(form in data for form in forms)


@dataclass
class RunLogPurge:
    deleted_runs: list[str] = field(default_factory=list)
    #: Runs that mention a needle but may still be executing: kept, to be purged next time.
    unfinished: list[str] = field(default_factory=list)
    compute_log_dirs: int = 0
    sqlite_files: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    seconds: float = 0.0


def tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


@contextlib.contextmanager
def _instance(instance_or_home: dg.DagsterInstance | Path | str) -> Iterator[dg.DagsterInstance]:
    if isinstance(instance_or_home, dg.DagsterInstance):
        yield instance_or_home
        return
    with dg.DagsterInstance.from_config(str(instance_or_home)) as instance:
        yield instance


def _log_dir(instance: dg.DagsterInstance) -> Path | None:
    from dagster._core.storage.local_compute_log_manager import LocalComputeLogManager

    manager = instance.compute_log_manager
    if isinstance(manager, LocalComputeLogManager):
        return Path(manager._base_dir)
    return None


def _shard(instance: dg.DagsterInstance, run_id: str) -> Path | None:
    """The run's own SQLite file, where the default storage keeps all of its events."""
    path_for_shard = getattr(instance.event_log_storage, "path_for_shard", None)
    return Path(path_for_shard(run_id)) if path_for_shard else None


def _events_mention(instance: dg.DagsterInstance, run_id: str, forms: list[bytes]) -> bool:
    shard = _shard(instance, run_id)
    if shard is not None and shard.is_file():
        # Reading the file raw is faster than loading every event (a dbt build logs
        # thousands), and finds what deleted rows left in it too.
        return any(
            mentions(p.read_bytes(), forms)
            for p in (shard, *(shard.with_name(shard.name + s) for s in ("-wal", "-journal")))
            if p.is_file()
        )
    return any(mentions(serialize_value(e).encode(), forms) for e in instance.all_logs(run_id))


def _run_mentions(
    instance: dg.DagsterInstance, record, forms: list[bytes], log_dir: Path | None
) -> bool:
    run = record.dagster_run
    if mentions(serialize_value(run).encode(), forms):
        return True
    if _events_mention(instance, run.run_id, forms):
        return True
    run_logs = log_dir / run.run_id if log_dir else None
    if run_logs and run_logs.is_dir():
        return any(mentions(p.read_bytes(), forms) for p in run_logs.rglob("*") if p.is_file())
    return False


def _forget_cached_events(instance: dg.DagsterInstance, run_ids: set[str]) -> None:
    """Drop what the cross-run index keeps of deleted runs beyond their events: the check
    executions, and an asset's cached latest materialisation (Dagster reads it from the
    remaining events instead)."""
    from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable, AssetKeyTable

    if not run_ids:
        return
    storage = instance.event_log_storage
    with storage.index_connection() as conn:
        conn.execute(
            AssetCheckExecutionsTable.delete().where(
                AssetCheckExecutionsTable.c.run_id.in_(sorted(run_ids))
            )
        )
        cached = conn.execute(
            AssetKeyTable.select().with_only_columns(
                AssetKeyTable.c.id, AssetKeyTable.c.last_materialization
            )
        ).fetchall()
        stale = [row_id for row_id, event in cached if event and any(r in event for r in run_ids)]
        if stale:
            conn.execute(
                AssetKeyTable.update()
                .where(AssetKeyTable.c.id.in_(stale))
                .values(last_materialization=None, last_run_id=None)
            )


def _remove_shard(instance: dg.DagsterInstance, run_id: str) -> None:
    shard = _shard(instance, run_id)
    if shard is None:
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            shard.with_name(shard.name + suffix).unlink()


def _sqlite_files(home: Path) -> list[Path]:
    found = []
    for path in sorted(home.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER:
                    found.append(path)
    return found


def vacuum(path: Path) -> None:
    """Rewrite a SQLite file without its free pages, and empty its write-ahead log."""
    con = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None)
    try:
        con.execute("vacuum")
        con.execute("pragma wal_checkpoint(truncate)")
    finally:
        con.close()


def purge_dagster_runs(
    instance_or_home: dg.DagsterInstance | Path | str,
    older_than: datetime,
    *,
    mentioning: Iterable[str] = (),
    skip_run_ids: Iterable[str] = (),
) -> RunLogPurge:
    """Delete every Dagster run started (or, never started, created) before ``older_than``,
    and every finished run whose run record, events or captured logs mention one of
    ``mentioning`` (matched as UTF-8, JSON-escaped and, for numbers, bare digits); remove
    their compute logs and the compute logs of runs no longer stored; then VACUUM every
    SQLite file under the Dagster home so the deleted rows' bytes go too.

    ``skip_run_ids``: never deleted, whatever their age or content; pass the run this is
    called from (``context.run_id``). A run that mentions a needle but may still be executing
    is kept and listed in ``unfinished``.

    A SQLite file another process is writing is waited for up to ``SQLITE_BUSY_TIMEOUT_S``,
    then ``sqlite3.OperationalError`` is raised; the runs are deleted by then, and the next
    purge rewrites the file.
    """
    started = time.monotonic()
    skip = set(skip_run_ids)
    forms = needle_forms(mentioning)
    cutoff = older_than.timestamp()
    result = RunLogPurge()
    with _instance(instance_or_home) as instance:
        home = Path(instance.root_directory)
        log_dir = _log_dir(instance)
        result.bytes_before = tree_bytes(home)
        doomed: set[str] = set()
        for record in instance.get_run_records():
            run_id = record.dagster_run.run_id
            if run_id in skip:
                continue
            began = record.start_time or record.create_timestamp.timestamp()
            if began < cutoff:
                doomed.add(run_id)
            elif forms and _run_mentions(instance, record, forms, log_dir):
                if record.dagster_run.status in _UNFINISHED:
                    result.unfinished.append(run_id)
                else:
                    doomed.add(run_id)
        for run_id in sorted(doomed):
            instance.delete_run(run_id)
            _remove_shard(instance, run_id)
        _forget_cached_events(instance, doomed)
        result.deleted_runs = sorted(doomed)

        # Step outputs (the IO manager's files, ``<dir>/<run_id>/``) go with their run too.
        outputs = io_dir()
        kept = set(instance.get_run_ids()) | skip
        for base in {d for d in (log_dir, Path(outputs) if outputs else None) if d}:
            if not base.is_dir():
                continue
            for entry in base.iterdir():
                if entry.is_dir() and _RUN_ID.match(entry.name) and entry.name not in kept:
                    shutil.rmtree(entry)
                    result.compute_log_dirs += 1

        for state in instance.all_instigator_state():
            instance.purge_ticks(state.instigator_origin_id, state.selector_id, before=cutoff)

        for path in _sqlite_files(home):
            vacuum(path)
            result.sqlite_files += 1
        result.bytes_after = tree_bytes(home)
    result.seconds = time.monotonic() - started
    return result
