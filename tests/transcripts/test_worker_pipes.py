"""The transcripts asset with its engine in a Dagster Pipes worker (the ``hear`` op, outside
the warehouse pool): the same rows as in process, nothing appended when the worker dies, no
work file outliving its deadline, and nothing loaded for a call erased while it was heard."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.common.resources import CatalogResource, ObjectStoreResource
from assets.common.storage import LocalObjectStore
from assets.recordings.samples import generate_sample_calls
from assets.retention.copies import overdue_rows
from assets.retention.deletion import delete_objects
from assets.retention.policy import load_policy
from assets.retention.resources import PolicyResource
from assets.retention.sweep import sweep
from assets.transcripts import assets as transcripts_module
from assets.transcripts.assets import transcripts
from assets.transcripts.resources import WhisperResource
from assets.transcripts.tables import LANGUAGES_TABLE, SEGMENTS_TABLE, WORDS_TABLE
from assets.transcripts.work import WORK_PREFIX
from lydspor.demo import run_call_pipeline
from tests.conftest import MODEL_DIR, lydspor_env

pytestmark = pytest.mark.slow

DAY = date(2026, 11, 2)
BEFORE = ("raw_recordings", "consent_lineage", "agent_audio")
TABLES = (WORDS_TABLE, SEGMENTS_TABLE, LANGUAGES_TABLE)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """Two generated calls landed, ingested and isolated (everything before transcripts), once
    for the module; each test transcribes a copy of this state."""
    root = tmp_path_factory.mktemp("worker")
    state = root / "state"
    env = lydspor_env(state)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
        generate_sample_calls(root / "calls", seed=5, calls=2, start_date=DAY, days=1)
        store = LocalObjectStore(Path(env["LYDSPOR_STORE_ROOT"]), env["LYDSPOR_BUCKET"])
        for path in sorted(p for p in (root / "calls").rglob("*") if p.is_file()):
            key = f"landing/{path.relative_to(root / 'calls').as_posix()}"
            store.put_bytes(key, path.read_bytes())
        instance = dg.DagsterInstance.from_config(env["DAGSTER_HOME"])
        outcome = run_call_pipeline(
            DAY, DAY, instance=instance, asset_selection=[dg.AssetKey(k) for k in BEFORE]
        )
        assert outcome.success, outcome.errors
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return state


def copy_of(prepared: Path, where: Path) -> Path:
    shutil.copytree(prepared, where, ignore=shutil.ignore_patterns("dagster"))
    return where


def resources(state: Path, worker: str) -> dict:
    return {
        "object_store": ObjectStoreResource(root=str(state / "objects")),
        "duckdb": CatalogResource(database=str(state / "lydspor.duckdb")),
        "whisper": WhisperResource(model_dir=str(MODEL_DIR), worker=worker),
        "policy": PolicyResource(path=os.environ["LYDSPOR_POLICY"]),
    }


def transcribe(state: Path, worker: str, **kwargs) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [transcripts], resources=resources(state, worker), partition_key=DAY.isoformat(), **kwargs
    )


def materialization(result: dg.ExecuteInProcessResult) -> dg.AssetMaterialization:
    (event,) = [
        e.event_specific_data.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == transcripts.key
    ]
    return event


def rows(state: Path) -> dict[str, list[str]]:
    """Each transcript table's rows as sorted row hashes."""
    with duckdb.connect(str(state / "lydspor.duckdb"), read_only=True) as con:
        return {
            table: sorted(
                hashlib.sha256(repr(row).encode()).hexdigest()
                for row in con.execute(f"select * from {table}").fetchall()
            )
            for table in TABLES
        }


def work_ledger(state: Path) -> list[tuple]:
    with duckdb.connect(str(state / "lydspor.duckdb"), read_only=True) as con:
        return con.execute(
            "select o.object_key, o.object_class, o.deleted_at is not null, "
            "(select count(*) from raw.deletion_receipts r where r.object_key = o.object_key "
            " and r.verified_absent) from raw.stored_objects o "
            f"where o.object_key like '{WORK_PREFIX}%' order by 1"
        ).fetchall()


