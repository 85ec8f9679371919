"""The demo's sign-in: an ``owner`` account with a generated password, kept in the state
directory (0600) so ``make demo`` can print it again, and ``make clean`` removes it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from lydspor.web.accounts import Accounts
from lydspor.web.settings import WebSettings

DEMO_USER = "owner"
URL = "http://127.0.0.1:8000/"


def demo_sign_in(settings: WebSettings | None = None) -> tuple[str, str, Path]:
    """(user, password, file): the demo account, created on first use, reused afterwards."""
    settings = settings or WebSettings.from_environment()
    accounts = Accounts(settings.accounts)
    kept = settings.accounts.parent / "demo-sign-in"
    if kept.exists():
        password = kept.read_text().strip()
        if accounts.verify(DEMO_USER, password):
            return DEMO_USER, password, kept
    password = secrets.token_urlsafe(18)
    accounts.add(DEMO_USER, password, replace=True)
    kept.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(kept, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(password + "\n")
    return DEMO_USER, password, kept
