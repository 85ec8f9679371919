"""Transcript tables: explicit Polars schemas of the Parquet objects and the DuckDB tables."""

from __future__ import annotations

import polars as pl

from assets.common.warehouse import CALL_KEY

WORDS_TABLE = "raw.transcript_words"
SEGMENTS_TABLE = "raw.transcript_segments"
LANGUAGES_TABLE = "raw.transcript_languages"
AUDIO_REDACTIONS_TABLE = "raw.audio_redactions"
VERBAL_CONSENT_TABLE = "raw.verbal_consent_evidence"

#: One row per word. In DuckDB and in the redacted object a personal-data word reads as its
#: mask ("[phone]"), its times kept; only the short-lived unredacted object has the text.
WORDS_SCHEMA = pl.Schema(
    {
        **CALL_KEY,
        "track": pl.String,
        "word_index": pl.Int32,
        "segment_index": pl.Int32,
        "word": pl.String,
        "start_s": pl.Float64,
        "end_s": pl.Float64,
        "probability": pl.Float64,
        "language": pl.String,
        "legal_basis": pl.String,
        "purposes": pl.List(pl.String),
        #: "agent" or "customer": whose voice (the track's); diarization labels go to speaker.
        "speaker_role": pl.String,
        "speaker": pl.String,
        #: The kind of personal data the word is part of ("phone", "no_fnr", ...), else null.
        "pii_kind": pl.String,
        "redacted": pl.Boolean,
    }
)

SEGMENTS_SCHEMA = pl.Schema(
    {
        **CALL_KEY,
        "track": pl.String,
        "segment_index": pl.Int32,
        "start_s": pl.Float64,
        "end_s": pl.Float64,
        "text": pl.String,  # redacted
        "word_count": pl.Int32,
        "language": pl.String,
        "legal_basis": pl.String,
        "purposes": pl.List(pl.String),
    }
)

LANGUAGES_SCHEMA = pl.Schema(
    {
        **CALL_KEY,
        "track": pl.String,
        "language": pl.String,
        "language_source": pl.String,
        "language_probability": pl.Float64,
        "engine": pl.String,
        "model": pl.String,
        "word_timestamps": pl.String,
        "audio_s": pl.Float64,
        "word_count": pl.Int32,
        "pii_spans": pl.Int32,
    }
)

AUDIO_REDACTIONS_SCHEMA = pl.Schema(
    {
        **CALL_KEY,
        "source_key": pl.String,
        "muted_key": pl.String,
        "span_index": pl.Int32,
        "pii_kind": pl.String,
        "start_s": pl.Float64,
        "end_s": pl.Float64,
        "receipt_id": pl.String,
        "muted_at": pl.Datetime("us", "UTC"),
    }
)

VERBAL_CONSENT_SCHEMA = pl.Schema(
    {
        **CALL_KEY,
        "language": pl.String,
        "question_text": pl.String,
        "question_start_s": pl.Float64,
        "question_end_s": pl.Float64,
        #: "yes", "no", "unclear" (both or neither), or "not_heard" (no customer words kept).
        "answer": pl.String,
        "answer_text": pl.String,
        "answer_start_s": pl.Float64,
        "answer_end_s": pl.Float64,
        "counts_as_consent": pl.Boolean,
        "needs_review": pl.Boolean,
        "found_at": pl.Datetime("us", "UTC"),
    }
)
