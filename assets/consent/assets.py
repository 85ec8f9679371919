"""consent_lineage: the legal basis and consent evidence of every call's tracks."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.common.partitions import (
    HEAVY_STEP,
    in_run_shards,
    window_dates,
)
from assets.common.warehouse import ensure_table, upsert
from assets.consent.basis import CONSENT_LINEAGE_SCHEMA, decide_track_bases
from assets.recordings.assets import raw_recordings
from assets.recordings.ingest import RECORDINGS_TABLE
from assets.recordings.metadata import CallMetadata
from assets.retention.resources import PolicyResource

CONSENT_LINEAGE_TABLE = "raw.consent_lineage"


@dg.asset(
    **HEAVY_STEP,
    deps=[raw_recordings],
    group_name="consent",
    kinds={"duckdb"},
    description="Per call and track: legal basis, consent evidence and validity, purposes, LIA.",
)
def consent_lineage(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, policy: PolicyResource
) -> dg.MaterializeResult:
    start, end = window_dates(context)
    tenant_policy = policy.load()
    with duckdb.get_connection() as con:
        calls = con.sql(
            f"select * from {RECORDINGS_TABLE} where call_date >= '{start}' and call_date < '{end}'"
        ).pl()
        calls = in_run_shards(context, calls)
        rows = []
        for row in calls.iter_rows(named=True):
            for basis in decide_track_bases(
                CallMetadata.model_validate_json(row["metadata_json"]), tenant_policy
            ):
                rows.append(
                    {
                        "call_id": basis.call_id,
                        "call_date": row["call_date"],
                        "track": basis.track,
                        "legal_basis": basis.legal_basis,
                        "purposes": basis.purposes,
                        "consent_valid": basis.consent_valid,
                        "reason": basis.reason,
                        "consent_mechanism": basis.consent_mechanism,
                        "consent_at": basis.consent_at,
                        "prompt_version": basis.prompt_version,
                        "lia_reference": basis.lia_reference,
                    }
                )
        frame = pl.DataFrame(rows, schema=CONSENT_LINEAGE_SCHEMA)
        ensure_table(con, CONSENT_LINEAGE_TABLE, CONSENT_LINEAGE_SCHEMA)
        upsert(con, CONSENT_LINEAGE_TABLE, frame, ["call_id", "track"])
    customer = frame.filter(pl.col("track") == "customer")
    return dg.MaterializeResult(
        metadata={
            "tracks": frame.height,
            "customer_bases": dg.MetadataValue.json(
                dict(customer.group_by("legal_basis").len().iter_rows())
            ),
            "invalid_consent": customer.filter(pl.col("consent_valid").not_()).height,
        }
    )
