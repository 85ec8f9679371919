"""The isolation of a mono call in the warehouse: one row per call, one per segment."""

from __future__ import annotations

import json
from datetime import date, datetime

import duckdb
import polars as pl

from assets.agent_audio.isolation import Isolation
from assets.common.warehouse import CALL_KEY, ensure_table, upsert

ISOLATION_TABLE = "raw.agent_isolation"
SEGMENTS_TABLE = "raw.agent_segments"

ISOLATION_SCHEMA = pl.Schema(
    {
        **CALL_KEY,
        "status": pl.String,
        "confidence": pl.Float64,
        "speakers": pl.Int32,
        "agent_speech_s": pl.Float64,
        # What the confidence was built from (JSON: voices, margins, shares; no audio).
        "evidence": pl.String,
        "processed_at": pl.Datetime("us", "UTC"),
    }
)
SEGMENTS_SCHEMA = pl.Schema(
    {
        **CALL_KEY,
        "segment_index": pl.Int32,
        "start_s": pl.Float64,
        "end_s": pl.Float64,
        "role": pl.String,  # agent (audible in the agent audio) | other (silent)
        "confidence": pl.Float64,
    }
)


def record_isolation(
    con: duckdb.DuckDBPyConnection, call_id: str, call_date: date, result: Isolation, at: datetime
) -> None:
    """Replace the call's isolation row and segments (one transaction's worth of statements)."""
    ensure_table(con, ISOLATION_TABLE, ISOLATION_SCHEMA)
    ensure_table(con, SEGMENTS_TABLE, SEGMENTS_SCHEMA)
    # Tables made before the evidence column existed get it (null for their old rows).
    con.execute(f"alter table {ISOLATION_TABLE} add column if not exists evidence varchar")
    row = {
        "call_id": call_id,
        "call_date": call_date,
        "status": result.status,
        "confidence": result.confidence,
        "speakers": result.speakers,
        "agent_speech_s": result.agent_seconds,
        "evidence": json.dumps(result.evidence, sort_keys=True),
        "processed_at": at,
    }
    upsert(con, ISOLATION_TABLE, pl.DataFrame([row], schema=ISOLATION_SCHEMA), ["call_id"])
    con.execute(f"delete from {SEGMENTS_TABLE} where call_id = ?", [call_id])
    rows = [
        {
            "call_id": call_id,
            "call_date": call_date,
            "segment_index": i,
            "start_s": s.start,
            "end_s": s.end,
            "role": s.role,
            "confidence": s.confidence,
        }
        for i, s in enumerate(result.segments)
    ]
    if rows:
        upsert(
            con,
            SEGMENTS_TABLE,
            pl.DataFrame(rows, schema=SEGMENTS_SCHEMA),
            ["call_id", "segment_index"],
        )
