"""The catalogue's recording tables: recordings, quarantined files and ground-truth turns,
and the rows ingest writes into them."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from assets.common.warehouse import CALL_KEY
from assets.recordings.metadata import CallMetadata, TruthTurn
from assets.recordings.probe import AudioProbe

RECORDINGS_TABLE = "raw.recordings"
QUARANTINE_TABLE = "raw.quarantine"
TRUTH_TABLE = "raw.truth_turns"

RECORDINGS_SCHEMA = pl.Schema(
    {
        **CALL_KEY,
        "dialer": pl.String,
        "direction": pl.String,
        "started_at": pl.Datetime("us", "UTC"),
        "ended_at": pl.Datetime("us", "UTC"),
        "agent_id": pl.String,
        "team": pl.String,
        "campaign": pl.String,
        "customer_number": pl.String,
        "language": pl.String,
        "recording_mode": pl.String,
        "agent_channel": pl.Int8,
        "outcome": pl.String,
        "nps": pl.Int8,
        "lia_reference": pl.String,
        "metadata_json": pl.String,
        "object_key": pl.String,
        "sha256": pl.String,
        "size_bytes": pl.Int64,
        "format": pl.String,
        "duration_s": pl.Float64,
        "channels": pl.Int8,
        "sample_rate": pl.Int32,
        "ingested_at": pl.Datetime("us", "UTC"),
    }
)

QUARANTINE_SCHEMA = pl.Schema(
    {
        "landing_key": pl.String,
        "quarantine_key": pl.String,
        "call_date": pl.Date,
        "stem": pl.String,
        "reason": pl.String,
        "sha256": pl.String,
        "quarantined_at": pl.Datetime("us", "UTC"),
    }
)

TRUTH_SCHEMA = pl.Schema(
    {
        **CALL_KEY,
        "turn_index": pl.Int32,
        "speaker": pl.String,
        "start_s": pl.Float64,
        "end_s": pl.Float64,
        "text": pl.String,
    }
)

CATALOGUE_TABLES = {
    RECORDINGS_TABLE: RECORDINGS_SCHEMA,
    QUARANTINE_TABLE: QUARANTINE_SCHEMA,
    TRUTH_TABLE: TRUTH_SCHEMA,
}


def raw_key(call: CallMetadata, ext: str) -> str:
    return f"raw/{call.call_date.isoformat()}/{call.call_id}/recording.{ext}"


def recording_row(
    call: CallMetadata, key: str, sha: str, size: int, probe: AudioProbe, now: datetime
) -> pl.DataFrame:
    row = {
        "call_id": call.call_id,
        "call_date": call.call_date,
        "dialer": call.dialer,
        "direction": call.direction.value,
        "started_at": call.started_at,
        "ended_at": call.ended_at,
        "agent_id": call.agent_id,
        "team": call.team,
        "campaign": call.campaign,
        "customer_number": call.customer_number,
        "language": call.language,
        "recording_mode": call.recording_mode.value,
        "agent_channel": call.agent_channel,
        "outcome": call.outcome,
        "nps": call.nps,
        "lia_reference": call.lia_reference,
        "metadata_json": call.model_dump_json(),
        "object_key": key,
        "sha256": sha,
        "size_bytes": size,
        "format": probe.format,
        "duration_s": probe.duration_s,
        "channels": probe.channels,
        "sample_rate": probe.sample_rate,
        "ingested_at": now,
    }
    return pl.DataFrame([row], schema=RECORDINGS_SCHEMA)


def truth_rows(call: CallMetadata, truth: list[TruthTurn]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "call_id": call.call_id,
                "call_date": call.call_date,
                "turn_index": i,
                "speaker": t.speaker,
                "start_s": t.start,
                "end_s": t.end,
                "text": t.text,
            }
            for i, t in enumerate(truth)
        ],
        schema=TRUTH_SCHEMA,
    )
