"""Transcript checks: the words in DuckDB are redacted and well formed (GX suite)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.common.concurrency import WAREHOUSE_POOL
from assets.transcripts.assets import transcripts
from assets.transcripts.settings import SUPPORTED_LANGUAGES
from assets.transcripts.tables import WORDS_TABLE
from expectations.runner import check_result, validate_frame
from expectations.transcripts import transcript_words_frame, transcript_words_suite


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset=transcripts,
    name="transcript_words_redacted_and_well_formed",
    blocking=True,
    description="Every personal-data word in raw.transcript_words reads as its mask; times, "
    "probabilities, roles, languages, basis and purposes are valid (Great Expectations suite).",
)
def transcript_words_redacted_and_well_formed(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        frame = transcript_words_frame(con.sql(f"select * from {WORDS_TABLE}").pl())
    result = validate_frame(frame, transcript_words_suite(SUPPORTED_LANGUAGES))
    unmasked = frame[~frame["masked_or_clean"].astype(bool)]
    return check_result(
        result,
        expectations_evaluated=result.evaluated,
        words=len(frame),
        unmasked_personal_data_words=len(unmasked),
        failed_expectations=dg.MetadataValue.json(result.failed_names),
    )
