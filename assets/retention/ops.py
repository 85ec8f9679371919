"""The retention sweep as a Dagster op (scheduled, and run after every pipeline run)."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from assets.common.concurrency import WAREHOUSE_POOL
from assets.common.resources import CatalogResource, ObjectStoreResource
from assets.common.warehouse import ensure_table
from assets.recordings.ingest import CATALOGUE_TABLES
from assets.retention import audit
from assets.retention.policy import REQUIRED_WINDOWS
from assets.retention.remnants import RemnantPurgeError, RemnantTargets, purge_remnants
from assets.retention.resources import PolicyResource
from assets.retention.sweep import sweep
from assets.retention.tables import ensure_compliance_tables


@dg.op(
    pool=WAREHOUSE_POOL,
    description="Delete every stored object and ledger entry past its deadline (legal holds "
    "excepted), verify each is gone, purge the rows they owned (marts included), prune the "
    "audit log to its window, write receipts and audit entries, anchor the audit log's head, "
    "delete run logs past their window, and rewrite the DuckDB file (on a DuckLake: the data "
    "files with deleted rows, expiring old snapshots and files) so freed bytes go too.",
)
def sweep_expired_objects(
    context: dg.OpExecutionContext,
    object_store: ObjectStoreResource,
    duckdb: CatalogResource,
    policy: PolicyResource,
) -> dg.Output:
    store, tenant_policy = object_store.get_store(), policy.load()
    with duckdb.get_connection() as con:
        ensure_compliance_tables(con)
        for table, schema in CATALOGUE_TABLES.items():
            ensure_table(con, table, schema)
        result = sweep(store, con, policy=tenant_policy)
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
        "lake_files_deleted": len(result.lake_files_deleted),
        "audit_head_seq": head["seq"] if head else 0,
    }
    # With the connection closed: the rewrite needs the file to itself.
    try:
        report = purge_remnants(
            RemnantTargets(
                Path(duckdb.database),
                Path(context.instance.root_directory),
                warehouse=duckdb.get_warehouse(),
            ),
            datetime.now(UTC) - tenant_policy.window("run_logs", REQUIRED_WINDOWS["run_logs"]),
            current_run_id=context.run_id,
            instance=context.instance,
            compact=bool(
                result.deleted
                or result.rows_deleted
                or result.rows_anonymised
                or result.audit_entries_pruned
            ),
        )
    except RemnantPurgeError as exc:
        raise dg.Failure(
            description=f"the bytes of deleted data could not be purged: {exc}",
            metadata=metadata | exc.report.metadata(),
        ) from exc
    metadata |= report.metadata()
    if result.failed:
        raise dg.Failure(
            description=f"{len(result.failed)} object(s) or table(s) still past deadline: "
            + "; ".join(f"{k}: {e}" for k, e in result.failed[:5]),
            metadata=metadata,
        )
    return dg.Output(None, metadata=metadata)
