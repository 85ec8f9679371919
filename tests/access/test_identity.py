"""Who is asking: the OS account, mapped by the access policy; act-for only by an owner and
audited; the policy only from configuration; every command checks the role; private files."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from assets.access import connect
from assets.access.identity import Refused, identify, os_account, write_effective_policy
from assets.access.policy import AccessDenied, AccessPolicy, load_access_policy
from assets.common.settings import SHIPPED_ACCESS_POLICY, apply_embedded_defaults
from assets.retention import audit
from assets.retention.tables import ensure_compliance_tables
from lydspor.cli import app
from tests.support.calls import DAY
from tests.support.identity import ACCOUNT, mapped

POLICY = AccessPolicy.model_validate(
    {
        "principals": [
            {"user": "boss", "role": "owner"},
            {"user": "ana", "role": "admin"},
            {"user": "dpo", "role": "compliance"},
            {"user": "lead-s", "role": "team_lead", "teams": ["sales"]},
            {"user": "ingrid", "role": "agent", "agent_id": "a-ingrid", "teams": ["sales"]},
        ],
    }
)
CALLS = [("c1", "sales", "a-ingrid"), ("c3", "support", "a-sara")]


@pytest.fixture
def calls(catalog):
    """A catalogue with a sales and a support call, transcribed."""
    ensure_compliance_tables(catalog)
    for call_id, team, agent in CALLS:
        catalog.execute(
            "insert into raw.recordings (call_id, call_date, agent_id, team) values (?, ?, ?, ?)",
            [call_id, DAY, agent, team],
        )
    catalog.execute(
        "create or replace table raw.transcript_words as select call_id, 'agent' as track, "
        "0 as word_index, 'hello' as word, 0.0 as start_s, 0.4 as end_s from raw.recordings"
    )
    catalog.close()
    return os.environ["LYDSPOR_DUCKDB_PATH"]


def _said(done) -> str:
    return " ".join(done.output.split())  # rich wraps long lines


def _entries(path: str, action: str) -> list[audit.AuditEntry]:
    with duckdb.connect(path, read_only=True) as con:
        return [e for e in audit.entries(con) if e.action == action]


def test_the_identity_is_the_os_account_not_the_environment(monkeypatch):
    for variable in ("USER", "LOGNAME", "LYDSPOR_USER", "USERNAME"):
        monkeypatch.setenv(variable, "boss")
    assert os_account() == pwd.getpwuid(os.geteuid()).pw_name
    policy = AccessPolicy.model_validate(mapped(POLICY, "lead-s"))
    who = identify(policy)
    assert (who.authenticated.user, who.principal.user, who.actor) == ("lead-s",) * 3
    with pytest.raises(AccessDenied, match="not mapped"):
        identify(POLICY)  # no one is this account
    shared = [
        {"user": "a", "role": "owner", "os_accounts": ["x"]},
        {"user": "b", "role": "admin", "os_accounts": ["x"]},
    ]
    with pytest.raises(ValueError, match="more than one user"):
        AccessPolicy.model_validate({"principals": shared})


def test_an_unmapped_account_is_refused_and_audited(calls, act_as, monkeypatch):
    act_as(POLICY, None)
    monkeypatch.setenv("LYDSPOR_USER", "boss")  # once enough to be the owner
    runner = CliRunner()
    for command in (["whoami"], ["query", "--tables"], ["transcript", "c1"], ["audit", "verify"]):
        done = runner.invoke(app, command)
        assert done.exit_code == 3, done.output
        assert "not mapped" in _said(done) and "refusal audited" in _said(done)
    refusals = _entries(calls, "access_denied")
    assert [e.details["command"] for e in refusals] == [
        "whoami",
        "query",
        "transcript",
        "audit verify",
    ]
    assert {e.actor for e in refusals} == {f"os:{ACCOUNT}"}


def test_a_non_owner_cannot_act_for_anyone(calls, act_as, monkeypatch):
    act_as(POLICY, "lead-s")
    runner = CliRunner()
    for command in (["query", "--as", "boss", "--tables"], ["transcript", "c3", "--as", "ana"]):
        done = runner.invoke(app, command)
        assert done.exit_code == 3 and "may not act_for" in _said(done), done.output
    # A notebook kernel's act-for request is the same request.
    monkeypatch.setenv("LYDSPOR_ACT_AS", "boss")
    with pytest.raises(Refused, match="may not act_for"):
        connect()
    refusals = _entries(calls, "access_denied")
    assert [(e.actor, e.details["act_as"]) for e in refusals] == [
        ("lead-s", "boss"),
        ("lead-s", "ana"),
        ("lead-s", "boss"),
    ]
    assert _entries(calls, "read") == [] and _entries(calls, "act_for") == []
    # Without the request the lead reads as themselves, within their team.
    monkeypatch.delenv("LYDSPOR_ACT_AS")
    with connect() as session:
        assert session.principal.user == "lead-s"


def test_an_owner_acting_for_someone_is_audited_as_such(calls, act_as, monkeypatch):
    act_as(POLICY, "boss")
    runner = CliRunner()
    done = runner.invoke(app, ["transcript", "c1", "--as", "lead-s"])
    assert done.exit_code == 0, done.output
    done = runner.invoke(app, ["transcript", "c3", "--as", "lead-s"])
    assert done.exit_code == 3  # the scope is the acted-for user's
    done = runner.invoke(app, ["query", "--as", "ingrid", "--tables"])
    assert done.exit_code == 0 and "readable by ingrid" in _said(done), done.output
    monkeypatch.setenv("LYDSPOR_ACT_AS", "ana")
    with connect() as session:
        assert session.principal.user == "ana"
    with duckdb.connect(calls, read_only=True) as con:
        logged = [(e.action, e.actor, e.call_id) for e in audit.entries(con)]
        assert audit.verify_anchored(con).ok
    assert logged == [
        ("read", "boss acting as lead-s", "c1"),
        ("read_denied", "boss acting as lead-s", "c3"),
        ("act_for", "boss acting as ingrid", None),
        ("act_for", "boss acting as ana", None),
    ]
    done = runner.invoke(app, ["whoami", "--as", "ingrid"])
    assert "boss: owner" in _said(done) and "acting as ingrid: agent" in _said(done)


def _clear_configuration(monkeypatch) -> None:
    for variable in list(os.environ):
        if variable.startswith("LYDSPOR_") or variable == "DAGSTER_HOME":
            monkeypatch.delenv(variable)


def test_a_policy_in_the_working_directory_is_ignored(tmp_path, monkeypatch):
    planted = mapped(
        {"principals": [{"user": "mallory", "role": "owner"}, {"user": "x", "role": "admin"}]},
        "mallory",
    )
    cwd = tmp_path / "cwd"
    (cwd / "data" / "policies").mkdir(parents=True)
    for path in (cwd / "access.yaml", cwd / "data" / "policies" / "access.yaml"):
        path.write_text(str(planted))  # a dict's repr is YAML enough
        assert load_access_policy(path).principal_for_account(ACCOUNT).user == "mallory"
    monkeypatch.chdir(cwd)
    _clear_configuration(monkeypatch)
    done = CliRunner().invoke(app, ["whoami"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("owner: owner"), done.output  # the shipped owner, not mallory
    effective = Path(os.environ["LYDSPOR_ACCESS_POLICY"])
    assert effective == (cwd / "data" / "state" / "access.yaml").resolve()


def test_the_first_run_makes_its_account_the_owner_once(lydspor_state, tmp_path, act_as):
    runner = CliRunner()
    done = runner.invoke(app, ["whoami"])
    assert done.exit_code == 0 and done.output.startswith("owner: owner"), done.output
    effective = lydspor_state / "access.yaml"
    assert stat.S_IMODE(effective.stat().st_mode) == 0o600
    owner = load_access_policy(effective).principal_for_account(ACCOUNT)
    assert owner.user == "owner"
    assert not write_effective_policy(effective, "someone-else")  # never over an existing one
    assert "someone-else" not in effective.read_text()
    # A configured policy that is missing is an error, never a fresh policy.
    missing = tmp_path / "elsewhere" / "access.yaml"
    os.environ["LYDSPOR_ACCESS_POLICY"] = str(missing)
    done = runner.invoke(app, ["whoami"])
    assert done.exit_code == 2 and "does not exist" in _said(done) and not missing.exists()
    assert SHIPPED_ACCESS_POLICY.read_text().count("os_accounts") <= 2  # the template maps no one


DENIED_TO_A_TEAM_LEAD = [
    ["erase", "--call", "c1", "--decision", "refuse", "--reason", "r"],
    ["hold", "place", "--call", "c1", "--reason", "r"],
    ["hold", "list"],
    ["report", "--from", "2026-11-01", "--to", "2026-11-03", "--out", "r.html"],
    ["audit", "verify"],
    ["lineage", "c3"],  # another team's call
]


def _run_each(commands, *, as_user, expect, act_as):
    """Run each CLI command as ``as_user``; each must exit with ``expect``."""
    act_as(POLICY, as_user)
    runner = CliRunner()
    for command in commands:
        done = runner.invoke(app, command)
        assert done.exit_code == expect, (command, done.output)
    return runner


def test_a_team_lead_may_not_take_compliance_actions(calls, act_as, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = _run_each(DENIED_TO_A_TEAM_LEAD, as_user="lead-s", expect=3, act_as=act_as)
    assert not (tmp_path / "r.html").exists()
    done = runner.invoke(app, ["lineage", "c1", "--json"])  # their own team's call
    assert done.exit_code == 0, done.output
    refusals = _entries(calls, "access_denied")
    assert [e.details["command"] for e in refusals] == [
        "erase", "hold place", "hold list", "report", "audit verify", "lineage",
    ]  # fmt: skip
    assert refusals[-1].details["team"] == "support" and {e.actor for e in refusals} == {"lead-s"}
    with duckdb.connect(calls, read_only=True) as con:
        assert con.execute("select count(*) from raw.legal_holds").fetchone() == (0,)
        assert con.execute("select count(*) from raw.erasure_requests").fetchone() == (0,)


def test_a_compliance_officer_may_and_reads_no_call_content(calls, act_as, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = _run_each(DENIED_TO_A_TEAM_LEAD, as_user="dpo", expect=0, act_as=act_as)
    assert (tmp_path / "r.html").exists()
    done = runner.invoke(app, ["transcript", "c1"])
    assert done.exit_code == 3 and "may not read_call" in _said(done)
    done = runner.invoke(app, ["query", "--tables"])
    assert done.exit_code == 0 and "compliance.audit_log" in _said(done)
    with duckdb.connect(calls, read_only=True) as con:
        actors = {e.actor for e in audit.entries(con) if e.action != "access_denied"}
        assert actors == {"dpo"}
        assert audit.verify_anchored(con).ok


@pytest.fixture
def umask():
    """Restore the process umask that ``apply_embedded_defaults`` tightens."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_catalogue_and_secrets_are_private(lydspor_state, umask, calls):
    catalogue = Path(calls)
    catalogue.chmod(0o644)  # as an older lydspor left it
    lydspor_state.chmod(0o755)
    apply_embedded_defaults()
    assert _mode(lydspor_state) == 0o700 and _mode(catalogue) == 0o600
    fresh = lydspor_state / "fresh.duckdb"
    duckdb.connect(str(fresh)).close()  # created after startup: private by the umask
    assert _mode(fresh) == 0o600
    done = CliRunner().invoke(app, ["transcript", "c1"])  # writes the policy, key and heads
    assert done.exit_code == 0, done.output
    secrets = Path(os.environ["LYDSPOR_SECRET_KEY_FILE"])
    assert _mode(secrets.parent) == 0o700 and _mode(secrets) == 0o600
    assert _mode(secrets.parent / "audit-heads.jsonl") == 0o600
    assert _mode(lydspor_state / "access.yaml") == 0o600
