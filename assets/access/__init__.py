"""Who may read what: role-scoped sessions over the marts and audited reads of calls.

Access is not an asset domain; it is the one read path the CLI, notebooks and scripts share.
"""

from __future__ import annotations

import getpass
import os

from assets.access.authorise import Action, authorise, may
from assets.access.policy import AccessDenied, AccessPolicy, Principal, Role, load_access_policy
from assets.access.session import Session, open_session
from assets.common.settings import apply_embedded_defaults

__all__ = [
    "AccessDenied",
    "AccessPolicy",
    "Action",
    "Principal",
    "Role",
    "Session",
    "authorise",
    "connect",
    "load_access_policy",
    "may",
    "open_session",
]


def connect(user: str | None = None) -> Session:
    """A scoped session for ``user`` (default: $LYDSPOR_USER, else the login) on the catalogue
    and access policy the environment names (the embedded defaults when unset)."""
    apply_embedded_defaults()
    policy = load_access_policy(os.environ["LYDSPOR_ACCESS_POLICY"])
    principal = policy.principal(user or os.environ.get("LYDSPOR_USER") or getpass.getuser())
    return open_session(os.environ["LYDSPOR_DUCKDB_PATH"], principal, policy)
