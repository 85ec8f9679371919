"""Genesys Cloud: one conversation from the analytics conversation-details API.

Source: Genesys Cloud Platform API, ``POST /api/v2/analytics/conversations/details/query``
(and ``GET /api/v2/analytics/conversations/{conversationId}/details``), models
``AnalyticsConversation``, ``AnalyticsParticipant``, ``AnalyticsSession``,
``AnalyticsConversationSegment`` and ``AnalyticsSurvey`` as documented at
https://developer.genesys.cloud/analyticsdatamanagement/analytics/ and in the generated
platform-client SDK model docs (github.com/MyPureCloud/platform-client-sdk-java,
``build/docs/AnalyticsConversation.md`` etc.). The sync job writes one conversation object,
as the API returns it, to ``<conversationId>.genesys.json``.

Mapping: ``conversationId`` → call_id; ``originatingDirection`` (inbound/outbound) →
direction; ``conversationStart``/``conversationEnd`` → started_at/ended_at; the participant
with ``purpose`` "agent": ``userId`` → agent_id, ``teamId`` → team; the participant with
``purpose`` "customer" (or "external"): its voice session's ``ani`` (inbound) or ``dnis``
(outbound) → customer_number; any session's ``outboundCampaignId`` → campaign; the agent's
last segment ``wrapUpCode`` → outcome; ``surveys[].surveyPromoterScore`` → nps. Consent:
participant data (``attributes``) the tenant's Architect flow sets with lydspor's keys
``lydspor_consent_key``/``_at``/``_prompt``. Genesys exports no language, recording mode or
LIA reference: those come from the tenant defaults.
"""

from __future__ import annotations

from pydantic import Field

from assets.recordings.dialers.base import (
    AdapterDefaults,
    DialerMapping,
    DirectionWord,
    MetadataError,
    Timestamp,
    VendorModel,
    computed,
    consent_from_custom_data,
    exported,
    tenant,
)
from assets.recordings.dialers.rendering import consent_custom_data, utc_iso
from assets.recordings.metadata import CallMetadata, ConsentEvent, Direction

DIALER = "genesys"
#: Who the customer is among a conversation's participants.
_CUSTOMER = {"customer", "external"}


class GenesysSegment(VendorModel):
    segmentStart: Timestamp | None = None
    segmentEnd: Timestamp | None = None
    segmentType: str | None = None
    wrapUpCode: str | None = None


class GenesysSession(VendorModel):
    sessionId: str | None = None
    mediaType: str | None = None
    direction: DirectionWord | None = None
    ani: str | None = None
    dnis: str | None = None
    outboundCampaignId: str | None = None
    recording: bool | None = None
    segments: list[GenesysSegment] = Field(default_factory=list)


class GenesysParticipant(VendorModel):
    participantId: str | None = None
    participantName: str | None = None
    purpose: str
    userId: str | None = None
    teamId: str | None = None
    #: Participant data; only present when queried with attributes.
    attributes: dict[str, str] = Field(default_factory=dict)
    sessions: list[GenesysSession] = Field(default_factory=list)


class GenesysSurvey(VendorModel):
    surveyId: str | None = None
    surveyStatus: str | None = None
    surveyPromoterScore: int | None = None


class GenesysConversation(VendorModel):
    """``AnalyticsConversation`` (with participant attributes)."""

    conversationId: str
    conversationStart: Timestamp
    #: Absent while the conversation is still going on: such a call cannot be ingested yet.
    conversationEnd: Timestamp
    originatingDirection: DirectionWord
    participants: list[GenesysParticipant]
    surveys: list[GenesysSurvey] = Field(default_factory=list)


def _first(
    export: GenesysConversation, purposes: set[str], with_user: bool = False
) -> GenesysParticipant | None:
    for participant in export.participants:
        if participant.purpose.lower() in purposes and (participant.userId or not with_user):
            return participant
    return None


def _consent(
    participants: list[GenesysParticipant | None], defaults: AdapterDefaults
) -> ConsentEvent | None:
    """The first participant data with lydspor's consent keys (the Architect flow that plays
    the prompt usually sets them on the customer's participant, which comes first)."""
    for participant in participants:
        if participant is None:
            continue
        where = f"participants[{participant.purpose}].attributes"
        consent = consent_from_custom_data(DIALER, where, participant.attributes, defaults)
        if consent is not None:
            return consent
    return None


