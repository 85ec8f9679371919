"""Running the pipeline in this process (``lydspor run``, ``demo``, ``sweep``, ``erase``), and the
demo's summary of what a run left in the catalogue."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from assets.access.identity import ensure_embedded_policy
from assets.common.lake import Warehouse, connect
from assets.common.shards import DATE_DIMENSION, SHARD_DIMENSION, shard_count, shard_keys

if TYPE_CHECKING:
    import dagster as dg

    # Dagster (seconds to import) only for the annotation: every CLI command imports this.
    from assets.retention.remnants import RemnantReport

MARTS = [
    "fct_calls",
    "fct_call_coaching",
    "fct_call_kpis",
    "fct_agent_weekly_kpis",
    "fct_call_scores",
    "fct_best_practice_calls",
    "fct_lowest_scoring_calls",
    "fct_onboarding_curves",
    "fct_tracker_hits",
    "fct_tracker_weekly",
    "fct_team_key_pains",
    "fct_survey_responses",
    "fct_nps_weekly",
]


#: What an erasure rebuilds for the affected days: the retention state and the dbt marts.
REFRESH_GROUPS = ("retention", "marts")


def prepare_code_location() -> None:
    """Parse the dbt project into the manifest the dbt assets read when they are defined."""
    # Imported here: dagster-dbt imports dbt (seconds), which only the commands that run the
    # pipeline or the UI need.
    from assets.common.dbt_project import prepare_manifest

    prepare_manifest()


def code_location() -> dg.Definitions:
    """The code location (``orchestration.definitions``), its dbt manifest prepared first."""
    prepare_code_location()
    # Imported after the manifest exists: its dbt assets read the manifest at import.
    from orchestration.definitions import defs

    return defs


@dataclass(frozen=True)
class RunOutcome:
    success: bool
    materialized: set[str]
    run_id: str
    errors: list[str]
    checks_passed: int
    checks_failed: int
    failed_checks: list[str]


def run_call_pipeline(
    start: date, end: date, *, instance=None, asset_selection=None, log_level: str = "INFO"
) -> RunOutcome:
    """Materialise the assets (all, or ``asset_selection``) for call dates [start, end] in one
    in-process run, recorded on ``instance`` (default: the one DAGSTER_HOME names). The first
    run of the embedded default also makes whoever runs it the owner in the access policy.
    Sharded (``LYDSPOR_SHARDS`` above 1): one run per (date, shard) of the heavy assets, as a
    deployment spreads them, then one run of the daily rest for the whole window."""
    import dagster as dg

    ensure_embedded_policy()
    location = code_location()
    instance = instance or dg.DagsterInstance.get()
    first, last = start.isoformat(), end.isoformat()
    shards = shard_count()
    if shards == 1:
        runs = [("call_pipeline", first, last)]
    else:
        days = [(start + timedelta(days=k)).isoformat() for k in range((end - start).days + 1)]
        runs = [
            ("call_pipeline", key, key)
            for day in days
            for key in (
                dg.MultiPartitionKey({DATE_DIMENSION: day, SHARD_DIMENSION: shard})
                for shard in shard_keys(shards)
            )
        ]
        runs.append(("call_marts", first, last))
    results = []
    for name, range_start, range_end in runs:
        job = location.resolve_job_def(name)
        selection = asset_selection
        if selection is not None and shards > 1:
            in_job = job.asset_layer.selected_asset_keys
            selection = [key for key in selection if key in in_job]
            if not selection:
                continue
        results.append(
            job.execute_in_process(
                instance=instance,
                asset_selection=selection,
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
                tags={
                    "dagster/asset_partition_range_start": range_start,
                    "dagster/asset_partition_range_end": range_end,
                },
                raise_on_error=False,
            )
        )
    events = [event for result in results for event in result.all_events]
    evaluations = [
        event.asset_check_evaluation_data
        for event in events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    failed = [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations if not e.passed]
    materialized = {
        event.asset_key.to_user_string()
        for event in events
        if event.event_type_value == "ASSET_MATERIALIZATION"
    }
    errors = [
        f"{event.step_key}: {_error_message(event)}"
        for event in events
        if event.event_type_value == "STEP_FAILURE"
    ]
    return RunOutcome(
        success=all(result.success for result in results),
        materialized=materialized,
        errors=errors,
        run_id=results[-1].run_id,
        checks_passed=sum(e.passed for e in evaluations),
        checks_failed=len(failed),
        failed_checks=failed,
    )


def _error_message(event) -> str:
    error = getattr(event.event_specific_data, "error", None)
    while (
        error is not None
        and error.cause is not None
        and "DagsterExecutionStep" in (error.cls_name or "")
    ):
        error = error.cause  # unwrap Dagster's wrapper to the user's own error
    return error.message.strip() if error is not None else "failed"


def refresh_marts(start: date, end: date, *, instance=None) -> RunOutcome:
    """Rebuild retention state and the dbt marts (with the gate) for call dates [start, end]."""
    graph = code_location().resolve_asset_graph()
    keys = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name in REFRESH_GROUPS]
    return run_call_pipeline(start, end, instance=instance, asset_selection=keys)


@dataclass(frozen=True)
class SweepOutcome:
    success: bool
    deleted: int
    held: list[str]
    failed: list[dict]
    rows_deleted: dict[str, int]
    rows_anonymised: dict[str, int]


def run_retention_sweep(*, instance=None) -> SweepOutcome:
    """Run the retention sweep job in this process (what the schedule and sensors launch)."""
    import dagster as dg

    result = (
        code_location()
        .resolve_job_def("retention_sweep")
        .execute_in_process(
            instance=instance or dg.DagsterInstance.get(),
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            raise_on_error=False,
        )
    )
    metadata = {}
    for event in result.all_events:
        if event.event_type_value in ("STEP_OUTPUT", "STEP_FAILURE"):
            data = event.event_specific_data
            entries = getattr(data, "metadata", None) or getattr(
                getattr(data, "user_failure_data", None), "metadata", None
            )
            metadata.update({k: getattr(v, "value", v) for k, v in (entries or {}).items()})
    return SweepOutcome(
        success=result.success,
        deleted=int(metadata.get("deleted", 0)),
        held=list(metadata.get("held", [])),
        failed=list(metadata.get("failed", [])),
        rows_deleted=dict(metadata.get("rows_deleted") or {}),
        rows_anonymised=dict(metadata.get("rows_anonymised") or {}),
    )


@dataclass(frozen=True)
class Summary:
    calls: int
    audio_minutes: float
    agent_only_minutes: float
    quarantined: int
    customer_objects_deleted: int
    deletion_receipts: int
    customer_objects_kept_with_consent: int
    transcribed_words: int
    mart_rows: dict[str, int]
    mono_calls: int = 0
    mono_calls_isolated: int = 0
    #: Personal-data spans silenced in kept agent audio.
    audio_spans_muted: int = 0
    #: The dialers whose metadata the calls came with ("generic": lydspor's own record or a
    #: manifest), in name order.
    dialers: tuple[str, ...] = ()


def summarise(warehouse: Warehouse, start: date, end: date) -> Summary:
    """What the calls of ``start``..``end`` became, read from the warehouse (file or lake)."""
    stop = end + timedelta(days=1)
    # Read-write, as the pipeline's steps open it: this process may still hold the DuckDB
    # file (DuckDB refuses a read-only open beside a read-write one in one process).
    with connect(warehouse) as con:

        def one(sql: str) -> float:
            try:
                return con.execute(sql, [start, stop]).fetchone()[0] or 0
            except duckdb.CatalogException:  # a failed run may not have made every table
                return 0

        window = "call_date >= ? and call_date < ?"
        mart_rows = {
            mart: int(con.execute(f"select count(*) from main.{mart}").fetchone()[0])
            for mart in MARTS
            if con.execute(
                "select count(*) from information_schema.tables where table_name = ?", [mart]
            ).fetchone()[0]
        }
        return Summary(
            calls=int(one(f"select count(*) from raw.recordings where {window}")),
            audio_minutes=round(
                one(f"select sum(duration_s) from raw.recordings where {window}") / 60, 2
            ),
            agent_only_minutes=round(
                one(
                    f"select sum(duration_s) from raw.agent_audio where {window} "
                    "and agent_key is not null"
                )
                / 60,
                2,
            ),
            quarantined=int(one(f"select count(distinct stem) from raw.quarantine where {window}")),
            customer_objects_deleted=int(
                one(
                    "select count(*) from raw.stored_objects where object_class = "
                    f"'customer_audio' and deleted_at is not null and {window}"
                )
            ),
            deletion_receipts=int(
                one(
                    "select count(*) from raw.deletion_receipts r join raw.stored_objects o "
                    f"using (object_key) where r.verified_absent and o.{window}"
                )
            ),
            customer_objects_kept_with_consent=int(
                one(
                    "select count(*) from raw.stored_objects where object_class = "
                    f"'customer_audio' and deleted_at is null and legal_basis = 'consent' "
                    f"and {window}"
                )
            ),
            transcribed_words=int(one(f"select count(*) from raw.transcript_words where {window}")),
            mart_rows=mart_rows,
            mono_calls=int(
                one(
                    "select count(*) from raw.recordings "
                    f"where recording_mode = 'mono' and {window}"
                )
            ),
            mono_calls_isolated=int(
                one(f"select count(*) from raw.agent_audio where status = 'isolated' and {window}")
            ),
            audio_spans_muted=int(one(f"select count(*) from raw.audio_redactions where {window}")),
            dialers=_dialers(con, window, [start, stop]),
        )


def _dialers(con: duckdb.DuckDBPyConnection, window: str, params: list) -> tuple[str, ...]:
    try:
        rows = con.execute(
            f"select distinct dialer from raw.recordings where {window} order by dialer", params
        ).fetchall()
    except duckdb.CatalogException:
        return ()
    return tuple(row[0] for row in rows)


def purged_warehouse(report: RemnantReport) -> str:
    """What the purge did to the warehouse, in words for the CLI and the web app (a lake whose
    WAL was not checkpointed says so: docs/warehouse.md)."""
    if report.lake is None:
        return "DuckDB file rewritten"
    wal = (
        "WAL checkpointed"
        if report.lake.wal_checkpointed
        else "WAL not checkpointed (the catalogue's role may not)"
    )
    return (
        f"lake: {report.lake.files_rewritten} file(s) rewritten, {report.lake.files_deleted} "
        f"deleted, snapshots expired, catalogue vacuumed, {wal}"
    )


def database_path() -> Path:
    return Path(os.environ["LYDSPOR_DUCKDB_PATH"])
