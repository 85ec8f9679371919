"""Local accounts: argon2id hashes in a 0600 file outside the catalogue, created by
`lydspor accounts add` for users of the access policy only; the demo's sign-in."""

from __future__ import annotations

import dataclasses
import sqlite3
import stat

import pytest
from typer.testing import CliRunner

from lydspor.cli import app
from lydspor.web.accounts import AccountError, Accounts
from lydspor.web.demo_account import demo_sign_in
from tests.support.identity import write_policy
from tests.web.conftest import POLICY


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_accounts_hold_salted_argon2id_hashes_in_a_private_file(tmp_path):
    accounts = Accounts(tmp_path / "web" / "accounts.sqlite")
    accounts.add("owner", "a long enough password")
    accounts.add("dpo", "a long enough password")
    assert _mode(accounts.path) == 0o600 and _mode(accounts.path.parent) == 0o700
    with sqlite3.connect(accounts.path) as con:
        hashes = dict(con.execute("select user, hash from accounts").fetchall())
    assert all(h.startswith("$argon2id$") for h in hashes.values())
    assert hashes["owner"] != hashes["dpo"]  # salted: the same password, two hashes
    assert "a long enough password" not in accounts.path.read_bytes().decode("latin-1")
    assert accounts.verify("owner", "a long enough password")
    assert not accounts.verify("owner", "a long enough passwore")
    assert not accounts.verify("nobody", "a long enough password")
    with pytest.raises(AccountError, match="at least"):
        accounts.add("x", "short")
    with pytest.raises(AccountError, match="already has an account"):
        accounts.add("owner", "another long password")
    sid = accounts.start_session("owner", "password", hours=1)
    assert accounts.session_user(sid) == "owner"
    assert accounts.disable("owner") and not accounts.verify("owner", "a long enough password")
    assert accounts.session_user(sid) is None  # disabling ends the sessions
    expired = accounts.start_session("dpo", "password", hours=-1)
    assert accounts.session_user(expired) is None


def test_cli_adds_accounts_for_policy_users_only(web_state, monkeypatch, tmp_path):
    monkeypatch.setenv("LYDSPOR_WEB_ACCOUNTS", str(tmp_path / "accounts.sqlite"))
    # The OS account running the command must be a user who may manage accounts.
    policy = write_policy(tmp_path / "access.json", POLICY, "owner")
    monkeypatch.setenv("LYDSPOR_ACCESS_POLICY", str(policy))
    runner = CliRunner()
    added = runner.invoke(app, ["accounts", "add", "dpo", "--password-stdin"],
                          input="a long enough password\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert Accounts(tmp_path / "accounts.sqlite").verify("dpo", "a long enough password")
    stranger = runner.invoke(app, ["accounts", "add", "mallory", "--password-stdin"],
                             input="a long enough password\n")  # fmt: skip
    assert stranger.exit_code == 2 and "not in the access policy" in stranger.output
    monkeypatch.setenv(
        "LYDSPOR_ACCESS_POLICY", str(write_policy(tmp_path / "dpo.json", POLICY, "dpo"))
    )
    refused = runner.invoke(app, ["accounts", "add", "lead-sales", "--password-stdin"],
                            input="a long enough password\n")  # fmt: skip
    assert refused.exit_code == 3, refused.output  # compliance may not manage accounts
    assert [u for u, _ in Accounts(tmp_path / "accounts.sqlite").users()] == ["dpo"]


def test_demo_sign_in_is_created_once_and_kept_private(web_state, tmp_path):
    settings = dataclasses.replace(web_state, accounts=tmp_path / "web" / "accounts.sqlite")
    user, password, kept = demo_sign_in(settings)
    assert user == "owner" and len(password) >= 20 and _mode(kept) == 0o600
    assert Accounts(settings.accounts).verify("owner", password)
    assert demo_sign_in(settings)[1] == password  # running the demo again keeps it
