"""Rows follow their owners: purged (or anonymised) when the ledger entry they came from goes,
reported as overdue while they outlive it; the audit log pruned to its window from a checkpoint."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from assets.retention import audit
from assets.retention.copies import Copy, overdue_rows, purge, rows_key
from assets.retention.holds import place_hold
from assets.retention.ledger import StoredObject, register
from assets.retention.row_checks import unaccounted_tables
from assets.retention.tables import ensure_compliance_tables

DAY = date(2026, 11, 2)
NOW = datetime(2026, 11, 3, 12, tzinfo=UTC)
WORDS = Copy("raw.words", "redacted_transcript")
CALLS = Copy("raw.calls", "call_metadata", anonymise=("number", "agent_id"))
WEEKLY = Copy("main.weekly", "call_metadata", "agent", "agent_id")


@pytest.fixture
def con(catalog):
    ensure_compliance_tables(catalog)
    catalog.execute("create table raw.words (call_id varchar, word varchar)")
    catalog.execute("create table raw.calls (call_id varchar, number varchar, agent_id varchar)")
    catalog.execute("create table main.weekly (agent_id varchar, calls int)")
    return catalog


def entry(con, key, call_id, object_class, deadline, deleted=False):
    register(
        con,
        StoredObject(
            key, call_id, DAY, "x", object_class, "contract", ["coaching"], None, None,
            NOW - timedelta(days=1), deadline,
        ),
    )  # fmt: skip
    if deleted:
        con.execute("update raw.stored_objects set deleted_at = ? where object_key = ?", [NOW, key])


def test_rows_go_with_their_owner_and_fall_back_to_the_calls_metadata(con):
    later = NOW + timedelta(days=30)
    entry(con, "transcripts/a.parquet", "a", "redacted_transcript", later, deleted=True)
    entry(con, "transcripts/b.parquet", "b", "redacted_transcript", later)
    entry(con, rows_key(DAY, "c"), "c", "call_metadata", later)  # no transcript object
    con.execute("insert into raw.words values ('a', 'invoice'), ('b', 'hello'), ('c', 'hi')")
    con.execute("insert into raw.words values ('orphan', 'nobody accounts for me')")
    assert [o.table for o in overdue_rows(con, NOW, copies=[WORDS])] == ["raw.words"]
    result = purge(con, copies=[WORDS])
    assert result.deleted == {"raw.words": 2}
    assert con.execute("select call_id from raw.words order by 1").fetchall() == [("b",), ("c",)]
    assert overdue_rows(con, NOW, copies=[WORDS]) == []
    assert purge(con, copies=[WORDS]).rows == 0  # idempotent


def test_alive_owner_past_its_deadline_is_overdue_unless_held(con):
    entry(con, rows_key(DAY, "a"), "a", "call_metadata", NOW - timedelta(minutes=1))
    con.execute("insert into raw.calls values ('a', '+4791234567', 'agent-x')")
    [found] = overdue_rows(con, NOW, copies=[CALLS])
    assert (found.table, found.rows, found.sample) == ("raw.calls", 1, ["a"])
    assert purge(con, copies=[CALLS]).rows == 0  # the sweep deletes the entry first
    place_hold(con, "call", "a", "dispute", "dpo")
    assert overdue_rows(con, NOW, copies=[CALLS]) == []


def test_anonymise_keeps_the_row_without_who(con):
    entry(con, rows_key(DAY, "a"), "a", "call_metadata", NOW, deleted=True)
    con.execute("insert into raw.calls values ('a', '+4791234567', 'agent-x')")
    expiry = {"call_metadata": "anonymise"}
    assert purge(con, expiry, copies=[CALLS]).anonymised == {"raw.calls": 1}
    assert con.execute("select * from raw.calls").fetchall() == [("a", None, None)]
    assert overdue_rows(con, NOW, expiry, copies=[CALLS]) == []
    # The same row under "delete" is still personal data past its deadline.
    con.execute("update raw.calls set number = '+4791234567'")
    assert overdue_rows(con, NOW, {"call_metadata": "delete"}, copies=[CALLS])


def test_aggregates_per_agent_go_when_no_live_call_names_the_agent(con):
    con.execute(
        "insert into raw.recordings (call_id, call_date, agent_id) "
        "values ('a', '2026-11-02', 'agent-x')"
    )
    con.execute("insert into main.weekly values ('agent-x', 3), ('agent-y', 2)")
    assert purge(con, copies=[WEEKLY]).deleted == {"main.weekly": 1}
    con.execute("delete from raw.recordings")
    assert [o.sample for o in overdue_rows(con, NOW, copies=[WEEKLY])] == [["agent-x"]]
    assert purge(con, copies=[WEEKLY]).deleted == {"main.weekly": 1}


def test_tables_not_yet_built_are_skipped(con):
    absent = Copy("main.never_built", "call_metadata")
    assert purge(con, copies=[absent]).rows == 0 and overdue_rows(con, NOW, copies=[absent]) == []


def test_pruned_audit_log_still_verifies_and_chains_on(con):
    for day in range(1, 6):
        audit.append(con, "read", actor="u", at=datetime(2026, 1, day, tzinfo=UTC))
    assert audit.prune(con, datetime(2026, 1, 4, tzinfo=UTC)) == 3
    assert [e.seq for e in audit.entries(con)] == [4, 5]
    assert audit.verify(con, {"seq": 5, "hash": audit.head(con)["hash"]}).ok
    assert audit.prune(con, datetime(2026, 1, 4, tzinfo=UTC)) == 0
    # Everything pruned: the next entry still follows the checkpoint.
    assert audit.prune(con, datetime(2027, 1, 1, tzinfo=UTC)) == 2
    audit.append(con, "read", actor="u")
    assert [e.seq for e in audit.entries(con)] == [6] and audit.verify(con).ok
    # Removing an entry without a checkpoint still breaks the chain.
    audit.append(con, "read", actor="u")
    con.execute("delete from raw.audit_log where seq = 6")
    assert not audit.verify(con).ok


def test_a_pruned_entry_is_not_mistaken_for_the_anchor(con):
    for day in range(1, 4):
        audit.append(con, "read", actor="u", at=datetime(2026, 1, day, tzinfo=UTC))
    anchored = audit.head(con)
    audit.prune(con, datetime(2026, 1, 3, tzinfo=UTC))
    assert audit.verify(con, anchored).ok
    con.execute("update raw.audit_log set actor = 'x'")
    assert not audit.verify(con, anchored).ok


def test_an_agents_aggregates_go_in_the_same_purge_as_their_last_call(con):
    """Erasing an agent removes their calls' rows and, in the same purge, the aggregates that
    only those calls kept alive."""
    entry(con, rows_key(DAY, "a"), "a", "call_metadata", NOW, deleted=True)
    con.execute(
        "insert into raw.recordings (call_id, call_date, agent_id) "
        "values ('a', '2026-11-02', 'agent-x')"
    )
    con.execute("insert into main.weekly values ('agent-x', 1)")
    recordings = Copy("raw.recordings", "call_metadata")
    result = purge(con, copies=[WEEKLY, recordings])
    assert result.deleted == {"raw.recordings": 1, "main.weekly": 1}


def test_a_table_of_personal_data_nobody_governs_is_named(con):
    # The fixture's stand-in tables are not in the real map either: that is the point.
    assert unaccounted_tables(con) == ["main.weekly", "raw.calls", "raw.words"]
    con.execute("create table raw.call_notes (call_id varchar, note varchar)")
    con.execute("create table raw.dialer_codes (code varchar, label varchar)")  # no personal column
    assert "raw.call_notes" in unaccounted_tables(con)
    assert "raw.dialer_codes" not in unaccounted_tables(con)
