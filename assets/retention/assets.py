"""retention_state: every stored object with class, basis, created, deadline and deletion."""

from datetime import UTC, datetime

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.agent_audio.assets import agent_audio
from assets.common.partitions import call_date_partitions, window_dates
from assets.common.resources import ObjectStoreResource
from assets.common.warehouse import ensure_table
from assets.retention.ledger import CUSTOMER_AUDIO, RETENTION_STATE_SCHEMA, ensure_ledger
from assets.retention.state import reconcile
from assets.transcripts.assets import transcripts

RETENTION_STATE_TABLE = "raw.retention_state"


@dg.asset(
    partitions_def=call_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[agent_audio, transcripts],
    group_name="retention",
    kinds={"duckdb"},
    description="Every stored object of the window: class, basis, created, deadline, deleted-at, "
    "reconciled against the object store (objects the ledger does not know are listed too).",
)
def retention_state(
    context: dg.AssetExecutionContext, object_store: ObjectStoreResource, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    start, end = window_dates(context)
    now = datetime.now(UTC)
    with duckdb.get_connection() as con:
        ensure_ledger(con)
        state = reconcile(object_store.get_store(), con, start, end)
        ensure_table(con, RETENTION_STATE_TABLE, RETENTION_STATE_SCHEMA)
        con.execute(
            f"delete from {RETENTION_STATE_TABLE} where call_date >= ? and call_date < ?",
            [start, end],
        )
        con.register("_state", state.to_arrow())
        con.execute(f"insert into {RETENTION_STATE_TABLE} by name select * from _state")
        con.unregister("_state")
    alive = state.filter(pl.col("deleted_at").is_null() & pl.col("in_store"))
    customer = state.filter(pl.col("object_class") == CUSTOMER_AUDIO)
    lost = state.filter(pl.col("deleted_at").is_null() & ~pl.col("in_store"))
    if lost.height:
        context.log.error(f"ledger objects missing from the store: {lost['object_key'].to_list()}")
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
            "missing_from_store": lost.height,
            "next_deadline": dg.MetadataValue.text(
                str(alive.filter(pl.col("deadline") > now)["deadline"].min())
            ),
        }
    )
