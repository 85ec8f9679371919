"""The retention sweep as a Dagster op (scheduled, and run after every pipeline run)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.common.resources import ObjectStoreResource
from assets.common.warehouse import ensure_table
from assets.recordings.ingest import CATALOGUE_TABLES
from assets.retention import audit
from assets.retention.resources import PolicyResource
from assets.retention.sweep import sweep
from assets.retention.tables import ensure_compliance_tables


@dg.op(
    description="Delete every stored object and ledger entry past its deadline (legal holds "
    "excepted), verify each is gone, purge the rows they owned (marts included), prune the "
    "audit log to its window, write receipts and audit entries, and anchor the audit log's head."
)
def sweep_expired_objects(
    context: dg.OpExecutionContext,
    object_store: ObjectStoreResource,
    duckdb: DuckDBResource,
    policy: PolicyResource,
) -> dg.Output:
    store = object_store.get_store()
    with duckdb.get_connection() as con:
        ensure_compliance_tables(con)
        for table, schema in CATALOGUE_TABLES.items():
            ensure_table(con, table, schema)
        result = sweep(store, con, policy=policy.load())
        head = audit.anchor(con, store)
    for receipt in result.deleted:
        context.log.info(f"deleted {receipt.object_key}: {receipt.reason}")
    for key in result.held:
        context.log.warning(f"past deadline but under legal hold: {key}")
    metadata = {
        "deleted": len(result.deleted),
        "held": dg.MetadataValue.json(result.held),
        "failed": dg.MetadataValue.json([{"key": k, "error": e} for k, e in result.failed]),
        "rows_deleted": dg.MetadataValue.json(result.rows_deleted),
        "rows_anonymised": dg.MetadataValue.json(result.rows_anonymised),
        "audit_entries_pruned": result.audit_entries_pruned,
        "audit_head_seq": head["seq"] if head else 0,
    }
    if result.failed:
        raise dg.Failure(
            description=f"{len(result.failed)} object(s) or table(s) still past deadline: "
            + "; ".join(f"{k}: {e}" for k, e in result.failed[:5]),
            metadata=metadata,
        )
    return dg.Output(None, metadata=metadata)
