"""Removing the remnants deleted rows leave behind: in the DuckDB file, dbt's artefacts and
Dagster's run logs. The sweep and erasure delete rows and objects; this makes their bytes go
from every file under the state directory (see "How long erased bytes survive" in
docs/compliance.md).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg

from assets.common.compaction import Compaction, compact_database
from assets.common.lake import LakePurge, Warehouse, purge_lake, warehouse_from_environment
from assets.retention.run_logs import (
    RunLogPurge,
    mentions,
    needle_forms,
    purge_dagster_runs,
    tree_bytes,
)

#: The dbt project (the same directory as ``assets.common.dbt_project.DBT_PROJECT_DIR``, which
#: is not imported: dagster-dbt imports dbt, seconds that `lydspor erase` need not pay).
DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt"
#: What dbt writes from the project's sources alone (no row ever reaches them), and what the
#: dbt assets read when they are defined: kept at the top of target/.
DBT_PARSE_ARTEFACTS = frozenset(
    {
        "manifest.json",
        "partial_parse.msgpack",
        "semantic_manifest.json",
        "graph.gpickle",
        "graph_summary.json",
        "perf_info.json",
    }
)
#: How long (s) the DuckDB rewrite waits for another process (a pipeline step, dbt) to let go
#: of the file before it fails.
DUCKDB_LOCK_WAIT_S = 30.0


class RemnantPurgeError(RuntimeError):
    """A copy could not be purged; ``report`` says what was done before it failed."""

    def __init__(self, message: str, report: RemnantReport):
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class RemnantTargets:
    """Where the copies are: the DuckDB catalogue, the Dagster home, dbt's project; with a
    DuckLake ``warehouse``, the lake instead of the DuckDB file."""

    duckdb_path: Path
    dagster_home: Path | None
    dbt_project_dir: Path = DBT_PROJECT_DIR
    warehouse: Warehouse | None = None

    @classmethod
    def from_environment(cls) -> RemnantTargets:
        """The running configuration (``LYDSPOR_DUCKDB_PATH``, ``LYDSPOR_WAREHOUSE``,
        ``DAGSTER_HOME``), as set by the embedded defaults or the user."""
        home = os.environ.get("DAGSTER_HOME")
        return cls(
            Path(os.environ["LYDSPOR_DUCKDB_PATH"]),
            Path(home) if home else None,
            warehouse=warehouse_from_environment(),
        )


@dataclass
class DbtPurge:
    removed: list[str] = field(default_factory=list)
    bytes_before: int = 0
    bytes_after: int = 0


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return [p for p in root.rglob("*") if p.is_file() or p.is_symlink()]


def _mentions_any(paths: list[Path], forms: list[bytes]) -> bool:
    return bool(forms) and any(mentions(p.read_bytes(), forms) for p in paths if p.is_file())


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry)
    else:
        entry.unlink()


def _is_log(path: Path) -> bool:
    # dbt.log, and its rotations dbt.log.1 ... dbt.log.5.
    return ".log" in path.suffixes


def _is_invocation_dir(entry: Path) -> bool:
    """dagster-dbt runs each invocation in target/<op>-<run id[:7]>-<hash>/, a target of its
    own (manifest, compiled and run SQL, run_results.json, dbt.log), written once."""
    return entry.is_dir() and (entry / "manifest.json").exists()


def purge_dbt_artefacts(
    project_dir: Path,
    older_than: datetime,
    *,
    mentioning: Iterable[str] = (),
    skip_run_ids: Iterable[str] = (),
) -> DbtPurge:
    """Remove what dbt wrote that can hold row data: logs (``dbt show`` previews, database
    errors quoting a value), ``run_results.json`` (error messages), compiled and run SQL
    (literals), and dagster-dbt's per-run target directories.

    - dbt's own log files (``dbt.log*`` at the top of target/, everything under logs/) go
      every time: dbt appends to them, so their age says nothing about their content's;
    - a per-run directory goes whole once its newest file was written before ``older_than``,
      or when a file in it mentions one of ``mentioning``, unless its run is in
      ``skip_run_ids`` (the one executing);
    - any other file goes once written before ``older_than`` or when it mentions a needle;
    - the parse artefacts at the top of target/ (built from the sources, no row reaches them)
      stay: the dbt assets read the manifest when they are defined.
    """
    forms = needle_forms(mentioning)
    cutoff = older_than.timestamp()
    running = tuple(f"-{run_id[:7]}-" for run_id in skip_run_ids)
    target, logs = project_dir / "target", project_dir / "logs"
    roots = [r for r in (target, logs) if r.is_dir()]
    result = DbtPurge(bytes_before=sum(tree_bytes(r) for r in roots))
    doomed: list[Path] = []
    for root in roots:
        for entry in sorted(root.iterdir()):
            if root == target and entry.name in DBT_PARSE_ARTEFACTS:
                continue
            if root == target and _is_invocation_dir(entry):
                if any(r in entry.name for r in running):
                    continue
                files = _files(entry)
                newest = max((p.lstat().st_mtime for p in files), default=0.0)
                if newest < cutoff or _mentions_any(files, forms):
                    doomed.append(entry)
                continue
            for path in _files(entry):
                if (
                    root == logs
                    or _is_log(path)
                    or path.lstat().st_mtime < cutoff
                    or _mentions_any([path], forms)
                ):
                    doomed.append(path)
    for path in doomed:
        _remove(path)
        result.removed.append(str(path.relative_to(project_dir)))
    for root in roots:
        # Directories emptied above (compiled/, run/ trees).
        for directory in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
            if not any(directory.iterdir()):
                directory.rmdir()
    result.bytes_after = sum(tree_bytes(r) for r in roots)
    return result


@dataclass
class RemnantReport:
    seconds: float = 0.0
    duckdb: Compaction | None = None
    lake: LakePurge | None = None
    dbt: DbtPurge | None = None
    run_logs: RunLogPurge | None = None
    errors: list[str] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        """For a Dagster op's output or a CLI summary: plain numbers and lists."""
        meta: dict[str, Any] = {"purge_seconds": round(self.seconds, 3)}
        if self.duckdb:
            meta |= {
                "duckdb_bytes_before": self.duckdb.bytes_before,
                "duckdb_bytes_after": self.duckdb.bytes_after,
                "duckdb_rewrite_seconds": round(self.duckdb.seconds, 3),
            }
        if self.lake:
            meta |= {
                "lake_files_rewritten": self.lake.files_rewritten,
                "lake_snapshots_expired": self.lake.snapshots_expired,
                "lake_files_deleted": self.lake.files_deleted,
                "lake_purge_seconds": round(self.lake.seconds, 3),
                "lake_wal_checkpointed": self.lake.wal_checkpointed,
            }
        if self.dbt:
            meta |= {
                "dbt_artefacts_removed": len(self.dbt.removed),
                "dbt_bytes_before": self.dbt.bytes_before,
                "dbt_bytes_after": self.dbt.bytes_after,
            }
        if self.run_logs:
            meta |= {
                "runs_deleted": len(self.run_logs.deleted_runs),
                "runs_unfinished_kept": dg.MetadataValue.json(self.run_logs.unfinished),
                "dagster_bytes_before": self.run_logs.bytes_before,
                "dagster_bytes_after": self.run_logs.bytes_after,
            }
        if self.errors:
            meta["purge_errors"] = dg.MetadataValue.json(self.errors)
        return meta


