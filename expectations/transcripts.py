"""The transcripts suite: well-formed words, and personal data only ever as its mask."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import polars as pl

from expectations.runner import build_suite

TRANSCRIPT_WORDS_SUITE = "transcript_words_redacted_and_well_formed"
#: What a redacted word reads as: "[phone]", "[no_fnr]", ... (erasure writes "[erased]").
MASK_PATTERN = r"^\[[a-z_]+\]$"


def transcript_words_frame(words: pl.DataFrame) -> pd.DataFrame:
    """raw.transcript_words with the derived columns the suite checks."""
    return (
        words.with_columns(
            times_ordered=pl.col("start_s") <= pl.col("end_s"),
            # A word marked as personal data must read as a mask, never as what was said.
            masked_or_clean=pl.col("pii_kind").is_null()
            | (pl.col("redacted") & pl.col("word").str.contains(MASK_PATTERN)),
            has_purposes=pl.col("purposes").list.len().fill_null(0) > 0,
        )
        .select(
            "call_id",
            "track",
            "speaker_role",
            "language",
            "legal_basis",
            "probability",
            "start_s",
            "times_ordered",
            "masked_or_clean",
            "has_purposes",
        )
        .to_pandas()
    )


def transcript_words_suite(languages: Sequence[str]):
    """The suite, for transcripts in ``languages`` (the languages lydspor transcribes)."""
    return build_suite(
        TRANSCRIPT_WORDS_SUITE,
        lambda e: [
            e.ExpectColumnValuesToBeInSet(column="masked_or_clean", value_set=[True]),
            e.ExpectColumnValuesToBeInSet(column="times_ordered", value_set=[True]),
            e.ExpectColumnValuesToBeBetween(column="start_s", min_value=0),
            e.ExpectColumnValuesToBeBetween(column="probability", min_value=0, max_value=1),
            e.ExpectColumnValuesToBeInSet(column="speaker_role", value_set=["agent", "customer"]),
            e.ExpectColumnValuesToBeInSet(column="language", value_set=list(languages)),
            e.ExpectColumnValuesToNotBeNull(column="legal_basis"),
            e.ExpectColumnValuesToBeInSet(column="has_purposes", value_set=[True]),
        ],
    )
