"""Who is asking: the operating-system account that runs lydspor, mapped to one principal.

On a server the CLI and the notebooks are whoever the kernel says runs them: the effective
user id's account name (``pwd``), never ``$USER``, ``$LOGNAME`` or ``getpass``, which anyone can
set. The access policy maps accounts to users (``os_accounts``); an account mapped to no user,
or the policy naming it twice, is refused. An owner may act for another user with an explicit
request (``--as USER`` on the CLI, ``LYDSPOR_ACT_AS`` for a notebook kernel): honoured only when
the account's own principal may ``Action.ACT_FOR``, and recorded as "<owner> acting as <user>".
Every refusal is written to the audit log where the catalogue can take it.

The access policy comes only from ``LYDSPOR_ACCESS_POLICY`` (the embedded defaults point it at
``access.yaml`` in the state directory). On first use that file is written from the shipped
template with the account running lydspor added to the owner, so whoever set lydspor up is the
owner without editing YAML; any other path that is missing is an error, never a fresh policy.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from assets.access.authorise import Action, authorise
from assets.access.catalogue import open_catalogue
from assets.access.policy import (
    AccessDenied,
    AccessPolicy,
    AccessPolicyError,
    Principal,
    Role,
    load_access_policy,
)
from assets.common.lake import WarehouseError, warehouse_from_environment
from assets.common.secrets import SecretKeyError
from assets.common.settings import ACCESS_POLICY_NAME, SHIPPED_ACCESS_POLICY
from assets.retention import audit

ACCESS_POLICY_VARIABLE = "LYDSPOR_ACCESS_POLICY"
#: A notebook kernel's act-for request (what ``lydspor notebooks --as`` sets for it).
ACT_AS_VARIABLE = "LYDSPOR_ACT_AS"
CATALOGUE_VARIABLE = "LYDSPOR_DUCKDB_PATH"


class Refused(AccessDenied):
    """A refusal, and whether it reached the audit log (``audit_note`` says)."""

    def __init__(self, message: str, audit_note: str) -> None:
        super().__init__(message)
        self.audit_note = audit_note


def os_account() -> str:
    """The account name of the effective user id: what the kernel says runs this process."""
    return pwd.getpwuid(os.geteuid()).pw_name


@dataclass(frozen=True)
class Identity:
    """``authenticated`` is who the OS account is; ``principal`` whose scope applies (the same
    unless an owner acts for someone)."""

    account: str
    authenticated: Principal
    principal: Principal

    @property
    def acting_for(self) -> bool:
        return self.principal.user != self.authenticated.user

    @property
    def actor(self) -> str:
        """The name the audit log records."""
        if self.acting_for:
            return f"{self.authenticated.user} acting as {self.principal.user}"
        return self.authenticated.user


def identify(
    policy: AccessPolicy, act_as: str | None = None, account: str | None = None
) -> Identity:
    """The identity of ``account`` (default: this process's OS account), acting for ``act_as``
    when asked; ``AccessDenied`` when the account is unmapped or may not act for others."""
    account = account or os_account()
    authenticated = policy.principal_for_account(account)
    if not act_as or act_as == authenticated.user:
        return Identity(account, authenticated, authenticated)
    authorise(authenticated, Action.ACT_FOR)
    return Identity(account, authenticated, policy.principal(act_as))


def policy_path() -> Path:
    configured = os.environ.get(ACCESS_POLICY_VARIABLE, "")
    if not configured:
        raise AccessPolicyError(f"{ACCESS_POLICY_VARIABLE} is not set")
    return Path(configured)


def is_embedded_policy(path: Path) -> bool:
    """True for the state directory's own effective policy (the only one written on demand)."""
    catalogue = os.environ.get(CATALOGUE_VARIABLE, "")
    return (
        bool(catalogue)
        and path.name == ACCESS_POLICY_NAME
        and path.resolve().parent == Path(catalogue).resolve().parent
    )


def write_effective_policy(
    path: Path, account: str, template: Path = SHIPPED_ACCESS_POLICY
) -> bool:
    """Write ``path`` from ``template`` with ``account`` added to the first owner (0600, never
    over an existing file); False when it already existed."""
    data = yaml.safe_load(template.read_text()) or {}
    owner = next((p for p in data.get("principals", []) if p.get("role") == str(Role.OWNER)), None)
    if owner is None:
        raise AccessPolicyError(f"the template {template} names no owner")
    owner["os_accounts"] = sorted({*owner.get("os_accounts", []), account})
    AccessPolicy.model_validate(data)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    header = (
        f"# The effective access policy, written from {template.name} on first use with the OS\n"
        f"# account {account!r} as the owner. Edit it to map people's accounts (os_accounts).\n"
    )
    with os.fdopen(fd, "w") as handle:
        handle.write(header + yaml.safe_dump(data, sort_keys=False))
    return True


def ensure_embedded_policy() -> Path:
    """The configured policy's path, written first (this OS account as owner) when it is the
    embedded default's and missing: what the first ``lydspor demo`` or ``run`` does."""
    path = policy_path()
    if not path.exists() and is_embedded_policy(path):
        write_effective_policy(path, os_account())
    return path


def configured_policy() -> AccessPolicy:
    """The access policy ``LYDSPOR_ACCESS_POLICY`` names (see ``ensure_embedded_policy``)."""
    return load_access_policy(ensure_embedded_policy())


def record(action: str, actor: str, details: dict, call_id: str | None = None, store=None) -> None:
    """Append one entry to the catalogue's audit log and anchor it (raises when it cannot)."""
    with open_catalogue(warehouse_from_environment()) as con:
        audit.append(con, action, actor=actor, call_id=call_id, details=details)
        audit.anchor(con, store)


def refuse(exc: AccessDenied, actor: str, details: dict, store=None) -> Refused:
    """The refusal of ``exc``, written to the audit log where possible."""
    try:
        record("access_denied", actor, {**details, "refused": str(exc)}, store=store)
        note = "refusal audited"
    except (OSError, duckdb.Error, SecretKeyError, WarehouseError) as failure:
        note = f"refusal not audited: {failure}"
    return Refused(str(exc), note)


def establish(
    act_as: str | None, command: str, policy: AccessPolicy | None = None, store=None
) -> tuple[AccessPolicy, Identity]:
    """The policy and the identity running ``command``; ``Refused`` (audited) when unknown or
    when the act-for request is not allowed."""
    policy = policy or configured_policy()
    account = os_account()
    try:
        return policy, identify(policy, act_as, account)
    except AccessDenied as exc:
        try:
            actor = policy.principal_for_account(account).user
        except AccessDenied:
            actor = f"os:{account}"
        details = {"command": command, "os_account": account, "act_as": act_as}
        raise refuse(exc, actor, details, store) from exc


def require(
    identity: Identity, action: Action, command: str, team: str | None = None, store=None
) -> None:
    """``authorise`` for the principal in effect; ``Refused`` (audited) when not allowed."""
    try:
        authorise(identity.principal, action, team)
    except AccessDenied as exc:
        details = {"command": command, "action": str(action), "team": team}
        raise refuse(exc, identity.actor, details, store) from exc


def record_act_for(identity: Identity, command: str, store=None) -> None:
    """Audit an owner acting for another user where no other entry names it (a session)."""
    if identity.acting_for:
        details = {"command": command, "os_account": identity.account}
        record("act_for", identity.actor, details, store=store)