def _customer_number(customer: GenesysParticipant | None, direction: Direction) -> str | None:
    """The customer's side of the call: who called in (ani), or whom the dialer called (dnis)."""
    if customer is None:
        return None
    for session in customer.sessions:
        if session.mediaType not in (None, "voice"):
            continue
        address = session.ani if direction is Direction.INBOUND else session.dnis
        if address:
            # Genesys writes addresses as URIs ("tel:+4722334455").
            return address.removeprefix("tel:")
    return None


def _agent(export: GenesysConversation) -> GenesysParticipant:
    """The participant with purpose "agent" and a user id, which every call must have."""
    agent = _first(export, {"agent"}, with_user=True)
    if agent is None:
        raise MetadataError.one(
            DIALER, "participants[].purpose", "no participant with purpose 'agent' and a userId"
        )
    return agent


def _wrap_up(export: GenesysConversation, _defaults: AdapterDefaults) -> str | None:
    codes = [seg.wrapUpCode for s in _agent(export).sessions for seg in s.segments]
    codes = [code for code in codes if code]
    return codes[-1] if codes else None


def _campaign(export: GenesysConversation, _defaults: AdapterDefaults) -> str | None:
    sessions = [s for p in export.participants for s in p.sessions]
    return next((s.outboundCampaignId for s in sessions if s.outboundCampaignId), None)


def _nps(export: GenesysConversation, _defaults: AdapterDefaults) -> int | None:
    scores = [s.surveyPromoterScore for s in export.surveys if s.surveyPromoterScore is not None]
    return scores[0] if scores else None


MAPPING = DialerMapping(
    dialer=DIALER,
    title="Genesys Cloud",
    export=GenesysConversation,
    check=_agent,
    fields={
        "call_id": exported("conversationId"),
        "direction": exported("originatingDirection"),
        "started_at": exported("conversationStart"),
        "ended_at": exported("conversationEnd"),
        "agent_id": computed(lambda e, _: _agent(e).userId, "participants[agent].userId"),
        "team": computed(lambda e, _: _agent(e).teamId, "participants[agent].teamId", default=True),
        "campaign": computed(_campaign),
        "customer_number": computed(
            lambda e, _: _customer_number(_first(e, _CUSTOMER), e.originatingDirection),
            "participants[customer].sessions[].ani/dnis",
        ),
        "language": tenant(),
        "recording_mode": tenant(),
        "consent": computed(
            lambda e, defaults: _consent([_first(e, _CUSTOMER), *e.participants], defaults)
        ),
        "outcome": computed(_wrap_up, "participants[agent].sessions[].segments[].wrapUpCode"),
        "nps": computed(_nps, "surveys[].surveyPromoterScore"),
        "lia_reference": tenant(),
    },
)


def render(call: CallMetadata) -> dict:
    """The conversation ``MAPPING`` reads back as ``call``, given tenant defaults for what
    Genesys does not export (language, recording mode, agent channel, LIA reference)."""
    if call.campaign is not None and call.direction is not Direction.OUTBOUND:
        raise ValueError("Genesys exports a campaign only for outbound calls")
    direction = call.direction.value
    customer_session: dict = {"mediaType": "voice", "direction": direction}
    if call.customer_number is not None:
        side = "ani" if call.direction is Direction.INBOUND else "dnis"
        customer_session[side] = f"tel:{call.customer_number}"
    if call.campaign is not None:
        customer_session["outboundCampaignId"] = call.campaign
    customer = {"purpose": "customer", "sessions": [customer_session]}
    consent = consent_custom_data(call.consent, DIALER)
    if consent:
        customer["attributes"] = consent
    agent_session: dict = {"mediaType": "voice", "direction": direction, "recording": True}
    if call.outcome is not None:
        agent_session["segments"] = [{"segmentType": "wrapup", "wrapUpCode": call.outcome}]
    conversation = {
        "conversationId": call.call_id,
        "conversationStart": utc_iso(call.started_at),
        "conversationEnd": utc_iso(call.ended_at),
        "originatingDirection": direction,
        "participants": [
            customer,
            {
                "purpose": "agent",
                "userId": call.agent_id,
                "teamId": call.team,
                "sessions": [agent_session],
            },
        ],
    }
    if call.nps is not None:
        conversation["surveys"] = [{"surveyStatus": "Finished", "surveyPromoterScore": call.nps}]
    return conversation
