"""Rendering a call as a dialer's export: the inverse of each adapter, checked by round trip."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from assets.common.settings import CALL_TIMEZONE
from assets.recordings.dialers import parse_metadata
from assets.recordings.dialers.registry import RENDERERS, export_call, export_name
from assets.recordings.metadata import (
    CallMetadata,
    ConsentEvent,
    ConsentMechanism,
    Direction,
    RecordingMode,
)
from tests.support.dialers import OUTBOUND_TENANT, TENANT

START = datetime(2026, 11, 2, 9, 30, 5, tzinfo=CALL_TIMEZONE)


def call(dialer: str, **changes) -> CallMetadata:
    """A call every dialer can carry under TENANT (Adversus: outbound, no NPS)."""
    record = {
        "call_id": "call-20261102-007",
        "dialer": dialer,
        "direction": Direction.OUTBOUND,
        "started_at": START,
        "ended_at": START + timedelta(seconds=95, milliseconds=412),
        "agent_id": "agent-lars",
        "team": TENANT.team,
        "campaign": "fiber-upgrade-q4",
        "customer_number": "+4791234567",
        "language": "nb",
        "recording_mode": RecordingMode.STEREO,
        "agent_channel": TENANT.agent_channel,
        "outcome": "sale",
        "lia_reference": "LIA-2026-01",
    }
    return CallMetadata.model_validate({**record, **changes})


def inbound_with_consent(dialer: str, given: bool) -> CallMetadata:
    consent = ConsentEvent(
        mechanism=ConsentMechanism.KEYPRESS,
        given=given,
        at=START - timedelta(seconds=9),
        prompt_version=TENANT.consent_prompt_version,
        purposes=list(TENANT.consent_purposes) if given else [],
        response="1" if given else "2",
    )
    return call(
        dialer,
        direction=Direction.INBOUND,
        campaign=None if dialer == "genesys" else "support-billing",
        lia_reference=None,
        consent=consent,
        outcome="resolved",
    )


@pytest.mark.parametrize("dialer", sorted(RENDERERS))
def test_every_dialer_renders_an_outbound_call_that_reads_back_the_same(dialer):
    original = call(dialer)
    data = export_call(dialer, original, OUTBOUND_TENANT)
    assert parse_metadata(export_name(dialer, original.call_id), data, OUTBOUND_TENANT) == original


@pytest.mark.parametrize("dialer", ["dialfire", "genesys", "leocall"])
@pytest.mark.parametrize("given", [True, False])
def test_keypress_consent_survives_the_round_trip(dialer, given):
    original = inbound_with_consent(dialer, given)
    back = parse_metadata(
        export_name(dialer, original.call_id), export_call(dialer, original, TENANT), TENANT
    )
    assert back.consent == original.consent and back == original


def test_a_field_the_export_cannot_carry_must_match_the_tenant_default():
    # Adversus exports no team: a call of another team than the tenant's cannot be its export.
    with pytest.raises(ValueError, match=r"adversus cannot export .*team 'support-bergen'"):
        export_call("adversus", call("adversus", team="support-bergen"), OUTBOUND_TENANT)
    with pytest.raises(ValueError, match="language 'en'"):
        export_call("genesys", call("genesys", language="en"), OUTBOUND_TENANT)


def test_what_an_export_has_no_field_for_is_refused():
    with pytest.raises(ValueError, match="neither consent nor NPS"):
        export_call("leaddesk", call("leaddesk", nps=9), TENANT)
    spoken = inbound_with_consent("leocall", True).model_copy(
        update={"consent": ConsentEvent(mechanism=ConsentMechanism.VERBAL, given=True)}
    )
    with pytest.raises(ValueError, match="logs consent as the key pressed"):
        export_call("leocall", spoken, TENANT)


def test_the_export_is_the_vendors_shape():
    genesys = json.loads(export_call("genesys", call("genesys", nps=8), TENANT))
    assert genesys["conversationId"] == "call-20261102-007"
    assert genesys["conversationStart"] == "2026-11-02T08:30:05Z"
    assert genesys["conversationEnd"] == "2026-11-02T08:31:40.412Z"
    agent = next(p for p in genesys["participants"] if p["purpose"] == "agent")
    assert agent["userId"] == "agent-lars"
    assert genesys["surveys"][0]["surveyPromoterScore"] == 8
    leaddesk = json.loads(export_call("leaddesk", call("leaddesk"), TENANT))
    assert leaddesk["talk_start"] == "2026-11-02 09:30:05"  # local wall-clock time
    assert leaddesk["talk_end"] == "2026-11-02 09:31:40.412"
