"""The action table: who may ask for what, and team scoping of one call's lineage or content."""

from __future__ import annotations

import pytest

from assets.access.authorise import ALLOWED, Action, authorise, may
from assets.access.policy import AccessDenied, Principal, Role

OWNER = Principal(user="o", role=Role.OWNER)
ADMIN = Principal(user="a", role=Role.ADMIN)
OFFICER = Principal(user="c", role=Role.COMPLIANCE)
LEAD = Principal(user="l", role=Role.TEAM_LEAD, teams=("sales-oslo",))
AGENT = Principal(user="g", role=Role.AGENT, teams=("sales-oslo",), agent_id="agent-g")


@pytest.mark.parametrize(
    ("principal", "action", "allowed"),
    [
        (OWNER, Action.ERASE, True),
        (OFFICER, Action.ERASE, True),
        (ADMIN, Action.ERASE, False),
        (LEAD, Action.ERASE, False),
        (OFFICER, Action.HOLD, True),
        (AGENT, Action.HOLD, False),
        (OFFICER, Action.REPORT, True),
        (LEAD, Action.REPORT, False),
        (OFFICER, Action.READ_CALL, False),
        (ADMIN, Action.AUDIT, True),
        (AGENT, Action.AUDIT, False),
        (OWNER, Action.ACT_FOR, True),
        (ADMIN, Action.ACT_FOR, False),
        (AGENT, Action.LINEAGE, False),
    ],
)
def test_roles_decide_the_action(principal, action, allowed):
    assert may(principal, action) is allowed


def test_a_team_lead_sees_only_their_teams_calls():
    assert may(LEAD, Action.LINEAGE, team="sales-oslo")
    assert not may(LEAD, Action.LINEAGE, team="support-bergen")
    assert may(OFFICER, Action.LINEAGE, team="support-bergen")
    with pytest.raises(AccessDenied, match="support-bergen"):
        authorise(LEAD, Action.READ_CALL, team="support-bergen")


def test_every_action_names_who_may_take_it():
    assert set(ALLOWED) == set(Action)
    assert all(ALLOWED[action] for action in Action)


def test_the_docs_table_is_the_action_table():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "access.md").read_text()
    header = "| action | owner | admin | compliance | team_lead | agent |"
    lines = text[text.index(header) :].splitlines()
    roles = [Role(c.strip()) for c in lines[0].strip("|").split("|")[1:]]
    documented = {}
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        documented[Action(cells[0].strip("`"))] = frozenset(
            role for role, cell in zip(roles, cells[1:], strict=True) if cell == "yes"
        )
    assert documented == ALLOWED
