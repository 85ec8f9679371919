"""Legal basis per call and track, decided from the dialer's metadata.

The rules follow the compliance model in PRODUCT.md: an inbound caller's active, informed,
freely given consent is the basis for keeping the customer's voice; on outbound calls the agent's
track rests on the employment contract and the customer's voice may be held only briefly, under a
documented legitimate-interest assessment, while the agent's part is extracted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl

from assets.common.warehouse import CALL_KEY
from assets.recordings.metadata import CallMetadata, ConsentMechanism, Direction, RecordingMode
from assets.retention.ledger import CUSTOMER_AUDIO
from assets.retention.policy import RetentionPolicy

CONTRACT = "contract"
CONSENT = "consent"
LEGITIMATE_INTEREST_TEMPORARY = "legitimate_interest_temporary"
NO_BASIS = "none"
NOT_RECORDED = "not_recorded"
#: The one use of a customer voice held without a basis to keep it: isolating the agent, then
#: deletion within the processing window.
EXTRACTION_ONLY = "agent_extraction"

_ACTIVE_MECHANISMS = {ConsentMechanism.KEYPRESS, ConsentMechanism.VERBAL, ConsentMechanism.WEB_FORM}
#: Responses that are not an act by the caller: consent must never be inferred from them.
_PASSIVE_RESPONSES = {"timeout", "silence", "default", "no_input", "none", ""}


@dataclass(frozen=True)
class TrackBasis:
    call_id: str
    track: str  # "agent" | "customer"
    legal_basis: str
    purposes: list[str]
    consent_valid: bool | None
    reason: str
    consent_mechanism: str | None = None
    consent_at: datetime | None = None
    prompt_version: str | None = None
    lia_reference: str | None = None
    evidence: dict[str, str] = field(default_factory=dict)


CONSENT_LINEAGE_SCHEMA = pl.Schema(
    {
        **CALL_KEY,
        "track": pl.String,
        "legal_basis": pl.String,
        "purposes": pl.List(pl.String),
        "consent_valid": pl.Boolean,
        "reason": pl.String,
        "consent_mechanism": pl.String,
        "consent_at": pl.Datetime("us", "UTC"),
        "prompt_version": pl.String,
        "lia_reference": pl.String,
    }
)


def consent_problems(call: CallMetadata, declared_purposes: set[str]) -> list[str]:
    """Why the call's consent is not valid (freely given, unambiguous, informed, specific,
    demonstrable, for purposes the tenant declares); empty when it is."""
    consent = call.consent
    if consent is None:
        return ["no consent event in the metadata"]
    problems = []
    if consent.at is None:
        # Art. 7(1): the controller must be able to show when consent was given.
        problems.append("not demonstrable: no time of consent was recorded")
    elif consent.at.astimezone(UTC) > call.ended_at.astimezone(UTC):
        problems.append("not prior: the consent time is after the call ended")
    if consent.mechanism not in _ACTIVE_MECHANISMS:
        problems.append(f"mechanism {consent.mechanism.value!r} is not an active act")
    if not consent.given:
        problems.append("the caller did not consent")
    if consent.response is not None and consent.response.strip().lower() in _PASSIVE_RESPONSES:
        problems.append(f"not unambiguous: response {consent.response!r} is not an active act")
    if consent.service_conditional:
        problems.append("not freely given: the service depended on consenting")
    if not consent.purposes:
        problems.append("not specific: no purposes were named")
    elif set(consent.purposes) - declared_purposes:
        unknown = sorted(set(consent.purposes) - declared_purposes)
        problems.append(f"not specific: purposes {unknown} are not in the tenant's policy")
    if not consent.prompt_version:
        problems.append("not informed: the prompt version is unknown")
    return problems


def decide_track_bases(call: CallMetadata, policy: RetentionPolicy) -> list[TrackBasis]:
    """The agent's and the customer's track bases for one call."""
    agent = TrackBasis(
        call_id=call.call_id,
        track="agent",
        legal_basis=CONTRACT,
        purposes=list(policy.default_purposes),
        consent_valid=None,
        reason="the agent's employment contract",
    )
    return [agent, _customer_basis(call, policy)]


def _customer_basis(call: CallMetadata, policy: RetentionPolicy) -> TrackBasis:
    common = {"call_id": call.call_id, "track": "customer"}
    if call.recording_mode is RecordingMode.AGENT_ONLY:
        return TrackBasis(
            **common,
            legal_basis=NOT_RECORDED,
            purposes=[],
            consent_valid=None,
            reason="agent-only recording: the customer's voice was never recorded",
        )
    if call.direction is Direction.OUTBOUND:
        gap = policy.lia_gap(call.lia_reference, CUSTOMER_AUDIO)
        if gap is not None:
            # The safe error: without an LIA that covers the customer's voice, it gets the
            # short window of no basis at all.
            return TrackBasis(
                **common,
                legal_basis=NO_BASIS,
                purposes=[EXTRACTION_ONLY],
                consent_valid=None,
                reason=f"outbound call without a basis for the customer's voice: {gap}",
                lia_reference=call.lia_reference,
            )
        return TrackBasis(
            **common,
            legal_basis=LEGITIMATE_INTEREST_TEMPORARY,
            purposes=[EXTRACTION_ONLY],
            consent_valid=None,
            reason="outbound call: held only while the agent's part is extracted",
            lia_reference=call.lia_reference,
        )
    consent = call.consent
    evidence = {}
    if consent is not None:
        evidence = {
            "mechanism": consent.mechanism.value,
            "given": str(consent.given).lower(),
            "at": consent.at.isoformat() if consent.at else "",
            "prompt_version": consent.prompt_version or "",
            "purposes": ",".join(consent.purposes),
        }
    problems = consent_problems(call, set(policy.purposes))
    recorded = {
        "consent_mechanism": consent.mechanism.value if consent else None,
        "consent_at": consent.at if consent else None,
        "prompt_version": consent.prompt_version if consent else None,
        "evidence": evidence,
    }
    if problems:
        return TrackBasis(
            **common,
            legal_basis=NO_BASIS,
            purposes=[EXTRACTION_ONLY],
            consent_valid=False,
            reason="; ".join(problems),
            **recorded,
        )
    return TrackBasis(
        **common,
        legal_basis=CONSENT,
        purposes=list(consent.purposes),
        consent_valid=True,
        reason="valid consent: active, informed, specific and freely given",
        **recorded,
    )
