"""Fault tests: a run killed in the middle, or an S3 server gone in the middle, converges on rerun.

Two kinds of test:

- crash windows, in process and exhaustive: ingestion and agent-audio extraction are stopped
  right after each store write/removal and each catalogue write in turn (and mid-write for the
  embedded store, by a real SIGKILL), then run again; the result must equal an uninterrupted
  run;
- the real thing, as a user would meet it: ``lydspor run`` SIGKILLed while it ingests and while it
  extracts agent audio, and an S3 gateway that goes away while a run writes to it; the rerun must
  complete and leave no duplicate, orphan, stray landing file, overdue customer audio or broken
  receipt and audit trail.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

import assets.agent_audio.extract as extract
from assets.agent_audio.extract import AGENT_AUDIO_SCHEMA, AGENT_AUDIO_TABLE, process_recording
from assets.common.storage import LocalObjectStore
from assets.common.warehouse import ensure_table, upsert
from assets.recordings.ingest import CATALOGUE_TABLES, grouping, ingest_day, quarantine, release
from assets.retention import audit, ledger
from assets.retention.tables import ensure_compliance_tables
from tests.support.calls import CONSENT, DAY, land, metadata, stereo, tone, wav
from tests.support.fixtures import private_ceph

LYDSPOR = Path(sys.executable).parent / "lydspor"
#: Prefixes whose objects the retention ledger must know (landing files are registered only
#: when they are released).
LEDGER_PREFIXES = ("raw/", "agent/", "transcripts/", "quarantine/")
RUN_TIMEOUT = 300


# -- the calls ---------------------------------------------------------------------------------


def _calls() -> dict[str, tuple[bytes, dict]]:
    """Eight small calls of every kind that keeps or drops the customer's voice, plus a broken one.
    Each has its own audio (the same audio under two call ids would be quarantined)."""
    no_consent = {**CONSENT, "given": False}
    return {
        "ao-1": (wav(tone(440)), metadata("ao-1", mode="agent_only")),
        "ao-2": (wav(tone(460)), metadata("ao-2", mode="agent_only")),
        "broken": (b"not audio at all", metadata("broken", mode="agent_only")),
        "in-1": (wav(stereo(330, 800)), metadata("in-1", direction="inbound", consent=CONSENT)),
        "in-2": (wav(stereo(340, 810)), metadata("in-2", direction="inbound", consent=CONSENT)),
        "in-3": (wav(stereo(350, 820)), metadata("in-3", direction="inbound", consent=no_consent)),
        "out-1": (wav(stereo(300, 900)), metadata("out-1")),
        "out-2": (wav(stereo(310, 910)), metadata("out-2")),
        "out-3": (
            wav(stereo(320, 920, agent_channel=1)),
            metadata("out-3", agent_channel=1),
        ),
    }


CONSENTED = {"in-1", "in-2"}
AGENT_ONLY = {"ao-1", "ao-2"}
QUARANTINED = {"broken"}


def _land_all(store, calls: dict[str, tuple[bytes, dict]]) -> None:
    for call_id, (audio, meta) in calls.items():
        land(store, call_id, audio, meta)
    truth = [{"speaker": "agent", "start": 0.0, "end": 1.5, "text": "hello"}]
    store.put_bytes(f"landing/{DAY}/out-1.truth.json", json.dumps(truth).encode())


# -- crash windows, in process -----------------------------------------------------------------


class Crash(BaseException):
    """Stands for the process dying: nothing catches it, nothing after it runs."""


class Faults:
    """Counts the steps that change state (store writes and removals, catalogue and ledger
    writes) and stops the run right after step ``crash_after`` (or mid-way through it: a store
    write torn by a SIGKILL in a subprocess is tested separately)."""

    def __init__(self, crash_after: int | None = None) -> None:
        self.crash_after = crash_after
        self.steps: list[str] = []
        self._lock = threading.Lock()  # ingestion stores audio from a thread pool

    def step(self, what: str) -> None:
        with self._lock:
            self.steps.append(what)
            crash = self.crash_after is not None and len(self.steps) == self.crash_after
            if crash:
                self.crash_after = None  # one crash per run
        if crash:
            raise Crash(what)

    def wrap(self, fn, what: str):
        def wrapped(*args, **kwargs):
            result = fn(*args, **kwargs)
            self.step(f"{what} {_first_key(args)}")
            return result

        return wrapped


def _first_key(args) -> str:
    for arg in args:
        if isinstance(arg, str):
            return arg
        if isinstance(arg, list | tuple) and arg:  # a batch: name its first key
            return (
                f"{_first_key(arg)} (+{len(arg) - 1})" if isinstance(arg, list) else _first_key(arg)
            )
        key = getattr(arg, "object_key", None)
        if key:
            return key
    return ""


class FaultyStore:
    def __init__(self, inner: LocalObjectStore, faults: Faults) -> None:
        self.inner, self.faults = inner, faults
        self.description = inner.description

    def put_bytes(self, key, data, content_type="application/octet-stream", **kwargs):
        result = self.inner.put_bytes(key, data, content_type, **kwargs)
        self.faults.step(f"put {key}")
        return result

    def remove(self, key):
        self.inner.remove(key)
        self.faults.step(f"remove {key}")

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _ingest_and_extract(store, con, policy, now, faults: Faults) -> None:
    """raw_recordings and agent_audio for one day, as the assets run them."""
    # A patch context of its own: undoing it must not undo the test's environment (its key).
    with pytest.MonkeyPatch.context() as monkeypatch:
        _faulty_run(store, con, policy, now, faults, monkeypatch)


def _faulty_run(store, con, policy, now, faults: Faults, monkeypatch) -> None:
    # Every ingest module that writes the ledger, the catalogue or deletions gets the faults.
    for module in (grouping, quarantine, release):
        for name, step in (
            ("register_many", "register"),
            ("upsert", "upsert"),
            ("delete_objects", "deleted"),
        ):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, faults.wrap(getattr(module, name), step))
    # Agent audio is written through the ledger (intent, put, confirm): the intent is a step.
    monkeypatch.setattr(ledger, "register", faults.wrap(ledger.register, "register"))
    monkeypatch.setattr(extract, "delete_object", faults.wrap(extract.delete_object, "deleted"))
    faulty = FaultyStore(store, faults)
    ensure_compliance_tables(con)
    for table, schema in CATALOGUE_TABLES.items():
        ensure_table(con, table, schema)
    ingest_day(faulty, con, policy, DAY, now=now)
    ensure_table(con, AGENT_AUDIO_TABLE, AGENT_AUDIO_SCHEMA)
    recordings = con.sql(
        "select call_id, call_date, recording_mode, agent_channel, object_key, duration_s "
        "from raw.recordings order by call_id"
    ).pl()
    for recording in recordings.iter_rows(named=True):
        result = process_recording(faulty, con, policy, recording, now=now)
        row = result.as_row(recording["call_date"], now, recording["object_key"])
        upsert(con, AGENT_AUDIO_TABLE, pl.DataFrame([row], schema=AGENT_AUDIO_SCHEMA), ["call_id"])
        faults.step(f"agent_audio row {recording['call_id']}")


def _snapshot(store: LocalObjectStore, con) -> dict:
    """Everything a rerun must reproduce, without the ids and times that differ per run."""
    objects = {o.key: hashlib.sha256(store.get_bytes(o.key)).hexdigest() for o in store.list("")}

    def rows(sql: str) -> list[tuple]:
        return sorted(con.execute(sql).fetchall())

    return {
        "objects": objects,
        "incoming": sorted(p.name for p in store.base.rglob(".incoming-*")),
        "ledger": rows(
            "select object_key, call_id, kind, object_class, legal_basis, sha256, "
            "deleted_at is null, deletion_reason from raw.stored_objects"
        ),
        "receipts": rows(
            "select object_key, reason, verified_absent, sha256 from raw.deletion_receipts"
        ),
        "recordings": rows("select call_id, object_key, sha256, duration_s from raw.recordings"),
        "truth": rows("select call_id, turn_index, speaker, text from raw.truth_turns"),
        "quarantine": rows(
            "select landing_key, quarantine_key, reason, sha256 from raw.quarantine"
        ),
        "agent_audio": rows(
            "select call_id, status, agent_key, round(duration_s, 3), customer_audio_deleted "
            "from raw.agent_audio"
        ),
        "audit": audit.verify(con).ok,
    }


# Deletion reasons a rerun may legitimately give instead of the uninterrupted run's reason: the
# remaining landing files are released as "duplicate upload"/"rest of a call", a landing file
# whose removal was not recorded is recorded as an interrupted release, and so on. The objects,
# the facts (what was deleted, with a verified receipt) and the counts must be the same.
def _without_reasons(snapshot: dict) -> dict:
    same = dict(snapshot)
    same["quarantine"] = [  # a decoder's message may name a memory address
        (*row[:2], re.sub(r"0x[0-9a-f]+", "0x…", row[2]), *row[3:])
        for row in snapshot["quarantine"]
    ]
    same["ledger"] = sorted(row[:-1] for row in snapshot["ledger"])
    same["receipts"] = sorted(
        (key, verified, sha) for key, _, verified, sha in snapshot["receipts"]
    )
    return same


def test_crash_after_every_step_of_ingest_and_agent_audio_converges(tmp_path, policy):
    now = datetime.now(UTC)
    # One call of each kind: every crash window of the others is one of these windows again.
    calls = {c: v for c, v in _calls().items() if c in {"ao-1", "broken", "in-1", "out-1"}}

    def fresh(name: str):
        store = LocalObjectStore(tmp_path / name, "lydspor")
        _land_all(store, calls)
        return store, duckdb.connect()

    store, con = fresh("reference")
    landed = [obj.key for obj in store.list("landing/")]
    clean = Faults()
    _ingest_and_extract(store, con, policy, now, clean)
    reference = _snapshot(store, con)
    assert not [k for k in reference["objects"] if k.startswith("landing/")]
    assert reference["audit"] and not reference["incoming"]
    steps = len(clean.steps)
    # Every store write and removal is a window of its own, and so is every catalogue write
    # (a batch of ledger rows, of deletion records or of catalogue rows is one transaction).
    each_object = {f"remove {key}" for key in landed} | {
        f"put {key}" for key in reference["objects"]
    }
    assert each_object <= set(clean.steps), sorted(each_object - set(clean.steps))
    kinds = {"put", "remove", "register", "deleted", "upsert", "agent_audio"}
    assert {step.split()[0] for step in clean.steps} == kinds, clean.steps

    diverged = []
    for crash_after in range(1, steps + 1):
        store, con = fresh(f"crash-{crash_after}")
        faults = Faults(crash_after)
        with pytest.raises(Crash) as crashed:
            _ingest_and_extract(store, con, policy, now, faults)
        window = f"crash after step {crash_after} ({crashed.value})"
        try:
            _ingest_and_extract(store, con, policy, now, Faults())  # the rerun
        except Exception as exc:
            diverged.append(f"{window}: the rerun failed: {exc!r}")
            continue
        got, want = _without_reasons(_snapshot(store, con)), _without_reasons(reference)
        con.close()
        if got != want:
            diverged.append(f"{window}: { ({k: got[k] for k in got if got[k] != want[k]}) }")
    assert not diverged, "\n".join(diverged)


KILL_MID_WRITE = """
import os, signal, sys
from pathlib import Path
from assets.common.storage import LocalObjectStore
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # die with the data half-committed
LocalObjectStore(Path(sys.argv[1]), "lydspor").put_bytes(sys.argv[2], b"customer voice" * 1000)
"""


def test_store_write_killed_midway_leaves_no_hidden_copy(tmp_path):
    """A SIGKILL while the embedded store writes leaves its temporary file behind: a copy of the
    audio that no listing, ledger or sweep sees. The next write of the key, or its deletion,
    must take it away."""
    root, key = tmp_path / "objects", f"raw/{DAY}/out-1/recording.wav"
    store = LocalObjectStore(root, "lydspor")
    folder = store.base / "raw" / DAY.isoformat() / "out-1"

    def killed_write() -> list[str]:
        proc = subprocess.run(
            [sys.executable, "-c", KILL_MID_WRITE, str(root), key], cwd=Path(__file__).parents[2]
        )
        assert proc.returncode == -signal.SIGKILL
        return sorted(p.name for p in folder.glob(".incoming-*"))

    assert killed_write(), "the killed write should have left its temporary file"
    assert [o.key for o in store.list("raw/")] == []  # invisible to every listing
    store.put_bytes(key, b"customer voice")
    assert sorted(p.name for p in folder.iterdir()) == ["recording.wav"]

    assert killed_write()
    store.remove(key)
    assert sorted(p.name for p in folder.iterdir()) == []


# -- the real thing: lydspor run, killed or cut off ---------------------------------------------


def _start_run(log: Path) -> subprocess.Popen:
    env = {**os.environ, "COLUMNS": "400", "PYTHONUNBUFFERED": "1"}  # no wrapped messages
    with open(log, "ab") as out:
        return subprocess.Popen(
            [str(LYDSPOR), "run", "--from", DAY.isoformat(), "--to", DAY.isoformat()],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _wait_for(condition, proc: subprocess.Popen, log: Path, what: str, timeout=RUN_TIMEOUT):
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"run ended before {what}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            _kill(proc)
            raise AssertionError(f"no {what} within {timeout} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.005)


def _local_objects(base: Path, prefix: str):
    """Finished objects under ``prefix`` of the embedded store (not its temporary files)."""

    def found() -> bool:
        folder = base / prefix
        return folder.is_dir() and any(
            p.is_file() and not p.name.startswith(".incoming-") for p in folder.rglob("*")
        )

    return found


def _run_to_completion(log: Path) -> str:
    proc = _start_run(log)
    try:
        proc.wait(timeout=RUN_TIMEOUT)
    finally:
        _kill(proc)
    output = log.read_text()
    assert proc.returncode == 0, output[-4000:]
    return output


def _catalogue_state(database: Path) -> dict:
    with duckdb.connect(str(database), read_only=True) as con:

        def one(sql: str):
            return con.execute(sql).fetchall()

        return {
            "recordings": one("select call_id, count(*) from raw.recordings group by call_id"),
            "alive": {
                key
                for (key,) in one(
                    "select object_key from raw.stored_objects where deleted_at is null"
                )
            },
        }


def _assert_converged(store, database: Path, calls: dict, log: Path) -> None:
    catalogued = set(calls) - QUARANTINED
    keys = {o.key for o in store.list("")}
    assert not [k for k in keys if k.startswith("landing/")], "landing files left behind"
    with duckdb.connect(str(database), read_only=True) as con:

        def rows(sql: str, params=()) -> list[tuple]:
            return con.execute(sql, list(params)).fetchall()

        # Every landed call catalogued exactly once; the broken one quarantined.
        assert sorted(rows("select call_id, count(*) from raw.recordings group by all")) == [
            (c, 1) for c in sorted(catalogued)
        ]
        assert {r[0] for r in rows("select stem from raw.quarantine")} == QUARANTINED
        # Each call's agent audio, once.
        agent = dict(rows("select call_id, status from raw.agent_audio"))
        assert agent == {
            c: "passthrough" if c in AGENT_ONLY else "extracted" for c in sorted(catalogued)
        }
        assert {c for (c,) in rows("select call_id from fct_calls")} == catalogued

        # No orphans: the ledger knows every object under the dated prefixes, and every object
        # it holds alive is really there.
        alive = {
            k for (k,) in rows("select object_key from raw.stored_objects where deleted_at is null")
        }
        stored = {k for k in keys if k.startswith(LEDGER_PREFIXES)}
        assert stored - alive == set(), "objects the ledger does not know"
        assert {k for k in alive if k.startswith(LEDGER_PREFIXES)} - stored == set(), (
            "ledger rows whose object is gone"
        )
        # Customer audio: alive only where consent keeps it, and none past its deadline.
        customer = {
            (k, basis)
            for k, basis in rows(
                "select object_key, legal_basis from raw.stored_objects "
                "where object_class = 'customer_audio' and deleted_at is null"
            )
        }
        assert customer == {(f"raw/{DAY}/{c}/recording.wav", "consent") for c in CONSENTED}
        assert customer <= {(k, "consent") for k in keys}
        overdue = rows(
            "select object_key from raw.stored_objects where object_class = 'customer_audio' "
            "and deleted_at is null and deadline <= now()"
        )
        assert overdue == []
        # Every deletion has exactly one verified receipt, for an object really gone.
        assert (
            rows(
                "select o.object_key from raw.stored_objects o where o.deleted_at is not null "
                "and (select count(*) from raw.deletion_receipts r where r.object_key = "
                "o.object_key and r.deleted_at = o.deleted_at and r.verified_absent) != 1"
            )
            == []
        )
        deleted = {k for (k,) in rows("select object_key from raw.deletion_receipts")}
        for c in calls:
            if c not in CONSENTED | AGENT_ONLY | QUARANTINED:
                assert f"raw/{DAY}/{c}/recording.wav" in deleted
        assert not deleted & keys, "a receipt for an object that is still there"
    if isinstance(store, LocalObjectStore):
        assert not list(store.base.rglob(".incoming-*")), "partial copies left in the store"
    verified = subprocess.run(
        [str(LYDSPOR), "audit", "verify"], env=os.environ, capture_output=True, text=True
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "audit log intact" in verified.stdout


def test_run_killed_while_ingesting_and_while_extracting_converges(lydspor_state, tmp_path):
    calls = _calls()
    store = LocalObjectStore(Path(os.environ["LYDSPOR_STORE_ROOT"]), os.environ["LYDSPOR_BUCKET"])
    _land_all(store, calls)
    database = Path(os.environ["LYDSPOR_DUCKDB_PATH"])
    log = tmp_path / "runs.log"

    # 1. Killed as soon as the first recording is in raw/: mid-way through raw_recordings.
    proc = _start_run(log)
    _wait_for(_local_objects(store.base, "raw"), proc, log, "raw/ object")
    _kill(proc)
    landing_left = [o.key for o in store.list("landing/")]
    assert landing_left, "the kill came after ingestion ended: nothing was interrupted"
    after_first = _catalogue_state(database)

    # 2. Killed as soon as the first agent audio is written: mid-way through agent_audio.
    proc = _start_run(log)
    _wait_for(_local_objects(store.base, "agent"), proc, log, "agent/ object")
    _kill(proc)
    with duckdb.connect(str(database), read_only=True) as con:
        extracted = con.execute("select count(*) from raw.agent_audio").fetchone()[0]
    assert extracted < len(calls) - 1, "the kill came after agent_audio ended"

    # 3. The rerun completes and everything is as if nothing had happened.
    _run_to_completion(log)
    _assert_converged(store, database, calls, log)
    print(
        f"first kill: {len(landing_left)} landing files left, "
        f"{len(after_first['recordings'])} calls catalogued; second kill: {extracted} calls "
        "with agent audio"
    )


# -- S3 ------------------------------------------------------------------------------------------


@pytest.fixture
def private_s3():
    """A Ceph cluster of this test's own: its gateway is killed and restarted."""
    with private_ceph() as server:
        yield server


