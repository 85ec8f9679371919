"""Access policies for tests, with the OS account running the tests mapped to one user.

The CLI and notebooks run as whoever the OS account maps to (``assets.access.identity``); in CI
the tests run as root, on a developer's machine as them. The embedded default's effective
policy maps that account to the owner on its own (first use); a test with a policy of its own
maps the account to the user it wants to be with these helpers.
"""

from __future__ import annotations

import json
from pathlib import Path

from assets.access.identity import os_account
from assets.access.policy import AccessPolicy

#: The account the tests run as.
ACCOUNT = os_account()


def mapped(policy: AccessPolicy | dict, user: str, account: str = ACCOUNT) -> dict:
    """``policy`` as data, with ``account`` mapped to ``user`` (and to nobody else)."""
    data = policy.model_dump(mode="json") if isinstance(policy, AccessPolicy) else dict(policy)
    principals = []
    for principal in data["principals"]:
        accounts = [a for a in principal.get("os_accounts", []) if a != account]
        if principal["user"] == user:
            accounts.append(account)
        principals.append({**principal, "os_accounts": accounts})
    if user not in {p["user"] for p in principals}:
        raise ValueError(f"no user {user!r} in the policy")
    return {**data, "principals": principals}


def write_policy(path: Path, policy: AccessPolicy | dict, user: str | None) -> Path:
    """Write ``policy`` to ``path`` with the running account mapped to ``user`` (None: to no
    one) and return the path."""
    data = mapped(policy, user) if user else _unmapped(policy)
    path.write_text(json.dumps(data))
    return path


def _unmapped(policy: AccessPolicy | dict) -> dict:
    data = policy.model_dump(mode="json") if isinstance(policy, AccessPolicy) else dict(policy)
    principals = [
        {**p, "os_accounts": [a for a in p.get("os_accounts", []) if a != ACCOUNT]}
        for p in data["principals"]
    ]
    return {**data, "principals": principals}
