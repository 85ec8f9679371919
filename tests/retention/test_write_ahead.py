"""Write-ahead registration: the intent is committed before the object is written and confirmed
after; a run killed in between is settled by the next (``reconcile_pending``), never an orphan."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from assets.common.storage import LocalObjectStore
from assets.common.warehouse import ensure_table, transaction
from assets.recordings.ingest import CATALOGUE_TABLES
from assets.retention.deletion import delete_object
from assets.retention.ledger import (
    LedgerConflict,
    StoredObject,
    ensure_ledger,
    register,
    write_through,
)
from assets.retention.pending import reconcile_pending
from assets.retention.state import blocking, reconcile
from assets.retention.sweep import sweep
from assets.retention.tables import ensure_compliance_tables
from tests.support.calls import DAY

NOW = datetime.now(UTC)
KEY = f"raw/{DAY}/wal-1/recording.wav"
REPO = Path(__file__).resolve().parents[2]


def obj(key=KEY, basis="consent", purposes=("quality_assurance",), deadline=None, **kw):
    return StoredObject(
        object_key=key,
        call_id="wal-1",
        call_date=DAY,
        kind="raw_recording",
        object_class=kw.pop("object_class", "customer_audio"),
        legal_basis=basis,
        purposes=list(purposes),
        sha256=None,
        size_bytes=None,
        created_at=kw.pop("created_at", NOW),
        deadline=deadline or NOW + timedelta(days=30),
    )


def ledger_row(con, key=KEY):
    return con.execute(
        "select legal_basis, purposes, sha256, size_bytes, confirmed_at, deleted_at, "
        "deletion_reason from raw.stored_objects where object_key = ?",
        [key],
    ).fetchone()


@pytest.fixture
def engine(local_store, catalog):
    ensure_compliance_tables(catalog)
    return local_store, catalog


class WatchingStore:
    """Records what the ledger (seen from a second connection, so only what is committed)
    said about a key at the moment the store wrote it."""

    def __init__(self, inner, db_path):
        self.inner, self.db_path, self.seen = inner, db_path, []
        self.description = inner.description

    def put_bytes(self, key, data, content_type="application/octet-stream", **kwargs):
        with duckdb.connect(self.db_path) as other:
            self.seen.append(
                other.execute(
                    "select deleted_at is null, confirmed_at from raw.stored_objects "
                    "where object_key = ?",
                    [key],
                ).fetchone()
            )
        return self.inner.put_bytes(key, data, content_type, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_the_intent_is_committed_before_the_write_and_confirmed_after(tmp_path, local_store):
    db = str(tmp_path / "wal.duckdb")
    con = duckdb.connect(db)  # the watcher's connection shares this database instance
    ensure_compliance_tables(con)
    store = WatchingStore(local_store, db)
    put = write_through(store, con, obj(), b"customer voice")
    assert store.seen == [(True, None)]  # alive, unconfirmed, committed before the write
    basis, _, sha, size, confirmed_at, deleted_at, _ = ledger_row(con)
    assert (sha, size) == (put.sha256, len(b"customer voice")) and confirmed_at is not None
    assert deleted_at is None and basis == "consent"
    con.close()


def test_write_through_refuses_to_run_inside_a_transaction(engine):
    store, con = engine
    with pytest.raises(RuntimeError, match="inside a transaction"), transaction(con):
        write_through(store, con, obj(), b"voice")
    assert store.stat(KEY) is None and ledger_row(con) is None


def test_a_live_key_never_changes_its_basis_silently(engine):
    store, con = engine
    write_through(store, con, obj(), b"first")
    with pytest.raises(LedgerConflict, match=r"consent/.*legitimate_interest"):
        write_through(store, con, obj(basis="legitimate_interest"), b"second")
    with pytest.raises(LedgerConflict):
        register(con, obj(purposes=("quality_assurance", "training")))
    # Refused before the write: the object and its row are as they were.
    assert store.get_bytes(KEY) == b"first"
    assert ledger_row(con)[:2] == ("consent", ["quality_assurance"])
    # The same basis and purposes (in any order) are no conflict: the object is rewritten.
    write_through(store, con, obj(purposes=["quality_assurance"]), b"again")
    assert store.get_bytes(KEY) == b"again"
    # After deletion the key starts a new life, with the new basis.
    delete_object(store, con, KEY, "test")
    write_through(store, con, obj(basis="legitimate_interest"), b"new life")
    basis, _, _, _, confirmed_at, deleted_at, reason = ledger_row(con)
    assert (basis, deleted_at, reason) == ("legitimate_interest", None, None)
    assert confirmed_at is not None


def test_a_ledger_from_before_write_ahead_gains_confirmed_at(tmp_path):
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute(
        "create schema raw; create table raw.stored_objects (object_key varchar primary key, "
        "call_id varchar, call_date date not null, kind varchar not null, "
        "object_class varchar not null, legal_basis varchar not null, "
        "purposes varchar[] not null, sha256 varchar, size_bytes bigint, "
        "created_at timestamptz not null, deadline timestamptz not null, "
        "deleted_at timestamptz, deletion_reason varchar)"
    )
    con.execute(
        "insert into raw.stored_objects values ('raw/x', 'c', '2026-11-02', 'raw_recording', "
        "'customer_audio', 'consent', ['qa'], 'ab', 5, '2026-11-02 10:00:00+00', "
        "'2026-12-02 10:00:00+00', null, null)"
    )
    ensure_ledger(con)
    ensure_ledger(con)  # idempotent
    row = con.execute("select created_at = confirmed_at from raw.stored_objects").fetchone()
    assert row == (True,)


# -- the fault test: a process killed between the write and the confirmation -------------------

KILLED_WRITE = """
import os, signal, sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
import duckdb
import assets.retention.ledger as ledger
from assets.common.storage import LocalObjectStore
from assets.retention.tables import ensure_compliance_tables

