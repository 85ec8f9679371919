"""The retention engine: sweep, legal holds, erasure, lineage and the compliance report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from assets.agent_audio.extract import AGENT_AUDIO_SCHEMA, AGENT_AUDIO_TABLE, process_recording
from assets.common.warehouse import ensure_table
from assets.recordings.ingest import ingest_landed_call
from assets.recordings.landing import list_landed_calls
from assets.retention import audit
from assets.retention.erasure import ErasureError, execute_request
from assets.retention.holds import HoldError, place_hold, release_hold
from assets.retention.ledger import StoredObject, register
from assets.retention.lineage import call_lineage, period_report
from assets.retention.report import render_report
from assets.retention.state import reconcile
from assets.retention.sweep import sweep
from assets.retention.tables import ensure_compliance_tables
from tests.support.calls import CONSENT, DAY, land, metadata, stereo, tone, wav

NOW = datetime.now(UTC)


def erase_by_phone(store, con):
    """The data subject with the number 912 34 567 asked to be erased; the DPO decided."""
    return execute_request(
        store,
        con,
        selector="phone",
        value="912 34 567",
        decision="erase",
        reason="data subject asked",
        decided_by="dpo",
    )


@pytest.fixture
def engine(local_store, warehouse_catalog, policy):
    """The store, a catalogue on each warehouse (the DuckDB file, a DuckLake), the policy."""
    ensure_compliance_tables(warehouse_catalog)
    ensure_table(warehouse_catalog, AGENT_AUDIO_TABLE, AGENT_AUDIO_SCHEMA)
    return local_store, warehouse_catalog, policy


def ingest(store, con, policy, *calls):
    for call_id, audio, meta in calls:
        land(store, call_id, audio, meta)
    for landed in list_landed_calls(store, DAY):
        assert ingest_landed_call(store, con, policy, landed).status == "ingested"
    rows = (
        con.sql(
            "select call_id, call_date, recording_mode, agent_channel, object_key, duration_s "
            "from raw.recordings"
        )
        .pl()
        .to_dicts()
    )
    for row in rows:
        process_recording(store, con, policy, row)


def consented(call_id, audio=None, **fields):
    """An inbound stereo call whose customer consented to recording."""
    meta = metadata(call_id, direction="inbound", consent=CONSENT, **fields)
    return call_id, audio or wav(stereo()), meta


def plant(store, con, key, call_id, deadline, object_class="customer_audio"):
    put = store.put_bytes(key, b"audio")
    register(
        con,
        StoredObject(
            key,
            call_id,
            DAY,
            "raw_recording",
            object_class,
            "consent",
            ["quality_assurance"],
            put.sha256,
            put.size,
            deadline - timedelta(days=1),
            deadline,
        ),
    )


def test_sweep_deletes_what_is_due_and_nothing_else(engine):
    store, con, _ = engine
    plant(store, con, "raw/2026-11-02/due/recording.wav", "due", NOW - timedelta(minutes=1))
    plant(store, con, "raw/2026-11-02/later/recording.wav", "later", NOW + timedelta(days=1))
    result = sweep(store, con, NOW)
    assert [r.object_key for r in result.deleted] == ["raw/2026-11-02/due/recording.wav"]
    assert store.stat("raw/2026-11-02/due/recording.wav") is None
    assert store.stat("raw/2026-11-02/later/recording.wav") is not None
    receipt = con.execute("select verified_absent, reason from raw.deletion_receipts").fetchone()
    assert receipt[0] and "retention deadline" in receipt[1]
    assert [e.action for e in audit.entries(con)] == ["delete"]
    assert sweep(store, con, NOW).deleted == []  # idempotent


def test_retention_state_finds_objects_kept_outside_the_dated_prefixes(engine):
    """A voiceprint is dated by the call it was enrolled from but kept under voiceprints/:
    the state must see it in the store, and see it gone when it is."""
    store, con, _ = engine
    plant(store, con, "voiceprints/agent-a.json", None, NOW + timedelta(days=30), "voiceprint")
    plant(store, con, "voiceprints/agent-b.json", None, NOW + timedelta(days=30), "voiceprint")
    plant(store, con, "raw/2026-11-02/kept/recording.wav", "kept", NOW + timedelta(days=1))
    store.remove("voiceprints/agent-b.json")  # lost behind the ledger's back
    state = reconcile(store, con, timedelta(hours=24))
    in_store = dict(zip(state["object_key"], state["in_store"], strict=True))
    assert in_store == {
        "raw/2026-11-02/kept/recording.wav": True,
        "voiceprints/agent-a.json": True,
        "voiceprints/agent-b.json": False,
    }
    assert state["in_ledger"].all()


def test_legal_hold_keeps_objects_until_released(engine):
    store, con, policy = engine
    ingest(store, con, policy, consented("held-1"))
    hold = place_hold(con, "agent", "agent-test", "dispute 2026-17", "legal@example.com")
    key = f"raw/{DAY}/held-1/recording.wav"
    later = NOW + timedelta(days=400)  # past every window
    result = sweep(store, con, later)
    assert key in result.held and store.stat(key) is not None
    release_hold(con, hold.hold_id, "legal@example.com", "dispute settled")
    with pytest.raises(HoldError, match="already released"):
        release_hold(con, hold.hold_id, "x", "y")
    result = sweep(store, con, later)
    assert key in [r.object_key for r in result.deleted] and store.stat(key) is None
    actions = [e.action for e in audit.entries(con)]
    assert actions[:2] == ["hold_placed", "hold_released"] or "hold_placed" in actions


def test_erase_by_phone_deletes_audio_and_anonymises(engine):
    store, con, policy = engine
    phone = "+4791234567"
    ingest(
        store,
        con,
        policy,
        consented("in-1", customer_number=phone),
        consented("in-2", wav(stereo(320, 880)), customer_number="+4799999999"),
    )
    outcome = erase_by_phone(store, con)
    assert outcome.calls_erased == ["in-1"]
    alive = con.execute(
        "select object_key from raw.stored_objects where call_id = 'in-1' and deleted_at is null"
    ).fetchall()
    assert alive == []
    assert store.stat(f"raw/{DAY}/in-1/recording.wav") is None
    assert store.stat(f"raw/{DAY}/in-2/recording.wav") is not None
    # The call's rows went with its entries (expiry "delete", the default); the other stays.
    assert con.execute("select call_id from raw.recordings").fetchall() == [("in-2",)]
    decision = next(e for e in audit.entries(con) if e.action == "erasure_decision")
    assert phone not in str(decision.details) and phone not in decision.subject


def test_refused_erasure_is_recorded_and_changes_nothing(engine):
    store, con, policy = engine
    ingest(store, con, policy, consented("in-3"))
    outcome = execute_request(
        store,
        con,
        selector="call",
        value="in-3",
        decision="refuse",
        reason="needed for a pending complaint",
        decided_by="dpo",
    )
    assert outcome.calls_erased == [] and outcome.objects_deleted == 0
    assert store.stat(f"raw/{DAY}/in-3/recording.wav") is not None
    row = con.execute("select decision, reason from raw.erasure_requests").fetchone()
    assert row == ("refuse", "needed for a pending complaint")


def test_erase_an_agent_covers_all_their_calls_except_held(engine):
    store, con, policy = engine
    ingest(
        store,
        con,
        policy,
        ("a-1", wav(tone(300)), metadata("a-1", mode="agent_only")),
        ("a-2", wav(tone(350)), metadata("a-2", mode="agent_only")),
    )
    place_hold(con, "call", "a-2", "court order", "legal")
    outcome = execute_request(
        store,
        con,
        selector="agent",
        value="agent-test",
        decision="erase",
        reason="employee left",
        decided_by="hr",
    )
    assert outcome.calls_erased == ["a-1"] and outcome.calls_held == ["a-2"]
    kept = con.execute("select call_id, agent_id from raw.recordings").fetchall()
    assert kept == [("a-2", "agent-test")]  # the held call keeps its agent until released


def test_malformed_erasure_request_changes_nothing(engine):
    store, con, _ = engine
    with pytest.raises(ErasureError):
        execute_request(
            store,
            con,
            selector="phone",
            value="not a number",
            decision="erase",
            reason="x",
            decided_by="dpo",
        )
    with pytest.raises(ErasureError):
        execute_request(
            store, con, selector="call", value="c", decision="maybe", reason="x", decided_by="dpo"
        )
    assert con.execute("select count(*) from raw.erasure_requests").fetchone()[0] == 0


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.rows, self.late = [], 0, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "tr":
            self.rows += 1
        if attrs.get("class") == "late":
            self.late += 1


def test_lineage_and_report(engine):
    store, con, policy = engine
    ingest(store, con, policy, ("out-1", wav(stereo()), metadata("out-1")))
    data = call_lineage(con, "out-1")
    customer = [t for t in data["tracks"] if t["track"] == "customer"] if data["tracks"] else []
    assert data["call"]["call_id"] == "out-1"
    raw = next(o for o in data["objects"] if o["kind"] == "raw_recording")
    assert raw["deleted_at"] and raw["receipt_id"] and raw["deleted_on_time"]
    assert customer == []  # consent_lineage asset not run in this unit test
    report = period_report(con, DAY, DAY)
    assert report["totals"]["calls"] == 1 and report["totals"]["deletions_late"] == 0
    html = render_report(report)
    parsed = _Tables()
    parsed.feed(html)
    assert {"totals", "deletions", "call-out-1"} <= set(parsed.ids)
    assert "<script" not in html and "http" not in html.split("<body>")[1]
