"""The retention sweep as a Dagster op (scheduled, and run after every pipeline run)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.common.resources import ObjectStoreResource
from assets.common.warehouse import ensure_table
from assets.recordings.ingest import CATALOGUE_TABLES
from assets.retention import audit
from assets.retention.sweep import sweep
from assets.retention.tables import ensure_compliance_tables


@dg.op(
    description="Delete every stored object past its deadline (legal holds excepted), verify "
    "each is gone, write receipts and audit entries, and anchor the audit log's head."
)
def sweep_expired_objects(
    context: dg.OpExecutionContext, object_store: ObjectStoreResource, duckdb: DuckDBResource
) -> dg.Output:
    store = object_store.get_store()
    with duckdb.get_connection() as con:
        ensure_compliance_tables(con)
        for table, schema in CATALOGUE_TABLES.items():
            ensure_table(con, table, schema)
        result = sweep(store, con)
        head = audit.anchor(con, store)
    for receipt in result.deleted:
        context.log.info(f"deleted {receipt.object_key}: {receipt.reason}")
    for key in result.held:
        context.log.warning(f"past deadline but under legal hold: {key}")
    metadata = {
        "deleted": len(result.deleted),
        "held": dg.MetadataValue.json(result.held),
        "failed": dg.MetadataValue.json([{"key": k, "error": e} for k, e in result.failed]),
        "audit_head_seq": head["seq"] if head else 0,
    }
    if result.failed:
        raise dg.Failure(
            description=f"{len(result.failed)} object(s) past deadline could not be deleted: "
            + "; ".join(f"{k}: {e}" for k, e in result.failed[:5]),
            metadata=metadata,
        )
    return dg.Output(None, metadata=metadata)