def work_files(state: Path) -> list[str]:
    files = (state / "objects").rglob("*")
    return sorted(p.name for p in files if p.is_file() and WORK_PREFIX in p.as_posix())


def test_the_subprocess_worker_gives_the_rows_the_step_gives_in_process(
    lydspor_state, prepared, tmp_path
):
    inproc, sub = copy_of(prepared, tmp_path / "a"), copy_of(prepared, tmp_path / "b")
    began = time.perf_counter()
    assert transcribe(inproc, "inprocess").success
    inprocess_s = time.perf_counter() - began
    began = time.perf_counter()
    result = transcribe(sub, "subprocess")
    subprocess_s = time.perf_counter() - began
    assert result.success
    expected, got = rows(inproc), rows(sub)
    assert expected[WORDS_TABLE] and expected[LANGUAGES_TABLE], "nothing was transcribed"
    assert got == expected
    meta = materialization(result).metadata
    assert meta["worker"].value == "subprocess"
    tracks = len(expected[LANGUAGES_TABLE])
    assert meta["worker_tracks"].value == tracks and meta["work_files_deleted_now"].value == tracks
    # Every work file was registered, then deleted through the retention engine with a
    # verified receipt; none is left in the store.
    ledger = work_ledger(sub)
    assert len(ledger) == tracks
    assert all(
        cls == "transcript" and deleted and receipts == 1 for _, cls, deleted, receipts in ledger
    )
    assert work_files(sub) == []
    print(
        f"\n{tracks} tracks: in process {inprocess_s:.1f} s, subprocess worker "
        f"{subprocess_s:.1f} s (inside the worker {meta['worker_elapsed_s'].value} s)"
    )
    # Run again: nothing left to do, nothing duplicated.
    assert transcribe(sub, "subprocess").success
    assert rows(sub) == expected


def test_a_worker_crash_fails_hear_appends_nothing_and_is_swept(lydspor_state, prepared, tmp_path):
    """``hear`` holds no catalogue, so its work files stay registered when the worker dies:
    nothing is loaded, and the sweep deletes what the worker wrote at the files' deadline."""
    state = copy_of(prepared, tmp_path / "crash")
    store = LocalObjectStore(state / "objects", "lydspor")
    # The agent audio of one call vanishes behind the ledger's back: the worker cannot read it.
    with duckdb.connect(str(state / "lydspor.duckdb"), read_only=True) as con:
        (agent_key,) = con.execute(
            "select agent_key from raw.agent_audio where agent_key is not null order by 1 desc"
        ).fetchone()
    store.remove(agent_key)
    result = transcribe(state, "subprocess", raise_on_error=False)
    assert not result.success
    (failed,) = result.get_step_failure_events()
    assert failed.step_key == "transcripts.hear"
    failure = failed.event_specific_data.error
    assert "DagsterPipesExecutionError" in str(failure.to_string()) or "Pipes" in failure.message
    assert "transcripts.load" not in {e.step_key for e in result.all_events if e.is_step_start}
    with duckdb.connect(str(state / "lydspor.duckdb"), read_only=True) as con:
        for table in TABLES:
            assert con.execute(f"select count(*) from {table}").fetchone()[0] == 0, table
    ledger = work_ledger(state)
    assert ledger and not any(deleted for _, _, deleted, _ in ledger)
    assert set(work_files(state)) <= {Path(k).name for k, *_ in ledger}
    swept_at_deadline(state, ledger)


