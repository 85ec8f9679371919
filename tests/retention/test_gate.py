"""The compliance gate: customer audio past its deadline fails the run and blocks the marts."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from assets.common.lake import connect
from assets.common.storage import LocalObjectStore
from assets.retention.holds import place_hold
from assets.retention.ledger import StoredObject, register
from tests.support.calls import DAY, land, metadata, stereo, tone, wav

GATE = "retention_state:customer_audio_within_deadline"


@pytest.fixture
def pipeline_run(lydspor_state):
    from lydspor.demo import run_call_pipeline

    store = LocalObjectStore(Path(os.environ["LYDSPOR_STORE_ROOT"]), "lydspor")
    land(store, "out-1", wav(stereo()), metadata("out-1"))
    land(store, "ao-1", wav(tone(440)), metadata("ao-1", mode="agent_only"))
    first = run_call_pipeline(DAY, DAY, instance=dg.DagsterInstance.ephemeral())
    return store, first


def gate_and_marts(instance):
    from assets.marts.assets import lydspor_dbt_models
    from lydspor.demo import run_call_pipeline

    keys = [dg.AssetKey("retention_state"), *lydspor_dbt_models.keys]
    return run_call_pipeline(DAY, DAY, instance=instance, asset_selection=keys)


@pytest.mark.compliance
def test_gate_blocks_marts_when_customer_audio_outlives_its_deadline(warehouse, pipeline_run):
    """On both warehouses (``warehouse`` switches the environment before the run starts):
    the pipeline, dbt's marts and the gate behave the same on the DuckDB file and a DuckLake."""
    store, first = pipeline_run
    assert first.success and first.checks_failed == 0
    assert {"fct_calls", "fct_call_coaching", "retention_state"} <= first.materialized
    with connect(warehouse, read_only=True) as con:
        # dbt wrote the marts where the pipeline reads: into the lake when it is one.
        catalogue = con.execute(
            "select database_name, d.type from duckdb_tables() "
            "join duckdb_databases() d using (database_name) where table_name = 'fct_calls'"
        ).fetchall()
        assert catalogue == [("lydspor", "ducklake" if warehouse.is_lake else "duckdb")]
        assert con.execute("select count(*) from fct_calls").fetchone()[0] == 2

    # A customer recording whose 15-minute window ended yesterday, still in the store.
    created = datetime.now(UTC) - timedelta(days=1)
    key = f"raw/{DAY}/planted/recording.wav"
    put = store.put_bytes(key, wav(stereo(500, 700)))
    with connect(warehouse) as con:
        register(
            con,
            StoredObject(
                key,
                "planted",
                DAY,
                "raw_recording",
                "customer_audio",
                "legitimate_interest_temporary",
                ["agent_extraction"],
                put.sha256,
                put.size,
                created,
                created + timedelta(minutes=15),
            ),
        )
    outcome = gate_and_marts(dg.DagsterInstance.ephemeral())
    assert not outcome.success
    assert GATE in outcome.failed_checks
    assert "retention_state" in outcome.materialized
    assert not {"fct_calls", "fct_call_coaching"} & outcome.materialized
    # The gate reports; it does not delete (that is the retention engine's job).
    assert store.stat(key) is not None
    # Under a legal hold the same recording is kept lawfully: counted apart, not a violation.
    with connect(warehouse) as con:
        place_hold(con, "call", "planted", "court order", "legal")
    held = gate_and_marts(dg.DagsterInstance.ephemeral())
    assert held.success and GATE not in held.failed_checks
    assert "fct_calls" in held.materialized


def test_gate_fails_on_customer_audio_the_ledger_does_not_know(pipeline_run):
    store, _ = pipeline_run
    store.put_bytes(f"raw/{DAY}/orphan/recording.wav", wav(stereo(500, 800)))
    outcome = gate_and_marts(dg.DagsterInstance.ephemeral())
    assert not outcome.success and GATE in outcome.failed_checks
    assert "fct_calls" not in outcome.materialized


STORE_GATE = "retention_state:store_matches_ledger"


def test_gate_fails_on_anything_the_ledger_cannot_explain_anywhere_in_the_store(pipeline_run):
    """Outside every window and prefix the pipeline writes, and under a name the store cannot
    address: the store-wide check still sees it, names it, and blocks the marts."""
    store, first = pipeline_run
    assert STORE_GATE not in first.failed_checks
    store.put_bytes("exports/2019-03-01/old/recording.wav", wav(stereo(500, 900)))
    (store.base / "raw" / "odd\\name.wav").write_bytes(wav(stereo(500, 910)))
    instance = dg.DagsterInstance.ephemeral()
    outcome = gate_and_marts(instance)
    assert not outcome.success and STORE_GATE in outcome.failed_checks
    assert "fct_calls" not in outcome.materialized
    records = instance.get_records_for_run(
        outcome.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluation = next(
        data
        for data in (r.event_log_entry.dagster_event.asset_check_evaluation_data for r in records)
        if data.check_name == "store_matches_ledger"
    )
    named = {o["object_key"] for o in evaluation.metadata["offending_objects"].value}
    assert {"exports/2019-03-01/old/recording.wav", "raw/odd\\name.wav"} <= named
