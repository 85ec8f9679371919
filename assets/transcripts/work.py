"""What the transcription worker hands back: one Parquet file per track under a work prefix
(per track, not per call: the ledger gives an object one basis, and a call's two tracks can
have different ones, the customer's being consent).

A work file holds one track's ``TrackResult`` as the engine gave it (the words, unredacted,
one row each; the transcript's and the language choice's fields in the file's key-value
metadata, so a track without words still says what was heard). Its key is a function of the
call and track alone (``work_key``), so a worker run again overwrites and never duplicates.
The pooled step registers every key in the retention ledger before the worker starts, loads
the files, and deletes them through the retention engine (``assets.transcripts.pipes``).
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from assets.transcripts.engines import Transcript, Word
from assets.transcripts.language import LanguageChoice
from assets.transcripts.models import TrackResult

WORK_PREFIX = "work/transcripts/"
#: The ledger class of a work file: it holds the unredacted words, as ``<track>.words.parquet``
#: does, so it has that object's (short) window.
WORK_CLASS = "transcript"
WORK_KIND = "transcript_work"
_METADATA_KEY = b"lydspor.track_result"
_WORDS_SCHEMA = pa.schema(
    [
        ("word", pa.string()),
        ("start", pa.float64()),
        ("end", pa.float64()),
        ("probability", pa.float64()),
        ("segment_index", pa.int64()),
        ("speaker", pa.string()),
    ]
)


def work_key(call_date: date, call_id: str, track: str) -> str:
    return f"{WORK_PREFIX}{call_date.isoformat()}/{call_id}/{track}.parquet"


@dataclass(frozen=True)
class WorkItem:
    """One track for the worker: what to read, how to hear it, where to write the result.
    Only keys and settings: no text, no number, nothing from the catalogue but these."""

    call_id: str
    call_date: str
    track: str
    source: str
    channel: int | None
    language: str | None
    key: str

    def to_json(self) -> dict:
        return asdict(self)


def result_bytes(heard: TrackResult) -> bytes:
    """The work file of one track."""
    words = heard.transcript.words
    # Column by column: a dict per word (``asdict`` copies deeply) cost ~10x the write.
    columns = {name: [getattr(w, name) for w in words] for name in _WORDS_SCHEMA.names}
    table = pa.Table.from_pydict(columns, schema=_WORDS_SCHEMA)
    about = {
        "language": heard.transcript.language,
        "duration_s": heard.transcript.duration_s,
        "engine": heard.transcript.engine,
        "timestamps": heard.transcript.timestamps,
        "choice": asdict(heard.choice),
        "model": heard.model,
    }
    table = table.replace_schema_metadata({_METADATA_KEY: json.dumps(about).encode()})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def result_from_bytes(data: bytes) -> TrackResult:
    """The ``TrackResult`` a work file holds, field for field (floats are stored as float64,
    so the words' times and probabilities come back exactly)."""
    table = pq.read_table(io.BytesIO(data))
    about = json.loads(table.schema.metadata[_METADATA_KEY])
    columns = table.to_pydict()
    words = [
        Word(*values) for values in zip(*(columns[n] for n in _WORDS_SCHEMA.names), strict=True)
    ]
    transcript = Transcript(
        about["language"], about["duration_s"], words, about["engine"], about["timestamps"]
    )
    return TrackResult(transcript, LanguageChoice(**about["choice"]), about["model"])
