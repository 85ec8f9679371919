"""What each role may do: one table of actions, checked by the CLI, the web app and notebooks.

Reads of marts, transcripts and audio are scoped further by ``session`` and ``reads`` (rows of
other teams never reach the session); this table decides whether a principal may ask at all.
"""

from __future__ import annotations

from enum import StrEnum

from assets.access.policy import AccessDenied, Principal, Role


class Action(StrEnum):
    READ_MARTS = "read_marts"
    READ_CALL = "read_call"  # one call's transcript or audio
    LINEAGE = "lineage"  # one call's basis, objects, receipts and reads
    REPORT = "report"  # the period compliance report
    ERASE = "erase"  # decide an erasure request
    HOLD = "hold"  # place, release or list legal holds
    AUDIT = "audit"  # verify the audit chain, read the audit log
    ACT_FOR = "act_for"  # act as another user (always audited)
    MANAGE_ACCOUNTS = "manage_accounts"  # create or disable sign-in accounts
    OPERATE = "operate"  # run the pipeline, the sweep, the demo


_ALL = frozenset(Role)
_TEAM_ROLES = frozenset({Role.TEAM_LEAD, Role.AGENT})
_OVERSIGHT = frozenset({Role.OWNER, Role.ADMIN, Role.COMPLIANCE})

#: Who may ask for each action. Team-scoped roles are further limited to their teams' calls
#: when the action names a team (``TEAM_SCOPED``).
ALLOWED: dict[Action, frozenset[Role]] = {
    Action.READ_MARTS: _ALL,
    Action.READ_CALL: frozenset({Role.OWNER, Role.ADMIN, Role.TEAM_LEAD, Role.AGENT}),
    Action.LINEAGE: _OVERSIGHT | {Role.TEAM_LEAD},
    Action.REPORT: _OVERSIGHT,
    Action.ERASE: frozenset({Role.OWNER, Role.COMPLIANCE}),
    Action.HOLD: frozenset({Role.OWNER, Role.COMPLIANCE}),
    Action.AUDIT: _OVERSIGHT,
    Action.ACT_FOR: frozenset({Role.OWNER}),
    Action.MANAGE_ACCOUNTS: frozenset({Role.OWNER, Role.ADMIN}),
    Action.OPERATE: frozenset({Role.OWNER, Role.ADMIN}),
}
#: Actions on one call where a team lead or agent is limited to their own teams.
TEAM_SCOPED = frozenset({Action.READ_CALL, Action.LINEAGE})


def may(principal: Principal, action: Action, team: str | None = None) -> bool:
    """True when ``principal`` may take ``action`` (on a call of ``team``, where one is named)."""
    if principal.role not in ALLOWED[action]:
        return False
    if team is not None and action in TEAM_SCOPED and principal.role in _TEAM_ROLES:
        return team in principal.teams
    return True


def authorise(principal: Principal, action: Action, team: str | None = None) -> None:
    """Raise ``AccessDenied`` unless ``principal`` may take ``action`` (see ``may``)."""
    if not may(principal, action, team):
        where = f" on team {team!r}" if team is not None else ""
        raise AccessDenied(f"{principal.role} {principal.user!r} may not {action}{where}")