def swept_at_deadline(state: Path, ledger: list[tuple]) -> None:
    """The sweep just past the work files' deadline deletes every one the worker wrote, and
    closes those it never wrote; each with a receipt."""
    policy = load_policy(os.environ["LYDSPOR_POLICY"])
    store = LocalObjectStore(state / "objects", "lydspor")
    written = {k for k, *_ in ledger if store.stat(k) is not None}
    assert written, "the worker wrote nothing: there is nothing for the sweep to prove"
    with duckdb.connect(str(state / "lydspor.duckdb")) as con:
        deadline = con.execute(
            f"select max(deadline) from raw.stored_objects where object_key like '{WORK_PREFIX}%'"
        ).fetchone()[0]
        assert deadline > datetime.now(UTC)
        swept = sweep(store, con, deadline + timedelta(seconds=1), policy=policy)
        assert {r.object_key for r in swept.deleted} >= written
        assert overdue_rows(con, deadline + timedelta(seconds=1), policy.expiry) == []
    assert work_files(state) == []
    assert all(deleted and receipts == 1 for _, _, deleted, receipts in work_ledger(state))


def test_a_call_erased_while_heard_is_not_loaded(lydspor_state, prepared, tmp_path, monkeypatch):
    """``hear`` holds no warehouse slot, so the catalogue moves on while the worker runs: a
    call whose agent audio is deleted meanwhile (as an erasure does) is not loaded, and its
    work file goes with a receipt; the other calls load as usual."""
    state = copy_of(prepared, tmp_path / "erased")
    store = LocalObjectStore(state / "objects", "lydspor")
    worker = transcripts_module.run_worker
    erased: list[str] = []

    def worker_then_erasure(*args, **kwargs):
        figures = worker(*args, **kwargs)
        with duckdb.connect(str(state / "lydspor.duckdb")) as con:
            (call_id,) = con.execute(
                "select call_id from raw.agent_audio where agent_key is not null order by 1"
            ).fetchone()
            # Its audio, as an erasure deletes it (the work files are the step's to delete).
            audio = con.execute(
                "select object_key from raw.stored_objects where call_id = ? "
                f"and deleted_at is null and object_key not like '{WORK_PREFIX}%'",
                [call_id],
            ).fetchall()
            delete_objects(store, con, [(k, "erasure request") for (k,) in audio], actor="test")
        erased.append(call_id)
        return figures

    monkeypatch.setattr(transcripts_module, "run_worker", worker_then_erasure)
    result = transcribe(state, "subprocess")
    assert result.success and erased
    with duckdb.connect(str(state / "lydspor.duckdb"), read_only=True) as con:
        loaded = {
            r[0] for r in con.execute(f"select distinct call_id from {WORDS_TABLE}").fetchall()
        }
        languages = con.execute(f"select count(*) from {LANGUAGES_TABLE}").fetchone()[0]
    assert loaded, "the other call was not loaded"
    assert erased[0] not in loaded
    meta = materialization(result).metadata
    assert meta["tracks_transcribed_now"].value == languages < meta["worker_tracks"].value
    ledger = work_ledger(state)
    assert len(ledger) == meta["worker_tracks"].value
    assert all(deleted and receipts == 1 for _, _, deleted, receipts in ledger)
    assert work_files(state) == []


def test_a_failed_load_leaves_nothing_past_its_deadline(
    lydspor_state, prepared, tmp_path, monkeypatch
):
    """The load fails and the step cannot even clean up (as when its process is killed): the
    work files stay registered, and the sweep deletes them at their deadline."""
    state = copy_of(prepared, tmp_path / "killed")

    def load_fails(*args, **kwargs):
        raise RuntimeError("catalogue went away")

    def no_cleanup(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(transcripts_module, "_load", load_fails)
    monkeypatch.setattr(transcripts_module, "discard_work", no_cleanup)
    assert not transcribe(state, "subprocess", raise_on_error=False).success
    left = work_files(state)
    assert left, "the worker wrote its files before the load failed"
    ledger = work_ledger(state)
    assert len(ledger) == len(left) and not any(deleted for _, _, deleted, _ in ledger)
    swept_at_deadline(state, ledger)