@pytest.mark.s3
def test_s3_gateway_lost_mid_run_then_back_converges(
    lydspor_state, private_s3, monkeypatch, tmp_path
):
    s3 = private_s3
    bucket = f"lydspor-faults-{uuid.uuid4().hex[:8]}"
    for name, value in s3.lydspor_env(bucket).items():
        monkeypatch.setenv(name, value)
    store = s3.object_store(bucket)
    calls = _calls()
    _land_all(store, calls)
    database = Path(os.environ["LYDSPOR_DUCKDB_PATH"])
    log = tmp_path / "runs.log"

    # The gateway goes away as soon as the first recording is in raw/.
    proc = _start_run(log)
    _wait_for(lambda: any(True for _ in store.list("raw/")), proc, log, "raw/ object in S3")
    s3.stop_gateway()
    lost_at = time.monotonic()
    try:
        proc.wait(timeout=120)
    finally:
        _kill(proc)
    failed_after = time.monotonic() - lost_at
    output = " ".join(log.read_text().split())
    assert proc.returncode != 0
    assert f"on S3 bucket '{bucket}' at http://{s3.endpoint}" in output, output[-4000:]
    assert "could not" in output

    # Nothing lost: every landed file is still landed, or stored under raw/ with a ledger row
    # (and its metadata catalogued).
    s3.start_gateway()
    keys = {o.key for o in store.list("")}
    with duckdb.connect(str(database), read_only=True) as con:
        alive = {
            k
            for (k,) in con.execute(
                "select object_key from raw.stored_objects where deleted_at is null"
            ).fetchall()
        }
        catalogued = {c for (c,) in con.execute("select call_id from raw.recordings").fetchall()}
    moved = 0
    for call_id in calls:
        audio, meta = f"landing/{DAY}/{call_id}.wav", f"landing/{DAY}/{call_id}.json"
        raw = f"raw/{DAY}/{call_id}/recording.wav"
        quarantined = {
            k.rsplit("/", 1)[-1]
            for k in keys & alive
            if k.startswith(f"quarantine/{DAY}/") and k.rsplit("/", 1)[-1].startswith(call_id)
        }
        if audio not in keys:
            moved += 1
            assert (raw in keys and raw in alive) or f"{call_id}.wav" in quarantined, (
                f"{call_id}: audio neither landed nor stored"
            )
        if meta not in keys:
            assert call_id in catalogued or f"{call_id}.json" in quarantined, (
                f"{call_id}: metadata neither landed nor catalogued"
            )
    assert any(k.startswith("landing/") for k in keys), "the run was not interrupted"

    _run_to_completion(log)
    _assert_converged(store, database, calls, log)
    said = next(line for line in log.read_text().splitlines() if "failed step" in line)
    print(f"S3 gone after {moved} calls moved; the run failed {failed_after:.1f} s later: {said}")


@pytest.mark.s3
def test_s3_hung_gateway_fails_in_bounded_time(private_s3, monkeypatch):
    """A gateway that accepts connections but never answers: the store gives up with a
    StorageError naming the endpoint instead of waiting the client's default 5 minutes x 6."""
    import urllib3

    import assets.common.storage as storage

    s3 = private_s3
    monkeypatch.setattr(storage, "S3_TIMEOUT", urllib3.Timeout(connect=1, read=1))
    store = s3.object_store("lydspor-hung")
    store.put_bytes("x/y", b"z")
    s3.pause_gateway()
    try:
        began = time.monotonic()
        with pytest.raises(storage.StorageError, match=rf"at http://{s3.endpoint}"):
            store.get_bytes("x/y")
        assert time.monotonic() - began < 10
    finally:
        s3.resume_gateway()
    assert store.get_bytes("x/y") == b"z"
