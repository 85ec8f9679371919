"""raw_recordings: land, validate, hash, probe and catalogue the dialer's recordings."""

from collections import Counter
from datetime import timedelta

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.common.partitions import (
    HEAVY_STEP,
    landing_shard,
    window_dates,
)
from assets.common.resources import ObjectStoreResource
from assets.common.warehouse import ensure_table
from assets.recordings.ingest import CATALOGUE_TABLES, RECORDINGS_TABLE, ingest_day
from assets.retention.pending import reconcile_pending
from assets.retention.resources import PolicyResource
from assets.retention.tables import ensure_compliance_tables


@dg.asset(
    **HEAVY_STEP,
    group_name="recordings",
    kinds={"s3", "duckdb"},
    description="Dialer recordings landed, validated, hashed, probed and catalogued; "
    "bad files quarantined with their reason.",
)
def raw_recordings(
    context: dg.AssetExecutionContext,
    object_store: ObjectStoreResource,
    duckdb: DuckDBResource,
    policy: PolicyResource,
) -> dg.MaterializeResult:
    store, tenant_policy = object_store.get_store(), policy.load()
    start, end = window_dates(context)
    outcomes = []
    with duckdb.get_connection() as con:
        ensure_compliance_tables(con)
        for table, schema in CATALOGUE_TABLES.items():
            ensure_table(con, table, schema)
        # Intents a crashed run left (registered, never confirmed) are settled first.
        pending = reconcile_pending(store, con)
        if pending.confirmed or pending.never_written:
            context.log.warning(
                f"settled interrupted writes: confirmed {pending.confirmed}, "
                f"never written {pending.never_written}"
            )
        day = start
        while day < end:
            context.log.info(f"{day}: ingesting landing/{day}/ in {store.description}")

            def log(landed, outcome):
                level = context.log.warning if outcome.status == "quarantined" else context.log.info
                reason = f" ({outcome.reason})" if outcome.reason else ""
                level(f"{landed.stem}: {outcome.status}{reason}")

            outcomes.extend(
                ingest_day(
                    store, con, tenant_policy, day, on_outcome=log, keep=landing_shard(context, day)
                )
            )
            day += timedelta(days=1)
        catalogued = con.execute(
            f"select count(*), coalesce(sum(duration_s), 0) from {RECORDINGS_TABLE} "
            "where call_date >= ? and call_date < ?",
            [start, end],
        ).fetchone()
    counts = Counter(o.status for o in outcomes)
    return dg.MaterializeResult(
        metadata={
            "calls_catalogued": catalogued[0],
            "audio_minutes": round(catalogued[1] / 60, 2),
            "ingested_now": counts["ingested"],
            "duplicates": counts["duplicate"],
            "quarantined": counts["quarantined"],
            "waiting_for_files": counts["waiting"],
            "interrupted_writes_settled": len(pending.confirmed) + len(pending.never_written),
            "quarantine_reasons": dg.MetadataValue.json(
                {o.stem: o.reason for o in outcomes if o.status == "quarantined"}
            ),
        }
    )
