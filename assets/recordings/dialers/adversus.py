"""Adversus: a call detail record with the lead, campaign and user it belongs to.

Source: Adversus REST API v1 (https://api.adversus.dk/v1, documented at
https://solutions.adversus.io/api): the ``cdr`` resource (``id``, ``sessionId``, ``userId``,
``campaignId``, ``leadId``, ``destination``, ``disposition``, ``startTime``, ``answerTime``,
``endTime``, ``durationSeconds``, ``conversationSeconds``, ``links.recording``), the
``sessions`` resource (whose ``cdr`` embeds the same timing fields), ``leads`` (``id``,
``campaignId``, ``status``, ``resultData``, ``masterData``), ``campaigns`` (``id``,
``settings.name``) and ``users`` (``id``, ``name``, ``email``). The sync job writes
``{"cdr": …, "lead": …, "campaign": …, "user": …}`` (each object as the API returns it; only
``cdr`` is required) to ``<cdr id>.adversus.json``.

Mapping: ``cdr.id`` → call_id; ``cdr.userId`` → agent_id; ``campaign.settings.name`` (else
``cdr.campaignId``) → campaign; ``cdr.destination`` → customer_number; ``cdr.startTime``/
``cdr.endTime`` → started_at/ended_at; ``lead.status`` (e.g. "success", "notInterested") →
outcome. Adversus is an outbound dialer without IVR: its CDR carries no direction, team,
language, recording mode, consent or NPS, so direction, team, language, recording mode, agent
channel and LIA reference come from the tenant defaults.
"""

from __future__ import annotations

from pydantic import Field

from assets.recordings.dialers.base import (
    DialerMapping,
    Timestamp,
    VendorId,
    VendorModel,
    exported,
    tenant,
)
from assets.recordings.dialers.rendering import utc_iso
from assets.recordings.metadata import CallMetadata

DIALER = "adversus"


class AdversusCdr(VendorModel):
    id: VendorId
    sessionId: VendorId | None = None
    userId: VendorId
    campaignId: VendorId | None = None
    leadId: VendorId | None = None
    destination: str | None = None
    disposition: str | None = None
    startTime: Timestamp
    answerTime: Timestamp | None = None
    endTime: Timestamp
    durationSeconds: int | None = None
    conversationSeconds: int | None = None


class AdversusFieldValue(VendorModel):
    id: VendorId
    value: str | None = None


class AdversusLead(VendorModel):
    id: VendorId
    campaignId: VendorId | None = None
    status: str | None = None
    resultData: list[AdversusFieldValue] = Field(default_factory=list)


class AdversusCampaignSettings(VendorModel):
    name: str | None = None


class AdversusCampaign(VendorModel):
    id: VendorId
    settings: AdversusCampaignSettings | None = None


class AdversusUser(VendorModel):
    id: VendorId
    name: str | None = None
    email: str | None = None


class AdversusExport(VendorModel):
    cdr: AdversusCdr
    lead: AdversusLead | None = None
    campaign: AdversusCampaign | None = None
    user: AdversusUser | None = None


MAPPING = DialerMapping(
    dialer=DIALER,
    title="Adversus",
    export=AdversusExport,
    fields={
        "call_id": exported("cdr.id"),
        "direction": tenant(),
        "started_at": exported("cdr.startTime"),
        "ended_at": exported("cdr.endTime"),
        "agent_id": exported("cdr.userId"),
        "team": tenant(),
        "campaign": exported("campaign.settings.name", "cdr.campaignId"),
        "customer_number": exported("cdr.destination"),
        "language": tenant(),
        "recording_mode": tenant(),
        "outcome": exported("lead.status"),
        "lia_reference": tenant(),
    },
)


def render(call: CallMetadata) -> dict:
    """The export ``MAPPING`` reads back as ``call``, given tenant defaults for what Adversus
    does not export (direction, team, language, recording mode, LIA reference)."""
    if call.consent is not None or call.nps is not None:
        raise ValueError("Adversus exports neither consent nor NPS")
    cdr = {
        "id": call.call_id,
        "userId": call.agent_id,
        "destination": call.customer_number,
        "startTime": utc_iso(call.started_at),
        "endTime": utc_iso(call.ended_at),
        "durationSeconds": round((call.ended_at - call.started_at).total_seconds()),
    }
    export: dict = {"cdr": cdr}
    if call.outcome is not None:
        export["lead"] = {"id": call.call_id, "status": call.outcome}
    if call.campaign is not None:
        export["campaign"] = {"id": call.campaign, "settings": {"name": call.campaign}}
    export["user"] = {"id": call.agent_id}
    return export
