"""Local sign-in accounts and sign-in sessions, in a small SQLite file outside the catalogue.

The web app never takes the DuckDB writer lock to sign someone in: accounts live in their own
file (mode 0600, directory 0700). An account holds only a user name and an argon2id hash
(argon2-cffi's ``PasswordHasher``, its RFC 9106 low-memory profile: salted, 64 MiB, 3 passes);
the user's role and teams come from the access policy at every request, never from here.

A sign-in session is a random id (``secrets.token_urlsafe(32)``) held in the signed session
cookie and recorded here with its expiry, so signing out ends it on the server too: a copied
cookie is worthless after sign-out or expiry.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
#: Verified against when the user has no account, so a wrong user name costs as long as a wrong
#: password and the timing does not tell which accounts exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
#: The shortest password ``add`` accepts, in characters.
MIN_PASSWORD = 12

SCHEMA = """
create table if not exists accounts (
    user text primary key,
    hash text not null,
    created_at text not null,
    disabled integer not null default 0
);
create table if not exists sessions (
    sid text primary key,
    user text not null,
    via text not null,
    created_at text not null,
    expires_at text not null
);
"""


class AccountError(ValueError):
    """The account could not be created or changed; the message says why."""


class Accounts:
    def __init__(self, path: Path):
        self.path = Path(path)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Created 0600 before SQLite writes a byte of it.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        con = sqlite3.connect(self.path, timeout=5)
        try:
            con.executescript(SCHEMA)
            with con:
                yield con
        finally:
            con.close()

    def add(self, user: str, password: str, *, replace: bool = False) -> None:
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
        with self._db() as con:
            exists = con.execute("select 1 from accounts where user = ?", [user]).fetchone()
            if exists and not replace:
                raise AccountError(f"{user!r} already has an account (--replace sets a new one)")
            con.execute(
                "insert or replace into accounts values (?, ?, ?, 0)",
                [user, _hasher.hash(password), datetime.now(UTC).isoformat()],
            )
            con.execute("delete from sessions where user = ?", [user])

    def disable(self, user: str) -> bool:
        with self._db() as con:
            changed = con.execute("update accounts set disabled = 1 where user = ?", [user])
            con.execute("delete from sessions where user = ?", [user])
            return changed.rowcount > 0

    def users(self) -> list[tuple[str, bool]]:
        with self._db() as con:
            rows = con.execute("select user, disabled from accounts order by user").fetchall()
        return [(user, bool(disabled)) for user, disabled in rows]

    def verify(self, user: str, password: str) -> bool:
        """True when ``user`` has an enabled account and ``password`` is its password."""
        with self._db() as con:
            row = con.execute(
                "select hash from accounts where user = ? and disabled = 0", [user]
            ).fetchone()
        try:
            _hasher.verify(row[0] if row else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        if row is None:
            return False
        if _hasher.check_needs_rehash(row[0]):
            with self._db() as con:
                con.execute(
                    "update accounts set hash = ? where user = ?", [_hasher.hash(password), user]
                )
        return True

    def start_session(self, user: str, via: str, hours: float) -> str:
        sid = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self._db() as con:
            con.execute("delete from sessions where expires_at < ?", [now.isoformat()])
            con.execute(
                "insert into sessions values (?, ?, ?, ?, ?)",
                [sid, user, via, now.isoformat(), (now + timedelta(hours=hours)).isoformat()],
            )
        return sid

    def session_user(self, sid: str) -> str | None:
        """The user of a live session, or None (unknown, ended or expired)."""
        with self._db() as con:
            row = con.execute(
                "select user from sessions where sid = ? and expires_at > ?",
                [sid, datetime.now(UTC).isoformat()],
            ).fetchone()
        return row[0] if row else None

    def end_session(self, sid: str) -> None:
        with self._db() as con:
            con.execute("delete from sessions where sid = ?", [sid])