root, db, key, where = sys.argv[1:5]
store = LocalObjectStore(Path(root), "lydspor")
con = duckdb.connect(db)
ensure_compliance_tables(con)
die = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
if where == "after_put":
    ledger.confirm_many = die
elif where == "mid_put":
    os.fsync = die  # the temporary file written, not yet renamed into place
else:
    store.put_bytes = die
now = datetime.now(UTC)
obj = ledger.StoredObject(key, "k-1", date(2026, 11, 2), "raw_recording", "customer_audio",
    "consent", ["quality_assurance"], None, None, now, now + timedelta(minutes=5))
ledger.write_through(store, con, obj, b"customer voice" * 1000)
print("survived")
"""


@pytest.mark.parametrize("where", ["before_put", "mid_put", "after_put"])
def test_a_write_killed_before_its_confirmation_is_settled_by_the_next_run(tmp_path, where):
    root, db, key = tmp_path / "objects", str(tmp_path / "wal.duckdb"), f"raw/{DAY}/k-1/rec.wav"
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_WRITE, str(root), db, key, where],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr  # killed, not finished
    store, con = LocalObjectStore(root, "lydspor"), duckdb.connect(db)
    for table, schema in CATALOGUE_TABLES.items():  # the sweep reads holds through them
        ensure_table(con, table, schema)
    pending = ledger_row(con, key)
    assert pending[4] is None and pending[5] is None  # registered, never confirmed
    assert (store.stat(key) is not None) == (where == "after_put")

    later = datetime.now(UTC) + timedelta(minutes=1)
    result = reconcile_pending(store, con, now=later, grace=timedelta(0))
    _, _, sha, size, confirmed_at, deleted_at, reason = ledger_row(con, key)
    if where == "after_put":
        assert result.confirmed == [key] and not result.changed and confirmed_at is not None
        assert size == len(b"customer voice" * 1000) and sha is not None and deleted_at is None
    else:
        assert result.never_written == [key] and reason.startswith("never written")
        receipt = con.execute(
            "select verified_absent from raw.deletion_receipts where object_key = ?", [key]
        ).fetchone()
        assert receipt == (True,)
    assert reconcile_pending(store, con, now=later).confirmed == []  # settled once
    # Nothing in the store unknown to the ledger: not the object, not a partial copy of it.
    state = reconcile(store, con, timedelta(hours=24), later)
    assert state.filter(blocking()).is_empty(), state.filter(blocking()).to_dicts()
    # And nothing past its deadline once it passes: the sweep deletes the confirmed object.
    after_deadline = later + timedelta(minutes=10)
    swept = sweep(store, con, after_deadline)
    assert [r.object_key for r in swept.deleted] == ([key] if where == "after_put" else [])
    state = reconcile(store, con, timedelta(hours=24), after_deadline)
    alive_in_store = state.filter(state["in_store"] & state["deleted_at"].is_null())
    assert alive_in_store.is_empty() and not any(store.base.rglob(".incoming-*"))
    con.close()


def test_an_absent_intent_younger_than_the_grace_is_left_for_its_writer(engine):
    store, con = engine
    register(con, obj())  # another run is about to write it
    result = reconcile_pending(store, con, now=NOW + timedelta(minutes=1))
    assert result.in_flight == [KEY] and ledger_row(con)[5] is None


def test_the_sweep_deletes_an_unconfirmed_intent_past_its_deadline(engine):
    store, con = engine
    due = NOW - timedelta(minutes=1)
    register(con, obj(deadline=due, created_at=due - timedelta(minutes=5)))
    store.put_bytes(KEY, b"written, never confirmed")  # the run died before confirming
    result = sweep(store, con, NOW)
    assert [r.object_key for r in result.deleted] == [KEY] and store.stat(KEY) is None


#: The only places that may call ``put_bytes`` (or ``put_retained``) directly, and why each is
#: safe. Every other put site goes through ``ledger.write_through``, so none can write before
#: registering.
DIRECT_PUTS = {
    "assets/retention/ledger.py": "write_through itself",
    "assets/recordings/ingest/grouping.py": "raw audio: a group's intents committed in one "
    "transaction, written from the pool, confirmed with the catalogue rows",
    "assets/recordings/ingest/quarantine.py": "quarantine copies: registered as a batch, "
    "written, confirmed",
    "assets/retention/audit.py": "the audit head, a system key (state.SYSTEM_KEYS)",
    "assets/retention/audit_checkpoints.py": "write-once audit checkpoints (put_retained), "
    "system keys under audit/checkpoints/ that no call owns",
    "lydspor/cli/pipeline.py": "uploads into landing/, as a dialer does (in transit)",
    "assets/transcripts/worker.py": "transcription work files: the pooled step registers "
    "their intents (pipes.register_work) before the worker starts, confirms them when read",
    "assets/agent_audio/worker.py": "agent-audio work files: the step registers their "
    "intents (agent_audio.pipes) before the worker starts, confirms them when read",
}


def test_no_put_site_writes_around_the_ledger():
    callers = set()
    for folder in ("assets", "lydspor", "orchestration"):
        for path in (REPO / folder).rglob("*.py"):
            tree = ast.parse(path.read_text())
            if any(
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"put_bytes", "put_retained"}
                for node in ast.walk(tree)
            ):
                callers.add(path.relative_to(REPO).as_posix())
    assert callers == set(DIRECT_PUTS), callers ^ set(DIRECT_PUTS)
