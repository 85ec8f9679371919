"""The agent_audio step with its models in a Dagster Pipes worker: call by call the statuses,
confidences, segments, voiceprints and agent audio the step gives in process; nothing written
when the worker dies; every work file deleted with a receipt, and none outliving its call."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.agent_audio.assets import agent_audio
from assets.agent_audio.pipes import WORKER_VARIABLE
from assets.agent_audio.work import WORK_PREFIX
from assets.common.resources import CatalogResource, ObjectStoreResource
from assets.common.storage import LocalObjectStore
from assets.recordings.samples import generate_sample_calls
from assets.retention.resources import PolicyResource
from lydspor.demo import run_call_pipeline
from tests.conftest import lydspor_env
from tests.support.scaleout import land

pytestmark = pytest.mark.slow

DAY = date(2026, 11, 2)
BEFORE = ("raw_recordings", "consent_lineage")
#: What a run decides per call, without the times it ran at.
DECIDED = {
    "raw.agent_audio": "call_id, status, agent_key, source_key, duration_s, customer_audio_deleted",
    "raw.agent_isolation": "call_id, status, confidence, speakers, agent_speech_s, evidence",
    "raw.agent_segments": "call_id, segment_index, start_s, end_s, role, confidence",
    "raw.voiceprints": "agent_id, object_key, model, sources, source_keys, speech_s",
}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """Six generated calls of one day (stereo, agent-only and mono) landed and ingested, once
    for the module; each test runs agent_audio on a copy of this state."""
    root = tmp_path_factory.mktemp("aworker")
    with pytest.MonkeyPatch.context() as env:
        for name, value in lydspor_env(root / "state").items():
            env.setenv(name, value)
        Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
        generate_sample_calls(root / "calls", seed=11, calls=6, start_date=DAY, days=1)
        store = ObjectStoreResource(root=os.environ["LYDSPOR_STORE_ROOT"]).get_store()
        assert land(store, root / "calls") > 6
        selection = [dg.AssetKey(k) for k in BEFORE]
        outcome = run_call_pipeline(DAY, DAY, asset_selection=selection)
        assert outcome.success, outcome.errors
    return root / "state"


def copy_of(prepared: Path, where: Path) -> Path:
    shutil.copytree(prepared, where, ignore=shutil.ignore_patterns("dagster"))
    return where


def run(state: Path, worker: str, monkeypatch, **kwargs) -> dg.ExecuteInProcessResult:
    monkeypatch.setenv(WORKER_VARIABLE, worker)
    resources = {
        "object_store": ObjectStoreResource(root=str(state / "objects")),
        "duckdb": CatalogResource(database=str(state / "lydspor.duckdb")),
        "policy": PolicyResource(path=os.environ["LYDSPOR_POLICY"]),
    }
    return dg.materialize(
        [agent_audio], resources=resources, partition_key=DAY.isoformat(), **kwargs
    )


def decided(state: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(state / "lydspor.duckdb"), read_only=True) as con:
        tables = {
            table: con.execute(f"select {columns} from {table} order by all").fetchall()
            for table, columns in DECIDED.items()
        }
    store = LocalObjectStore(state / "objects", "lydspor")
    for prefix in ("agent/", "voiceprints/"):
        tables[prefix] = sorted(
            (key, hashlib.sha256(_content(store, key)).hexdigest())
            for key in (o.key for o in store.list(prefix))
        )
    return tables


def _content(store: LocalObjectStore, key: str) -> bytes:
    data = store.get_bytes(key)
    if key.startswith("voiceprints/"):
        document = json.loads(data)
        document.pop("updated_at")  # when it ran, not what it holds
        return json.dumps(document, sort_keys=True).encode()
    return data


def work_ledger(state: Path) -> list[tuple]:
    """Each work file: its class and deadline beside its recording's, whether it is deleted,
    and its verified receipts."""
    with duckdb.connect(str(state / "lydspor.duckdb"), read_only=True) as con:
        return con.execute(
            "select w.object_key, w.object_class, r.object_class, w.deadline, r.deadline, "
            "w.deleted_at is not null, (select count(*) from raw.deletion_receipts d "
            " where d.object_key = w.object_key and d.verified_absent) "
            "from raw.stored_objects w join raw.recordings c using (call_id) "
            "join raw.stored_objects r on r.object_key = c.object_key "
            f"where w.object_key like '{WORK_PREFIX}%' order by 1"
        ).fetchall()


def work_files(state: Path) -> list[str]:
    return [o.key for o in LocalObjectStore(state / "objects", "lydspor").list(WORK_PREFIX)]


def test_the_subprocess_worker_decides_each_call_as_the_step_does(
    lydspor_state, prepared, tmp_path, monkeypatch
):
    inproc, sub = copy_of(prepared, tmp_path / "a"), copy_of(prepared, tmp_path / "b")
    began = time.perf_counter()
    assert run(inproc, "inprocess", monkeypatch).success
    inprocess_s = time.perf_counter() - began
    began = time.perf_counter()
    result = run(sub, "subprocess", monkeypatch)
    subprocess_s = time.perf_counter() - began
    assert result.success
    expected, got = decided(inproc), decided(sub)
    statuses = {status for _, status, *_ in expected["raw.agent_audio"]}
    assert len(expected["raw.agent_audio"]) == 6 and expected["raw.voiceprints"], expected
    assert {"extracted", "passthrough"} <= statuses and "isolated" in statuses, statuses
    for table in expected:
        assert got[table] == expected[table], table
    meta = result.asset_materializations_for_node("agent_audio")[0].metadata
    assert meta["worker"].value == "subprocess"
    calls = meta["worker_calls"].value
    assert calls == meta["worker_enrolments"].value + meta["worker_isolations"].value
    assert meta["worker_isolations"].value >= 1 and meta["worker_enrolments"].value >= 1
    # Every work file was registered with its recording's class and deadline, then deleted
    # through the retention engine with a verified receipt; none is left in the store.
    ledger = work_ledger(sub)
    assert len(ledger) == calls == meta["work_files_deleted_now"].value
    for _, cls, raw_cls, deadline, raw_deadline, deleted, receipts in ledger:
        assert cls == raw_cls and deadline == raw_deadline and deleted and receipts == 1
    assert work_files(sub) == []
    print(
        f"\n6 calls ({calls} analysed by the worker): in process {inprocess_s:.1f} s, "
        f"subprocess worker {subprocess_s:.1f} s (inside the worker "
        f"{meta['worker_elapsed_s'].value} s)"
    )
    # Run again: every outcome stands, nothing is analysed or duplicated.
    again = run(sub, "subprocess", monkeypatch)
    assert again.success
    assert decided(sub) == expected
    assert "worker_calls" not in again.asset_materializations_for_node("agent_audio")[0].metadata


def test_a_worker_crash_fails_the_step_and_writes_nothing(
    lydspor_state, prepared, tmp_path, monkeypatch
):
    state = copy_of(prepared, tmp_path / "crash")
    store = LocalObjectStore(state / "objects", "lydspor")
    # One agent track vanishes behind the ledger's back: the worker cannot read it.
    with duckdb.connect(str(state / "lydspor.duckdb"), read_only=True) as con:
        (raw_key,) = con.execute(
            "select object_key from raw.recordings where recording_mode = 'agent_only' "
            "order by call_id limit 1"
        ).fetchone()
        before = set(con.execute("select receipt_id from raw.deletion_receipts").fetchall())
    store.remove(raw_key)
    result = run(state, "subprocess", monkeypatch, raise_on_error=False)
    assert not result.success
    failure = result.get_step_failure_events()[0].event_specific_data.error
    assert "DagsterPipesExecutionError" in str(failure.to_string()) or "Pipes" in failure.message
    with duckdb.connect(str(state / "lydspor.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.agent_audio").fetchone()[0] == 0
        receipts = [
            key
            for receipt, key in con.execute(
                "select receipt_id, object_key from raw.deletion_receipts"
            ).fetchall()
            if (receipt,) not in before
        ]
    assert not list(store.list("agent/")) and not list(store.list("voiceprints/"))
    # No customer audio was deleted; only the work files went, with a receipt each.
    assert receipts and all(key.startswith(WORK_PREFIX) for key in receipts)
    ledger = work_ledger(state)
    assert ledger and all(deleted and receipts == 1 for *_, deleted, receipts in ledger)
    assert work_files(state) == []
