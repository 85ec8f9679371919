"""Role-scoped reads: sessions hold only what a principal may see; reads of calls audited.

Every test taking ``access_catalog`` runs on both warehouses (the DuckDB file and a DuckLake
on the throwaway Postgres): the same roles see the same rows and are refused the same reads.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from assets.access.policy import AccessDenied, AccessPolicy, AccessPolicyError, load_access_policy
from assets.access.reads import read_audio, read_transcript
from assets.access.session import open_session
from assets.common.lake import Warehouse, connect
from assets.retention import audit
from assets.retention.ledger import StoredObject, register
from assets.retention.tables import ensure_compliance_tables
from tests.support.warehouses import use_ducklake

POLICY = AccessPolicy.model_validate(
    {
        "principals": [
            {"user": "boss", "role": "owner"},
            {"user": "ana", "role": "admin"},
            {"user": "lead-s", "role": "team_lead", "teams": ["sales"]},
            {"user": "ingrid", "role": "agent", "agent_id": "a-ingrid", "teams": ["sales"]},
            {"user": "sara", "role": "agent", "agent_id": "a-sara", "teams": ["support"]},
        ],
        "agent_team_marts": ["fct_best_practice_calls"],
        "shared_marts": ["tracker_phrases"],
    }
)
CALLS = [  # call_id, team, agent
    ("c1", "sales", "a-ingrid"),
    ("c2", "sales", "a-lars"),
    ("c3", "support", "a-sara"),
    ("c4", "support", "a-emil"),
]


@pytest.fixture
def access_catalog(warehouse, local_store) -> Warehouse:
    con = connect(warehouse)
    ensure_compliance_tables(con)
    con.execute(
        "create table raw.recordings as select * from (values "
        + ", ".join(f"('{c}', '{t}', '{a}')" for c, t, a in CALLS)
        + ") v(call_id, team, agent_id)"
    )
    con.execute(
        "create table main.fct_call_coaching as select call_id, team, agent_id, "
        "length(call_id) as agent_words from raw.recordings"
    )
    con.execute("create table main.fct_agent_weeks as select distinct agent_id from raw.recordings")
    con.execute(
        "create table main.fct_best_practice_calls as select call_id, team, agent_id "
        "from raw.recordings where call_id in ('c2', 'c3')"
    )
    con.execute("create table main.fct_tracker_trends as select 'price' as tracker, 4 as hits")
    con.execute(
        "create table main.fct_nps_weekly as select * from (values ('overall', 'all', 10), "
        "('team', 'sales', 40), ('team', 'support', -20), ('agent', 'a-ingrid', 50), "
        "('agent', 'a-lars', 30), ('agent', 'a-sara', -20), ('tracker', 'price', -50)) "
        "v(dimension, dimension_value, nps)"
    )
    con.execute("create table main.tracker_phrases as select 'en' as language, 'price' as phrase")
    con.execute("create view main.stg_lydspor__calls as select * from raw.recordings")
    con.execute(
        "create table raw.transcript_words as select call_id, 'agent' as track, 0 as word_index, "
        "'hello' as word, 0.0 as start_s, 0.4 as end_s from raw.recordings"
    )
    now = datetime.now(UTC)
    for call_id, _, _ in CALLS:
        key = f"agent/2026-11-02/{call_id}.wav"
        local_store.put_bytes(key, b"RIFF-agent-" + call_id.encode())
        register(
            con,
            StoredObject(
                key, call_id, date(2026, 11, 2), "audio", "agent_audio", "contract",
                ["coaching"], None, None, now, now + timedelta(days=30),
            ),
        )  # fmt: skip
    con.close()
    return warehouse


def _rows(session, sql):
    return session.sql(sql).fetchall()


def test_agent_session_holds_only_their_own_calls(access_catalog):
    with open_session(access_catalog, POLICY.principal("ingrid"), POLICY) as s:
        assert _rows(s, "select call_id from fct_call_coaching") == [("c1",)]
        assert _rows(s, "select agent_id from fct_agent_weeks") == [("a-ingrid",)]
        # A colleague's best call is shared with the whole team; never another team's.
        assert _rows(s, "select call_id from fct_best_practice_calls") == [("c2",)]
        assert _rows(s, "select * from tracker_phrases") == [("en", "price")]
        # Grouped aggregates: only the agent's own group.
        assert _rows(s, "select dimension_value from fct_nps_weekly") == [("a-ingrid",)]
        names = {t.name for t in s.tables}
        # Unscoped aggregates (could mix teams), internal models and compliance tables: absent.
        assert names == {"fct_call_coaching", "fct_agent_weeks", "fct_best_practice_calls",
                         "tracker_phrases", "fct_nps_weekly"}  # fmt: skip


def test_agent_cannot_reach_another_teams_calls_by_any_sql(access_catalog):
    with open_session(access_catalog, POLICY.principal("sara"), POLICY) as s:
        assert _rows(s, "select call_id from fct_call_coaching") == [("c3",)]
        target = access_catalog.lake_url if access_catalog.is_lake else access_catalog.database
        for escape in (
            f"attach '{target}' as again (read_only)",
            f"select * from read_parquet('{access_catalog.database}')",
            f"select * from read_parquet('{access_catalog.ducklake_data_path}**/*.parquet')",
            "set enable_external_access = true",
            "select * from lydspor.main.fct_call_coaching",
            "select * from __ducklake_metadata_lydspor.ducklake_snapshot",
        ):
            with pytest.raises(duckdb.Error):
                s.sql(escape).fetchall()


def test_team_lead_sees_their_team(access_catalog):
    with open_session(access_catalog, POLICY.principal("lead-s"), POLICY) as s:
        assert sorted(_rows(s, "select call_id from fct_call_coaching")) == [("c1",), ("c2",)]
        assert sorted(_rows(s, "select agent_id from fct_agent_weeks")) == [
            ("a-ingrid",),
            ("a-lars",),
        ]
        # Their team's and agents' NPS groups; overall and per-tracker rows pool other teams.
        assert sorted(_rows(s, "select dimension_value from fct_nps_weekly")) == [
            ("a-ingrid",),
            ("a-lars",),
            ("sales",),
        ]
        assert not any(t.name.startswith("compliance.") for t in s.tables)


def test_admin_sees_everything_and_compliance(access_catalog):
    with open_session(access_catalog, POLICY.principal("ana"), POLICY) as s:
        assert _rows(s, "select count(*) from fct_call_coaching") == [(4,)]
        assert _rows(s, "select count(*) from fct_tracker_trends") == [(1,)]
        assert _rows(s, "select count(*) from compliance.stored_objects") == [(4,)]
        assert "stg_lydspor__calls" not in {t.name for t in s.tables}


def test_transcript_reads_are_scoped_and_audited(access_catalog):
    con = connect(access_catalog)
    words = read_transcript(con, POLICY.principal("lead-s"), POLICY, "c2")
    assert words["word"].to_list() == ["hello"]
    with pytest.raises(AccessDenied):
        read_transcript(con, POLICY.principal("sara"), POLICY, "c1")
    with pytest.raises(AccessDenied):  # same team, a colleague's call not shared by a mart
        read_transcript(con, POLICY.principal("sara"), POLICY, "c4")
    # A best-practice call is shared with the agent's team.
    assert read_transcript(con, POLICY.principal("ingrid"), POLICY, "c2").height == 1
    events = [(e.action, e.actor, e.call_id, e.subject) for e in audit.entries(con)]
    assert events == [
        ("read", "lead-s", "c2", "transcript"),
        ("read_denied", "sara", "c1", "transcript"),
        ("read_denied", "sara", "c4", "transcript"),
        ("read", "ingrid", "c2", "transcript"),
    ]
    assert audit.verify(con).ok
    with pytest.raises(LookupError):
        read_transcript(con, POLICY.principal("boss"), POLICY, "nope")
    con.close()


def test_audio_reads_return_the_live_object_and_are_audited(access_catalog, local_store):
    con = connect(access_catalog)
    got = read_audio(con, local_store, POLICY.principal("sara"), POLICY, "c3")
    assert got.data == b"RIFF-agent-c3"
    entry = audit.entries(con, "c3")[-1]
    assert (entry.action, entry.subject, entry.details["object_key"]) == (
        "read",
        "agent_audio",
        "agent/2026-11-02/c3.wav",
    )
    with pytest.raises(LookupError, match="no stored customer audio"):
        read_audio(con, local_store, POLICY.principal("boss"), POLICY, "c3", track="customer")
    con.close()


def test_policy_file_is_validated(tmp_path):
    bad = tmp_path / "access.yaml"
    bad.write_text("principals:\n  - {user: x, role: agent, teams: [sales]}\n")
    with pytest.raises(AccessPolicyError, match="agent_id"):
        load_access_policy(bad)
    bad.write_text("principals:\n  - {user: x, role: admin}\n  - {user: x, role: owner}\n")
    with pytest.raises(AccessPolicyError, match="listed twice"):
        load_access_policy(bad)
    with pytest.raises(AccessDenied, match="not in the access policy"):
        POLICY.principal("mallory")


def test_shipped_access_policy_loads():
    from assets.common.settings import SHIPPED_ACCESS_POLICY

    policy = load_access_policy(SHIPPED_ACCESS_POLICY)
    assert {p.role for p in policy.principals} == {
        "owner",
        "admin",
        "compliance",
        "team_lead",
        "agent",
    }
    # The template maps no OS account: the effective policy adds whoever sets lydspor up.
    assert not any(p.os_accounts for p in policy.principals)


def test_cli_query_transcript_and_audio(access_catalog, act_as, tmp_path, monkeypatch):
    from lydspor.cli import app

    act_as(POLICY, "boss")  # this OS account is the owner, who may act for the others
    runner = CliRunner()
    result = runner.invoke(
        app, ["query", "--as", "ingrid", "--format", "json", "select * from fct_call_coaching"]
    )
    assert result.exit_code == 0, result.output
    assert [r["call_id"] for r in json.loads(result.output)] == ["c1"]
    result = runner.invoke(app, ["query", "--as", "ingrid", "--tables"])
    assert "fct_call_coaching" in result.output and "compliance" not in result.output
    result = runner.invoke(app, ["transcript", "c1", "--as", "sara"])
    assert result.exit_code == 3 and "may not read" in result.output
    result = runner.invoke(app, ["transcript", "c1", "--as", "ingrid", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)[0]["word"] == "hello"
    out = tmp_path / "c1.wav"
    result = runner.invoke(app, ["audio", "c1", "--as", "ingrid", "--out", str(out)])
    assert result.exit_code == 0 and out.read_bytes() == b"RIFF-agent-c1"
    # The environment names no one: the OS account does.
    monkeypatch.setenv("LYDSPOR_USER", "mallory")
    result = runner.invoke(app, ["whoami"])
    assert result.exit_code == 0 and result.output.startswith("boss: owner"), result.output
    # The audit head was anchored (in the heads file beside the key) after the reads.
    con = connect(access_catalog, read_only=True)
    assert audit.anchored_head(con)["seq"] == audit.head(con)["seq"]
    assert audit.verify_anchored(con).ok
    con.close()


def test_csv_and_json_carry_list_columns(access_catalog, act_as):
    from lydspor.cli import app

    with connect(access_catalog) as con:
        con.execute(
            "create table main.fct_team_key_pains as select 'sales' as team, "
            "['price', 'delivery'] as pains"
        )
    act_as(POLICY, "ana")
    runner = CliRunner()
    sql = "select team, pains from fct_team_key_pains"
    as_csv = runner.invoke(app, ["query", "--format", "csv", sql])
    assert as_csv.exit_code == 0, as_csv.output
    assert as_csv.output.splitlines()[1] == 'sales,"[""price"", ""delivery""]"'
    as_json = runner.invoke(app, ["query", "--format", "json", sql])
    assert json.loads(as_json.output) == [{"team": "sales", "pains": ["price", "delivery"]}]


def _store_from_env():
    from assets.common.storage import LocalObjectStore

    return LocalObjectStore(Path(os.environ["LYDSPOR_STORE_ROOT"]), os.environ["LYDSPOR_BUCKET"])


def test_an_agent_gets_no_team_aggregates_and_sessions_spill_privately(access_catalog):
    with connect(access_catalog) as con:
        con.execute(
            "create table main.fct_team_key_pains as select * from (values ('sales', 'price'), "
            "('support', 'delivery')) v(team, pain)"
        )
    with open_session(access_catalog, POLICY.principal("ingrid"), POLICY) as s:
        assert "fct_team_key_pains" not in {t.name for t in s.tables}
        spill = s.sql("select current_setting('temp_directory')").fetchone()[0]
    with open_session(access_catalog, POLICY.principal("lead-s"), POLICY) as s:
        assert _rows(s, "select pain from fct_team_key_pains") == [("price",)]
    assert Path(spill).parent == Path(access_catalog.database).parent
    assert Path(spill).stat().st_mode & 0o777 == 0o700


def test_a_refusal_on_the_file_is_a_refusal_on_the_lake_and_audited_there(access_catalog, act_as):
    """The negative half of "the same on both warehouses": an agent's reads outside their
    scope are refused with the same exit code, and each refusal lands in the audit log of the
    warehouse in use (the lake's, on a lake), which still verifies."""
    from lydspor.cli import app

    act_as(POLICY, "ingrid")  # an agent of sales, not an owner
    runner = CliRunner()
    refusals = {
        "act for another user": ["query", "--as", "sara", "select 1"],
        "another team's transcript": ["transcript", "c3"],
        "another team's audio": ["audio", "c4", "--out", "/dev/null"],
        "a call's lineage": ["lineage", "c1"],
        "the compliance report": [
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-03",
            "--out",
            "/dev/null",
        ],
    }
    for what, argv in refusals.items():
        result = runner.invoke(app, argv)
        assert result.exit_code == 3, (what, result.output)
        assert "not audited" not in result.output, (what, result.output)
    # Inside their session another team's rows are absent, and an unscoped mart is no table.
    mine = runner.invoke(app, ["query", "--format", "json", "select * from fct_call_coaching"])
    assert [r["call_id"] for r in json.loads(mine.output)] == ["c1"], mine.output
    other = runner.invoke(app, ["query", "select * from fct_tracker_trends"])
    assert other.exit_code == 1 and "fct_tracker_trends" in other.output
    with connect(access_catalog, read_only=True) as con:
        entries = [(e.action, e.actor, e.call_id) for e in audit.entries(con)]
        assert audit.verify(con).ok
    assert entries.count(("access_denied", "ingrid", None)) == 3, entries
    assert ("read_denied", "ingrid", "c3") in entries and ("read_denied", "ingrid", "c4") in entries


def test_a_session_on_a_lake_in_s3_keeps_no_credentials(lydspor_state, postgres, monkeypatch):
    """The lake's Parquet is read with the object store's S3 keys: they leave with the lake."""
    monkeypatch.setenv("LYDSPOR_S3_ENDPOINT", "127.0.0.1:9")  # never reached: no tables
    monkeypatch.setenv("LYDSPOR_S3_ACCESS_KEY", "AKIA-SESSION-TEST")
    monkeypatch.setenv("LYDSPOR_S3_SECRET_KEY", "not-for-the-session")
    lake = use_ducklake(monkeypatch, postgres, "s3://lake-of-its-own/warehouse/")
    assert lake.data_on_s3
    with pytest.raises(FileNotFoundError, match="no lake"):  # nothing has run: nothing made
        open_session(lake, POLICY.principal("boss"), POLICY)
    connect(lake).close()
    with open_session(lake, POLICY.principal("boss"), POLICY) as s:
        assert s.sql("select count(*) from duckdb_secrets()").fetchone() == (0,)
        assert {d for (d,) in s.sql("select database_name from duckdb_databases()").fetchall()} == {
            "memory",
            "system",
            "temp",
        }
