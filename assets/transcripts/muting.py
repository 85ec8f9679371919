"""Silence personal data in the agent audio that is kept.

The agent may read back a phone number or a national ID number: those words' times (from the
transcript, padded because word times are approximate) are set to digital silence in a new
copy of the agent audio. The copy replaces the original in the ledger with the original's class,
basis and deadline (muting never extends a retention period), and the unmuted original is
deleted through the retention engine, with a receipt.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import polars as pl

from assets.agent_audio.extract import AGENT_AUDIO_TABLE
from assets.common.storage import ObjectStore
from assets.common.warehouse import upsert
from assets.recordings.probe import encode_wav, read_audio
from assets.retention.deletion import DeletionError, delete_objects
from assets.retention.ledger import StoredObject, alive_object, write_through
from assets.transcripts.tables import AUDIO_REDACTIONS_SCHEMA, AUDIO_REDACTIONS_TABLE


@dataclass(frozen=True)
class MuteInterval:
    start_s: float
    end_s: float
    pii_kind: str


def mute_intervals(
    spans: Sequence[tuple[float, float, str]], padding_s: float, duration_s: float
) -> list[MuteInterval]:
    """Padded (start, end, kind) spans clipped to the audio, overlapping ones merged."""
    padded = sorted(
        (round(max(0.0, start - padding_s), 3), round(min(duration_s, end + padding_s), 3), kind)
        for start, end, kind in spans
        if end >= start
    )
    merged: list[MuteInterval] = []
    for start, end, kind in padded:
        if merged and start <= merged[-1].end_s:
            last = merged[-1]
            kinds = last.pii_kind if kind in last.pii_kind.split(",") else f"{last.pii_kind},{kind}"
            merged[-1] = MuteInterval(last.start_s, max(last.end_s, end), kinds)
        elif end > start:
            merged.append(MuteInterval(start, end, kind))
    return merged


def mute(samples: np.ndarray, rate: int, intervals: Sequence[MuteInterval]) -> np.ndarray:
    """A copy of ``samples`` (frames first) with every interval set to zero; nothing else
    changes. Interval edges round outwards, so no sample of a span survives."""
    out = np.array(samples, copy=True)
    for interval in intervals:
        first = max(0, math.floor(interval.start_s * rate))
        last = min(len(out), math.ceil(interval.end_s * rate))
        out[first:last] = 0
    return out


def muted_key_for(call_date: date, call_id: str) -> str:
    return f"agent/{call_date.isoformat()}/{call_id}/agent.muted.wav"


def replace_many_with_muted(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    jobs: Sequence[tuple[str, str, Sequence[tuple[float, float, str]]]],
    padding_s: float,
    now: datetime | None = None,
) -> pl.DataFrame:
    """For each (call id, source key, spans): write the muted copy of the source, delete the
    original, record both; returns the rows added to raw.audio_redactions. Each muted copy is
    written through the ledger in turn, then the originals are deleted in one batch (one
    transaction for all their receipts), the agent audio rows point at the copies and the
    redaction rows are written once: per call those catalogue writes were most of the muting's
    time.

    A crash before the deletions leaves the originals alive and pointed at: the next run mutes
    them again (registering an alive key again changes nothing). A deletion that fails still
    moves the rows of the originals already deleted before it is raised."""
    now = now or datetime.now(UTC)
    done: list[tuple[str, dict, str, str, list[MuteInterval]]] = []
    for call_id, source_key, spans in jobs:
        source = alive_object(con, source_key)
        if source is None:
            raise ValueError(f"{source_key!r} is not an alive object in the retention ledger")
        muted_key = muted_key_for(source["call_date"], call_id)
        if muted_key == source_key:
            raise ValueError(f"{source_key!r} is already the muted copy")
        samples, rate = read_audio(store.get_bytes(source_key))
        intervals = mute_intervals(spans, padding_s, len(samples) / rate)
        data = encode_wav(mute(samples, rate, intervals), rate)
        # Registered before it is written and confirmed after; the original's deadline carries
        # over.
        write_through(
            store,
            con,
            StoredObject(
                object_key=muted_key,
                call_id=call_id,
                call_date=source["call_date"],
                kind="agent_audio",  # still the agent audio; raw.audio_redactions says it is muted
                object_class=source["object_class"],
                legal_basis=source["legal_basis"],
                purposes=list(source["purposes"]),
                sha256=hashlib.sha256(data).hexdigest(),
                size_bytes=len(data),
                created_at=now,
                deadline=source["deadline"],
            ),
            data,
            content_type="audio/wav",
        )
        done.append((call_id, source, source_key, muted_key, intervals))
    deletions = [(d[2], f"personal data muted: replaced by {d[3]}") for d in done]
    try:
        receipts = {
            r.object_key: r.receipt_id for r in delete_objects(store, con, deletions, now=now)
        }
    except DeletionError:
        receipts = _receipts_of(con, [key for key, _ in deletions])
        _record_muted(con, [d for d in done if d[2] in receipts], receipts, now)
        raise
    return _record_muted(con, done, receipts, now)


def _receipts_of(con: duckdb.DuckDBPyConnection, keys: list[str]) -> dict[str, str]:
    return dict(
        con.execute(
            "select object_key, receipt_id from raw.deletion_receipts "
            "where list_contains(?, object_key)",
            [keys],
        ).fetchall()
    )


def _record_muted(con, done, receipts: dict[str, str], now: datetime) -> pl.DataFrame:
    """The agent audio rows moved to the muted copies and their raw.audio_redactions rows."""
    if done:
        con.executemany(
            f"update {AGENT_AUDIO_TABLE} set agent_key = ? where call_id = ?",
            [[muted_key, call_id] for call_id, _, _, muted_key, _ in done],
        )
    rows = pl.DataFrame(
        [
            {
                "call_id": call_id,
                "call_date": source["call_date"],
                "source_key": source_key,
                "muted_key": muted_key,
                "span_index": i,
                "pii_kind": interval.pii_kind,
                "start_s": round(interval.start_s, 3),
                "end_s": round(interval.end_s, 3),
                "receipt_id": receipts[source_key],
                "muted_at": now,
            }
            for call_id, source, source_key, muted_key, intervals in done
            for i, interval in enumerate(intervals)
        ],
        schema=AUDIO_REDACTIONS_SCHEMA,
    )
    upsert(con, AUDIO_REDACTIONS_TABLE, rows, ["muted_key", "span_index"])
    return rows
