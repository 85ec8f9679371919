"""agent_audio: the agent's voice alone; the customer's voice deleted unless consent keeps it."""

from collections import Counter
from datetime import UTC, datetime

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.agent_audio import isolation as iso
from assets.agent_audio.extract import (
    AGENT_AUDIO_SCHEMA,
    AGENT_AUDIO_TABLE,
    process_recording,
)
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
        for i, recording in enumerate(recordings.iter_rows(named=True), 1):
            result = process_recording(store, con, tenant_policy, recording, settings=settings)
            context.log.info(
                f"[{i}/{recordings.height}] {result.call_id}: {result.status}"
                + (", customer audio deleted" if result.customer_audio_deleted else "")
                + (f" ({result.note})" if result.note else "")
            )
            row = result.as_row(recording["call_date"], datetime.now(UTC), recording["object_key"])
            upsert(
                con, AGENT_AUDIO_TABLE, pl.DataFrame([row], schema=AGENT_AUDIO_SCHEMA), ["call_id"]
            )
            rows.append(row)
            if result.hold_conflict:
                hold_conflicts[result.call_id] = list(result.hold_conflict)
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
        }
    )
