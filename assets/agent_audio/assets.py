"""agent_audio: the agent's voice alone; the customer's voice deleted unless consent keeps it."""

from collections import Counter
from datetime import UTC, datetime

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.agent_audio import isolation as iso
from assets.agent_audio.ahead import Ahead
from assets.agent_audio.extract import (
    AGENT_AUDIO_SCHEMA,
    AGENT_AUDIO_TABLE,
    FINAL_STATUSES,
    process_recording,
)
from assets.agent_audio.pipes import PipesWork, worker_mode
from assets.agent_audio.voiceprint_store import enrolments_wanted, load_voiceprint
from assets.common.partitions import (
    HEAVY_STEP,
    in_run_shards,
    window_dates,
)
from assets.common.resources import ObjectStoreResource
from assets.common.warehouse import ensure_table, upsert
from assets.consent.assets import consent_lineage
from assets.recordings.assets import raw_recordings
from assets.recordings.ingest import RECORDINGS_TABLE
from assets.retention.resources import PolicyResource


@dg.asset(
    **HEAVY_STEP,
    deps=[raw_recordings, consent_lineage],
    group_name="agent_audio",
    kinds={"s3", "duckdb"},
    description="Agent-only audio per call: stereo channel split, agent-only passthrough, mono "
    "isolated by the agent's voiceprint (enrolled from their own tracks). Customer audio "
    "without a basis to keep it is deleted at once, unless a legal hold keeps it.",
)
def agent_audio(
    context: dg.AssetExecutionContext,
    object_store: ObjectStoreResource,
    duckdb: DuckDBResource,
    policy: PolicyResource,
) -> dg.MaterializeResult:
    store, tenant_policy = object_store.get_store(), policy.load()
    mode = worker_mode()
    figures: dict = {"worker": mode}
    settings = iso.IsolationSettings(min_confidence=tenant_policy.isolation.min_confidence)
    start, end = window_dates(context)
    with duckdb.get_connection() as con:
        # Creates the table on the first run, so reruns can see what was already done.
        ensure_table(con, AGENT_AUDIO_TABLE, AGENT_AUDIO_SCHEMA)
        recordings = con.sql(
            f"select call_id, call_date, recording_mode, agent_channel, object_key, duration_s, "
            f"agent_id from {RECORDINGS_TABLE} "
            f"where call_date >= '{start}' and call_date < '{end}' "
            # Agent tracks first: they enrol the voiceprints the mono calls are isolated by.
            "order by recording_mode = 'mono', call_id"
        ).pl()
        recordings = in_run_shards(context, recordings)
        rows, hold_conflicts = [], {}
        todo = list(recordings.iter_rows(named=True))
        done = _finished(con, [r["call_id"] for r in todo])
        # The models' work: ahead in this process's threads, or in a Pipes worker.
        work: Ahead | PipesWork = (
            Ahead(store)
            if mode == "inprocess"
            else PipesWork(context, object_store, store, con, mode)
        )
        with work as ahead:
            _plan_enrolments(ahead, store, con, [r for r in todo if r["call_id"] not in done])
            mono_planned = False
            for i, recording in enumerate(todo, 1):
                if recording["recording_mode"] == "mono" and not mono_planned:
                    # Every agent track is written by now: the voiceprints are final.
                    for r in todo[i - 1 :]:
                        if r["call_id"] not in done:
                            voiceprint = load_voiceprint(store, con, r.get("agent_id"))
                            ahead.plan_isolation(r, voiceprint, settings)
                    mono_planned = True
                ahead.turn(recording["object_key"])
                result = process_recording(
                    store, con, tenant_policy, recording, settings=settings, work=ahead
                )
                context.log.info(
                    f"[{i}/{recordings.height}] {result.call_id}: {result.status}"
                    + (", customer audio deleted" if result.customer_audio_deleted else "")
                    + (f" ({result.note})" if result.note else "")
                )
                row = result.as_row(
                    recording["call_date"], datetime.now(UTC), recording["object_key"]
                )
                upsert(
                    con,
                    AGENT_AUDIO_TABLE,
                    pl.DataFrame([row], schema=AGENT_AUDIO_SCHEMA),
                    ["call_id"],
                )
                rows.append(row)
                if result.hold_conflict:
                    hold_conflicts[result.call_id] = list(result.hold_conflict)
        if isinstance(work, PipesWork):
            figures = work.figures
    frame = pl.DataFrame(rows, schema=AGENT_AUDIO_SCHEMA)
    return dg.MaterializeResult(
        metadata={
            "calls": frame.height,
            "agent_audio_minutes": round(
                frame.filter(pl.col("agent_key").is_not_null())["duration_s"].sum() / 60, 2
            ),
            "by_status": dg.MetadataValue.json(dict(Counter(frame["status"].to_list()))),
            "isolation_review": frame.filter(pl.col("status") == "isolation_review").height,
            # Customer audio a legal hold kept from deletion (call -> hold ids); audited.
            "hold_conflicts": dg.MetadataValue.json(hold_conflicts),
            **figures,
        }
    )


def _finished(con, call_ids: list[str]) -> set[str]:
    """Calls whose outcome stands (a rerun leaves them as they are): nothing to compute."""
    if not call_ids:
        return set()
    found = con.execute(
        f"select call_id from {AGENT_AUDIO_TABLE} "
        f"where call_id in (select unnest(?)) and status in (select unnest(?))",
        [call_ids, list(FINAL_STATUSES)],
    ).fetchall()
    return {call_id for (call_id,) in found}


def _plan_enrolments(ahead: Ahead | PipesWork, store, con, recordings: list[dict]) -> None:
    """Decode the agent tracks ahead, and enrol ahead as many of each agent's tracks as their
    voiceprint still takes (``process_recording`` decides again at each track's turn)."""
    wanted: dict[str, int] = {}
    for recording in recordings:
        if recording["recording_mode"] == "mono":
            continue
        agent_id = recording.get("agent_id")
        if agent_id and agent_id not in wanted:
            wanted[agent_id] = enrolments_wanted(store, con, agent_id)
        enrols = bool(agent_id) and wanted.get(agent_id, 0) > 0
        if enrols:
            wanted[agent_id] -= 1
        ahead.plan_enrolment(recording, enrols)
