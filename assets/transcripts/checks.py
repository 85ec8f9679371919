"""Transcript checks: the words in DuckDB are redacted and well formed (GX suite)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.transcripts.assets import transcripts
from assets.transcripts.tables import WORDS_TABLE
from expectations.runner import validate_frame
from expectations.transcripts import transcript_words_frame, transcript_words_suite


@dg.asset_check(
    asset=transcripts,
    name="transcript_words_redacted_and_well_formed",
    blocking=True,
    description="Every personal-data word in raw.transcript_words reads as its mask; times, "
    "probabilities, roles, languages, basis and purposes are valid (Great Expectations suite).",
)
def transcript_words_redacted_and_well_formed(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        frame = transcript_words_frame(con.sql(f"select * from {WORDS_TABLE}").pl())
    result = validate_frame(frame, transcript_words_suite())
    unmasked = frame[~frame["masked_or_clean"].astype(bool)]
    return dg.AssetCheckResult(
        passed=result.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "suite": result.suite,
            "expectations_evaluated": result.evaluated,
            "words": len(frame),
            "unmasked_personal_data_words": len(unmasked),
            "failed_expectations": dg.MetadataValue.json(
                [f.expectation + (f"({f.column})" if f.column else "") for f in result.failed]
            ),
        },
    )
