"""Legal holds are checked: a hold must name a known call or agent, and what a hold keeps is
reported and audited instead of deleted."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from typer.testing import CliRunner

from assets.retention import audit
from assets.retention.holds import (
    HOLDS_TABLE,
    HoldError,
    place_hold,
    record_hold_conflicts,
    release_hold,
)
from assets.retention.ledger import StoredObject, register
from assets.retention.tables import ensure_compliance_tables
from lydspor.cli import app
from tests.support.calls import DAY

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def con(catalog):
    ensure_compliance_tables(catalog)
    catalog.execute(
        "insert into raw.recordings (call_id, call_date, agent_id) values "
        "('c1', ?, 'agent-a'), ('c2', ?, 'agent-b')",
        [DAY, DAY],
    )
    return catalog


def obj(key: str, call_id: str | None) -> dict:
    return {
        "object_key": key,
        "call_id": call_id,
        "object_class": "customer_audio",
        "legal_basis": "none",
        "deadline": NOW - timedelta(minutes=1),
    }


@pytest.mark.parametrize("scope,subject", [("call", "no-such-call"), ("agent", "no-such-agent")])
def test_hold_on_an_unknown_subject_is_refused_and_audited(con, scope, subject):
    with pytest.raises(HoldError, match=f"no {scope} '{subject}' in the catalogue"):
        place_hold(con, scope, subject, "court order", "legal")
    assert con.execute(f"select count(*) from {HOLDS_TABLE}").fetchone()[0] == 0
    (entry,) = audit.entries(con)
    assert entry.action == "hold_refused" and entry.actor == "legal"
    assert entry.details["scope"] == scope
    # The unmatched identifier is not kept in the audit log.
    assert subject not in repr(entry)


def test_hold_on_a_known_call_agent_or_stored_object_is_placed(con):
    register(
        con,
        StoredObject(
            "voiceprints/only-an-object.json", "c9", DAY, "raw_recording", "customer_audio",
            "none", ["agent_extraction"], "0" * 64, 1, NOW, NOW,
        ),
    )  # fmt: skip
    for scope, subject in [("call", "c1"), ("agent", "agent-b"), ("call", "c9")]:
        assert place_hold(con, scope, subject, "dispute", "legal").subject == subject
    assert con.execute(f"select count(*) from {HOLDS_TABLE}").fetchone()[0] == 3
    assert [e.action for e in audit.entries(con)] == ["hold_placed"] * 3


def test_hold_conflicts_are_returned_and_audited_once_per_set_of_holds(con):
    objects = [obj("raw/c1.wav", "c1"), obj("raw/c2.wav", "c2"), obj("voiceprints/x", None)]
    assert record_hold_conflicts(con, objects, "sweep", NOW, "deletion at deadline") == []
    first = place_hold(con, "call", "c1", "dispute", "legal")
    held = record_hold_conflicts(con, objects, "sweep", NOW, "deletion at deadline")
    assert [(o["object_key"], o["holds"]) for o in held] == [("raw/c1.wav", [first.hold_id])]
    # The next hourly run meets the same conflict: reported again, audited once.
    assert record_hold_conflicts(con, objects, "sweep", NOW, "deletion at deadline") == held
    conflicts = [e for e in audit.entries(con) if e.action == "hold_conflict"]
    assert len(conflicts) == 1
    assert conflicts[0].subject == "raw/c1.wav" and conflicts[0].call_id == "c1"
    assert conflicts[0].details["kept_instead_of"] == "deletion at deadline"
    assert conflicts[0].details["holds"] == [first.hold_id]
    # A second hold (through the agent) changes the set: audited again.
    second = place_hold(con, "agent", "agent-a", "another dispute", "legal")
    held = record_hold_conflicts(con, objects, "sweep", NOW, "deletion at deadline")
    assert held[0]["holds"] == sorted([first.hold_id, second.hold_id])
    assert len([e for e in audit.entries(con) if e.action == "hold_conflict"]) == 2
    release_hold(con, first.hold_id, "legal", "settled")
    release_hold(con, second.hold_id, "legal", "settled")
    assert record_hold_conflicts(con, objects, "sweep", NOW, "deletion at deadline") == []
    assert audit.verify(con).ok


def test_cli_refuses_a_hold_on_an_unknown_call(con):
    con.close()
    runner = CliRunner()
    refused = runner.invoke(app, ["hold", "place", "--call", "nope", "--reason", "court order"])
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())  # rich wraps long lines
    assert "no call 'nope' in the catalogue" in said and "no hold was placed" in said
    placed = runner.invoke(app, ["hold", "place", "--call", "c1", "--reason", "court order"])
    assert placed.exit_code == 0, placed.output

    with duckdb.connect(os.environ["LYDSPOR_DUCKDB_PATH"], read_only=True) as check:
        assert check.execute(f"select subject from {HOLDS_TABLE}").fetchall() == [("c1",)]
