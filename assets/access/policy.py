"""Who may read what: roles, principals and the tenant's access policy file."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class AccessDenied(PermissionError):
    """A principal asked for data outside their scope (or is not known at all)."""


class AccessPolicyError(ValueError):
    """The access policy file is missing or invalid."""


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    TEAM_LEAD = "team_lead"
    AGENT = "agent"
    #: Compliance officers: lineage, reports, erasures, holds and the audit trail of every team;
    #: no call content (transcripts, audio) and no marts beyond the compliance tables.
    COMPLIANCE = "compliance"


class Principal(BaseModel):
    """One person who reads lydspor data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str = Field(min_length=1)
    role: Role
    teams: tuple[str, ...] = ()
    agent_id: str | None = None
    #: The operating-system accounts that are this person on the server: the CLI and the
    #: notebooks run as whoever the account that runs them maps to (``assets.access.identity``).
    os_accounts: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _scoped_roles_need_scope(self) -> Principal:
        if self.role in (Role.TEAM_LEAD, Role.AGENT) and not self.teams:
            raise ValueError(f"{self.role} {self.user!r} needs at least one team")
        if self.role is Role.AGENT and not self.agent_id:
            raise ValueError(f"agent {self.user!r} needs agent_id")
        return self

    @property
    def sees_all_teams(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)


class AccessPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    principals: list[Principal]
    #: Marts an agent may read for their whole team rather than only their own calls.
    agent_team_marts: list[str] = Field(default_factory=list)
    #: Tables without team, agent or call columns (reference data, company-wide aggregates)
    #: that team leads and agents may read. Anything else unscoped is left out of their sessions.
    shared_marts: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_users(self) -> AccessPolicy:
        users = [p.user for p in self.principals]
        duplicates = sorted({u for u in users if users.count(u) > 1})
        if duplicates:
            raise ValueError(f"users listed twice: {', '.join(duplicates)}")
        accounts = [a for p in self.principals for a in p.os_accounts]
        shared = sorted({a for a in accounts if accounts.count(a) > 1})
        if shared:
            raise ValueError(f"OS accounts mapped to more than one user: {', '.join(shared)}")
        return self

    def principal_for_account(self, account: str) -> Principal:
        """The one principal whose ``os_accounts`` holds ``account``."""
        for principal in self.principals:
            if account in principal.os_accounts:
                return principal
        raise AccessDenied(
            f"the OS account {account!r} is not mapped to a user of the access policy"
        )

    def principal(self, user: str) -> Principal:
        for principal in self.principals:
            if principal.user == user:
                return principal
        raise AccessDenied(f"user {user!r} is not in the access policy")


def load_access_policy(path: str | Path) -> AccessPolicy:
    path = Path(path)
    if not path.exists():
        raise AccessPolicyError(f"access policy {path} does not exist")
    try:
        return AccessPolicy.model_validate(yaml.safe_load(path.read_text()) or {})
    except (ValidationError, yaml.YAMLError) as exc:
        raise AccessPolicyError(f"access policy {path} is invalid: {exc}") from exc
