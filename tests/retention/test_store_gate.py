"""The store-wide gate: everything in the store, every prefix and date, whatever its name, must be
known to the ledger; what the ledger deleted must be gone; nothing may outlive its deadline."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from assets.retention import audit
from assets.retention.deletion import delete_object
from assets.retention.ledger import ROWS_KIND, StoredObject, register, write_through
from assets.retention.pending import reconcile_pending
from assets.retention.state import DELETED_BUT_PRESENT, SYSTEM_KEYS, UNKNOWN, blocking, reconcile
from assets.retention.tables import ensure_compliance_tables
from expectations.retention import store_objects_frame, store_suite
from expectations.runner import validate_frame
from tests.support.calls import DAY

NOW = datetime.now(UTC)
LANDING_WINDOW = timedelta(hours=24)
KEPT = f"transcripts/{DAY}/kept/agent.words.parquet"


@pytest.fixture
def engine(local_store, catalog):
    ensure_compliance_tables(catalog)
    write_through(
        local_store,
        catalog,
        StoredObject(
            KEPT,
            "kept",
            DAY,
            "agent_words",
            "transcript",
            "contract",
            ["quality_assurance"],
            None,
            None,
            NOW,
            NOW + timedelta(days=30),
        ),
        b"words",
    )
    return local_store, catalog


def problems(store, con, now=NOW) -> dict[str, str]:
    state = reconcile(store, con, LANDING_WINDOW, now)
    return {row["object_key"]: row["problem"] for row in state.filter(blocking()).to_dicts()}


def plant_file(store, relative: bytes | str, data: bytes = b"customer voice") -> None:
    """A file put straight into the bucket directory, behind the store's back."""
    base = os.fsencode(store.base)
    path = os.path.join(base, os.fsencode(relative))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def test_a_clean_store_passes(engine):
    store, con = engine
    audit.anchor(con, store)
    assert problems(store, con) == {}


def test_the_gate_names_every_planted_case(engine):
    store, con = engine
    # An object no one registered, under a prefix lydspor never writes and a date years old.
    store.put_bytes("exports/2019-03-01/old-call/recording.wav", b"customer voice")
    # Names the store cannot address: a backslash, a control character, bytes that are no UTF-8.
    plant_file(store, f"raw/{DAY}/odd\\name.wav")
    plant_file(store, f"raw/{DAY}/bell\x07.wav")
    plant_file(store, f"raw/{DAY}/".encode() + b"latin-\xe6\xf8\xe5.wav")
    # What a write killed mid-way leaves: its temporary file, a copy no listing shows.
    plant_file(store, f"agent/{DAY}/c-9/.incoming-agent.wav.x1y2z3")
    # Deleted in the ledger, with its receipt, and back in the store.
    gone = f"raw/{DAY}/gone/recording.wav"
    write_through(
        store,
        con,
        StoredObject(
            gone,
            "gone",
            DAY,
            "raw_recording",
            "customer_audio",
            "consent",
            ["quality_assurance"],
            None,
            None,
            NOW,
            NOW + timedelta(days=1),
        ),
        b"customer voice",
    )
    delete_object(store, con, gone, "test")
    store.put_bytes(gone, b"customer voice, restored from a backup")
    # The audit head is lydspor's own, and known.
    audit.anchor(con, store)

    found = problems(store, con)
    assert found["exports/2019-03-01/old-call/recording.wav"] == UNKNOWN
    assert found[f"raw/{DAY}/odd\\name.wav"].startswith("name the store cannot address")
    assert found[f"raw/{DAY}/bell\x07.wav"].startswith("name the store cannot address")
    assert found[f"raw/{DAY}/latin-\\xe6\\xf8\\xe5.wav"].startswith("name is not UTF-8")
    assert found[f"agent/{DAY}/c-9/.incoming-agent.wav.x1y2z3"].startswith("leftover")
    assert found[gone] == DELETED_BUT_PRESENT
    assert len(found) == 6, found
    assert audit.HEAD_KEY in SYSTEM_KEYS and audit.HEAD_KEY not in found

    # The suite behind the blocking check fails, on each of its questions.
    state = reconcile(store, con, LANDING_WINDOW, NOW).with_columns(blocking=blocking())
    frame = store_objects_frame(state, NOW)
    result = validate_frame(frame, store_suite())
    assert not result.success
    failed = {f.column: f for f in result.failed}
    assert failed["known"].unexpected_count == 5
    assert failed["deleted_but_present"].unexpected_count == 1
    # Unknown objects have no deadline: they count as overdue too (the safe error).
    assert failed["past_deadline"].unexpected_count == 5
    # The gate reports; it deletes nothing.
    assert store.stat("exports/2019-03-01/old-call/recording.wav") is not None