def purge_remnants(
    targets: RemnantTargets,
    run_logs_before: datetime,
    *,
    mentioning: Iterable[str] = (),
    current_run_id: str | None = None,
    instance: dg.DagsterInstance | None = None,
    compact: bool = True,
    lock_wait_s: float = DUCKDB_LOCK_WAIT_S,
) -> RemnantReport:
    """Make deleted rows' bytes go from every copy under the state directory: rewrite the
    DuckDB file (``compact``; no connection to it may be open in this process) or, on a
    DuckLake, its data files with deleted rows and expire its old snapshots and files
    (``lake.purge_lake``), remove dbt's
    artefacts and Dagster's runs last written before ``run_logs_before`` or mentioning one of
    ``mentioning`` (an erased phone number, call ids, object keys), and VACUUM Dagster's
    SQLite files.

    ``current_run_id``: the Dagster run calling this, never deleted. ``instance``: the
    instance to use (the run's own), else one opened on ``targets.dagster_home``.

    Every part is tried; if any fails, :class:`RemnantPurgeError` is raised after the others ran,
    with the report. Nothing is skipped silently.
    """
    started = time.monotonic()
    needles = sorted({n for n in mentioning if n})
    skip = [current_run_id] if current_run_id else []
    report = RemnantReport()
    lake = targets.warehouse if targets.warehouse and targets.warehouse.is_lake else None
    try:
        if compact and lake:
            report.lake = purge_lake(lake, wait_s=lock_wait_s)
        elif compact:
            report.duckdb = compact_database(targets.duckdb_path, wait_s=lock_wait_s)
    except Exception as exc:
        if lake:
            report.errors.append(f"DuckLake purge of {lake.ducklake_data_path}: {exc}")
        else:
            report.errors.append(f"DuckDB rewrite of {targets.duckdb_path}: {exc}")
    try:
        report.dbt = purge_dbt_artefacts(
            targets.dbt_project_dir, run_logs_before, mentioning=needles, skip_run_ids=skip
        )
    except Exception as exc:
        report.errors.append(f"dbt artefacts under {targets.dbt_project_dir}: {exc}")
    home = instance or targets.dagster_home
    if home is not None:
        try:
            report.run_logs = purge_dagster_runs(
                home, run_logs_before, mentioning=needles, skip_run_ids=skip
            )
        except Exception as exc:
            report.errors.append(f"Dagster run logs: {exc}")
    report.seconds = time.monotonic() - started
    if report.errors:
        raise RemnantPurgeError("; ".join(report.errors), report)
    return report
