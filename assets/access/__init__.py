"""Who may read what: role-scoped sessions over the marts and audited reads of calls.

Access is not an asset domain; it is the one read path the CLI, notebooks and scripts share.
"""

from __future__ import annotations

import os

from assets.access.authorise import Action, authorise, may
from assets.access.identity import (
    ACT_AS_VARIABLE,
    Identity,
    Refused,
    establish,
    record_act_for,
    require,
)
from assets.access.policy import AccessDenied, AccessPolicy, Principal, Role, load_access_policy
from assets.access.session import Session, open_session
from assets.common.lake import warehouse_from_environment
from assets.common.settings import apply_embedded_defaults

__all__ = [
    "AccessDenied",
    "AccessPolicy",
    "Action",
    "Identity",
    "Principal",
    "Refused",
    "Role",
    "Session",
    "authorise",
    "connect",
    "load_access_policy",
    "may",
    "open_session",
]


def connect(act_as: str | None = None) -> Session:
    """A scoped session for whoever runs this process (its OS account, mapped by the access
    policy), or for ``act_as`` (default: $LYDSPOR_ACT_AS) when that account is an owner's; the
    act-for is audited. Catalogue and policy are the ones the environment names (the embedded
    defaults when unset), on either warehouse."""
    apply_embedded_defaults()
    policy, identity = establish(act_as or os.environ.get(ACT_AS_VARIABLE) or None, "connect")
    require(identity, Action.READ_MARTS, "connect")
    record_act_for(identity, "connect")
    return open_session(warehouse_from_environment(), identity.principal, policy)