def test_an_object_past_its_deadline_fails_whatever_its_class(engine):
    store, con = engine
    later = NOW + timedelta(days=31)  # the transcript's 30 days are over
    state = reconcile(store, con, LANDING_WINDOW, later).with_columns(blocking=blocking())
    frame = store_objects_frame(state, later)
    assert frame.loc[frame["past_deadline"], "object_key"].tolist() == [KEPT]
    assert not validate_frame(frame, store_suite()).success


def test_landing_files_are_in_transit_until_the_landing_window_ends(engine):
    store, con = engine
    key = f"landing/{DAY}/call-7.wav"
    store.put_bytes(key, b"uploaded by the dialer")
    arrived = store.stat(key).modified_at
    assert problems(store, con, arrived + timedelta(minutes=1)) == {}
    # A day later it was neither ingested nor quarantined: nobody owns it any more.
    assert problems(store, con, arrived + LANDING_WINDOW + timedelta(minutes=1)) == {key: UNKNOWN}


def test_the_shipped_policy_lets_a_landed_file_wait_minutes_not_a_day(engine, policy):
    """The landing sensor ingests a call within seconds, so the demo policy allows minutes in
    transit: a file nobody ingested for longer is unknown to the ledger and fails the gate."""
    store, con = engine
    window = policy.window("landing", "in_transit")
    assert timedelta(minutes=1) <= window <= timedelta(hours=1)
    key = f"landing/{DAY}/call-8.wav"
    store.put_bytes(key, b"uploaded by the dialer")
    arrived = store.stat(key).modified_at

    def problems_at(now):
        state = reconcile(store, con, window, now)
        return {row["object_key"]: row["problem"] for row in state.filter(blocking()).to_dicts()}

    assert problems_at(arrived + window - timedelta(seconds=30)) == {}
    assert problems_at(arrived + window + timedelta(seconds=30)) == {key: UNKNOWN}


def test_listing_the_whole_store_sees_every_date(engine):
    """The state does not depend on a run's window: an object dated years ago is in it."""
    store, con = engine
    store.put_bytes("raw/2001-01-01/ancient/recording.wav", b"customer voice")
    started = time.perf_counter()
    state = reconcile(store, con, LANDING_WINDOW, NOW)
    assert time.perf_counter() - started < 5
    row = state.filter(state["object_key"] == "raw/2001-01-01/ancient/recording.wav").to_dicts()
    assert row[0]["object_class"] == "customer_audio" and row[0]["call_id"] == "ancient"
    assert str(row[0]["call_date"]) == "2001-01-01" and not row[0]["in_ledger"]


def test_an_entry_that_owns_rows_is_neither_missing_nor_pending_but_a_file_under_it_is_unknown(
    engine,
):
    """Ledger entries of kind ``rows`` own DuckDB rows, not objects: never in the store, never
    a pending write to close, and no cover for a file planted under their key."""
    store, con = engine
    key = f"rows/{DAY}/c-1/call_metadata"
    long_ago = NOW - timedelta(hours=2)
    register(
        con,
        StoredObject(
            key,
            "c-1",
            DAY,
            ROWS_KIND,
            "call_metadata",
            "contract",
            ["quality_assurance"],
            None,
            None,
            long_ago,
            NOW + timedelta(days=30),
        ),
    )
    assert reconcile_pending(store, con, now=NOW).never_written == []
    state = reconcile(store, con, LANDING_WINDOW, NOW)
    row = state.filter(state["object_key"] == key).to_dicts()[0]
    assert (row["problem"], row["in_store"], row["in_ledger"]) == (None, False, True)
    store.put_bytes(key, b"customer voice")
    assert problems(store, con) == {key: UNKNOWN}
