"""A transcript as table rows, redacted or not: personal-data words become their mask."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from assets.transcripts.engines import Transcript
from assets.transcripts.pii import PiiSpan
from assets.transcripts.tables import SEGMENTS_SCHEMA, WORDS_SCHEMA

MASK = "[{kind}]"


@dataclass(frozen=True)
class TrackInfo:
    """Where a transcript came from and what it may be used for."""

    call_id: str
    call_date: date
    track: str  # "agent" or "customer"
    legal_basis: str
    purposes: list[str]


def pii_kind_per_word(word_count: int, spans: Sequence[PiiSpan]) -> list[str | None]:
    kinds: list[str | None] = [None] * word_count
    for span in spans:
        for index in range(span.first_word, span.last_word + 1):
            kinds[index] = span.kind
    return kinds


def words_frame(
    transcript: Transcript, spans: Sequence[PiiSpan], track: TrackInfo, *, redacted: bool
) -> pl.DataFrame:
    """One row per word; with ``redacted`` each personal-data word is its mask ("[phone]")
    and keeps its times, so talk-time statistics stay right."""
    kinds = pii_kind_per_word(len(transcript.words), spans)
    return pl.DataFrame(
        [
            {
                "call_id": track.call_id,
                "call_date": track.call_date,
                "track": track.track,
                "word_index": i,
                "segment_index": w.segment_index,
                "word": MASK.format(kind=kind) if redacted and kind else w.word,
                "start_s": w.start,
                "end_s": w.end,
                "probability": w.probability,
                "language": transcript.language,
                "legal_basis": track.legal_basis,
                "purposes": track.purposes,
                "speaker_role": track.track,
                "speaker": w.speaker,
                "pii_kind": kind,
                "redacted": bool(redacted and kind),
            }
            for i, (w, kind) in enumerate(zip(transcript.words, kinds, strict=True))
        ],
        schema=WORDS_SCHEMA,
    )


def segments_frame(words: pl.DataFrame) -> pl.DataFrame:
    """Segments built from (redacted) word rows: times, text and word count."""
    if words.is_empty():
        return pl.DataFrame(schema=SEGMENTS_SCHEMA)
    keys = ["call_id", "call_date", "track", "segment_index"]
    return (
        words.sort("word_index")
        .group_by(keys, maintain_order=True)
        .agg(
            pl.col("start_s").min(),
            pl.col("end_s").max(),
            # A span of several masked words reads as one mask: "[phone] [phone]" -> "[phone]".
            pl.when(pl.col("redacted") & (pl.col("word") == pl.col("word").shift(1)))
            .then(None)
            .otherwise(pl.col("word"))
            .drop_nulls()
            .str.join(" ")
            .alias("text"),
            pl.len().cast(pl.Int32).alias("word_count"),
            pl.col("language").first(),
            pl.col("legal_basis").first(),
            pl.col("purposes").first(),
        )
        .select(list(SEGMENTS_SCHEMA))
        .cast(SEGMENTS_SCHEMA)
    )
