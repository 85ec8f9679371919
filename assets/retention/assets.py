"""retention_state: every stored object with class, basis, created, deadline and deletion."""

from datetime import UTC, datetime

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.agent_audio.assets import agent_audio
from assets.common.concurrency import WAREHOUSE_POOL
from assets.common.partitions import call_date_partitions
from assets.common.resources import ObjectStoreResource
from assets.retention.ledger import CUSTOMER_AUDIO, ensure_ledger
from assets.retention.resources import PolicyResource
from assets.retention.state import MISSING, reconcile
from assets.retention.state import blocking as store_problem
from assets.transcripts.assets import transcripts

RETENTION_STATE_TABLE = "raw.retention_state"


@dg.asset(
    pool=WAREHOUSE_POOL,
    partitions_def=call_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[agent_audio, transcripts],
    group_name="retention",
    kinds={"duckdb"},
    description="Every stored object: class, basis, created, deadline, deleted-at, reconciled "
    "against the whole object store, every prefix and date (files the ledger does not know, "
    "names the store cannot address and deleted objects still present are listed too).",
)
def retention_state(
    context: dg.AssetExecutionContext,
    object_store: ObjectStoreResource,
    duckdb: DuckDBResource,
    policy: PolicyResource,
) -> dg.MaterializeResult:
    # The partition only schedules the run: the whole store is reconciled, since a violation
    # at any date or prefix must stop the marts.
    now = datetime.now(UTC)
    landing_window = policy.load().window("landing", "in_transit")
    with duckdb.get_connection() as con:
        ensure_ledger(con)
        state = reconcile(object_store.get_store(), con, landing_window, now)
        con.register("_state", state.to_arrow())
        try:
            con.execute(f"create or replace table {RETENTION_STATE_TABLE} as select * from _state")
        finally:
            con.unregister("_state")
    alive = state.filter(pl.col("deleted_at").is_null() & pl.col("in_store"))
    customer = state.filter(pl.col("object_class") == CUSTOMER_AUDIO)
    lost = state.filter(pl.col("problem") == MISSING)
    if lost.height:
        context.log.error(f"ledger objects missing from the store: {lost['object_key'].to_list()}")
    blocking = state.filter(store_problem())
    for row in blocking.head(50).iter_rows(named=True):
        context.log.error(f"{row['object_key']}: {row['problem']}")
    return dg.MaterializeResult(
        metadata={
            "objects": state.height,
            "alive": alive.height,
            "deleted": state.filter(pl.col("deleted_at").is_not_null()).height,
            "customer_audio_alive": customer.filter(
                pl.col("deleted_at").is_null() & pl.col("in_store")
            ).height,
            "customer_audio_deleted": customer.filter(pl.col("deleted_at").is_not_null()).height,
            "unregistered_objects": state.filter(~pl.col("in_ledger")).height,
            "store_problems": blocking.height,
            "pending_intents": state.filter(
                pl.col("in_ledger")
                & pl.col("deleted_at").is_null()
                & pl.col("confirmed_at").is_null()
            ).height,
            "missing_from_store": lost.height,
            "next_deadline": dg.MetadataValue.text(
                str(alive.filter(pl.col("deadline") > now)["deadline"].min())
            ),
        }
    )
