from __future__ import annotations

import pytest

from assets.consent.basis import decide_track_bases
from assets.recordings.metadata import CallMetadata
from tests.support.calls import CONSENT, metadata


@pytest.fixture(autouse=True)
def _policy(policy):
    global POLICY
    POLICY = policy


def bases(**overrides):
    agent, customer = decide_track_bases(
        CallMetadata.model_validate(metadata("c1", **overrides)), POLICY
    )
    return agent, customer


def test_inbound_keypress_consent_is_the_customer_basis():
    agent, customer = bases(direction="inbound", consent=CONSENT)
    assert agent.legal_basis == "contract" and agent.purposes == POLICY.default_purposes
    assert customer.legal_basis == "consent" and customer.consent_valid
    assert customer.purposes == CONSENT["purposes"]
    assert customer.prompt_version == "ivr-v3"


@pytest.mark.parametrize(
    "change,problem",
    [
        ({"given": False}, "did not consent"),
        ({"mechanism": "none"}, "not an active act"),
        ({"service_conditional": True}, "not freely given"),
        ({"purposes": []}, "not specific"),
        ({"prompt_version": None}, "not informed"),
        ({"response": "timeout"}, "not unambiguous"),
        ({"response": "default"}, "not unambiguous"),
        ({"purposes": ["marketing"]}, "not in the tenant's policy"),
        ({"purposes": ["quality_assurance", "marketing"]}, "['marketing'] are not in"),
        ({"at": None}, "not demonstrable"),
        ({"at": "2026-11-02T10:05:00+01:00"}, "after the call ended"),
    ],
)
def test_invalid_consent_leaves_the_customer_without_basis(change, problem):
    _, customer = bases(direction="inbound", consent={**CONSENT, **change})
    assert customer.legal_basis == "none" and customer.consent_valid is False
    assert problem in customer.reason


def test_inbound_without_consent_event():
    _, customer = bases(direction="inbound")
    assert customer.legal_basis == "none"


def test_outbound_customer_voice_is_temporary_legitimate_interest():
    agent, customer = bases(direction="outbound")
    assert agent.legal_basis == "contract"
    assert customer.legal_basis == "legitimate_interest_temporary"
    assert customer.lia_reference == "LIA-2026-01"


@pytest.mark.parametrize(
    "reference,problem",
    [
        (None, "no LIA reference"),
        ("LIA-UNKNOWN", "'LIA-UNKNOWN' is not declared"),
        # Declared, but for quarantined files: no basis for holding a customer's voice.
        ("LIA-2026-02", "covers ['quarantine'], not customer_audio"),
    ],
)
def test_outbound_without_an_lia_covering_customer_audio_has_no_basis(reference, problem):
    _, customer = bases(direction="outbound", lia_reference=reference)
    assert customer.legal_basis == "none" and problem in customer.reason
    assert POLICY.window("customer_audio", customer.legal_basis) <= POLICY.window(
        "customer_audio", "legitimate_interest_temporary"
    )


def test_agent_only_recording_never_recorded_the_customer():
    _, customer = bases(direction="outbound", mode="agent_only")
    assert customer.legal_basis == "not_recorded"
