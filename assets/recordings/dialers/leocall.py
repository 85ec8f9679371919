"""Leocall: one row of Leocall's call log, as JSON.

Source: Leocall publishes no public API reference that this adapter could cite field by
field. The model below is the call-log export lydspor expects a Leocall sync job to write to
``<call_id>.leocall.json`` (call id, direction, agent and agent group, campaign and queue,
remote number, start/end, result, the IVR's consent digit and time, the post-call survey
score); its field names must be checked against a tenant's real Leocall export before going
live (see docs/dialers.md). Times may be ISO 8601, epoch seconds/milliseconds, or local time
without offset (read in the tenant's time zone).

Mapping: ``call_id`` → call_id; ``direction`` → direction; ``agent_id`` → agent_id;
``agent_group`` (else the tenant team) → team; ``campaign`` (else ``queue``) → campaign;
``remote_number`` → customer_number; ``start_time``/``end_time`` → started_at/ended_at;
``result`` → outcome; ``survey_nps`` → nps; ``ivr_consent_digit``/``ivr_consent_time``/
``ivr_prompt`` → consent (keypress). Language, recording mode, agent channel and LIA
reference come from the tenant defaults.
"""

from __future__ import annotations

from assets.recordings.dialers.base import (
    AdapterDefaults,
    DialerMapping,
    DirectionWord,
    Timestamp,
    VendorId,
    VendorModel,
    computed,
    exported,
    keypress_consent,
    tenant,
)
from assets.recordings.dialers.rendering import keypress_of, utc_iso
from assets.recordings.metadata import CallMetadata, ConsentEvent

DIALER = "leocall"


class LeocallCall(VendorModel):
    call_id: VendorId
    direction: DirectionWord
    agent_id: VendorId
    agent_name: str | None = None
    agent_group: str | None = None
    campaign: str | None = None
    queue: str | None = None
    remote_number: str | None = None
    start_time: Timestamp
    end_time: Timestamp
    result: str | None = None
    ivr_consent_digit: str | None = None
    ivr_consent_time: Timestamp | None = None
    ivr_prompt: str | None = None
    survey_nps: int | None = None


def _keypress(export: LeocallCall, defaults: AdapterDefaults) -> ConsentEvent | None:
    return keypress_consent(
        DIALER,
        "ivr_consent_digit",
        export.ivr_consent_digit,
        defaults,
        at=export.ivr_consent_time,
        prompt_version=export.ivr_prompt,
    )


MAPPING = DialerMapping(
    dialer=DIALER,
    title="Leocall",
    export=LeocallCall,
    fields={
        "consent": computed(_keypress),
        "call_id": exported("call_id"),
        "direction": exported("direction"),
        "started_at": exported("start_time"),
        "ended_at": exported("end_time"),
        "agent_id": exported("agent_id"),
        "team": tenant("agent_group"),
        "campaign": exported("campaign", "queue"),
        "customer_number": exported("remote_number"),
        "language": tenant(),
        "recording_mode": tenant(),
        "outcome": exported("result"),
        "nps": exported("survey_nps"),
        "lia_reference": tenant(),
    },
)


def render(call: CallMetadata) -> dict:
    """The call-log row ``MAPPING`` reads back as ``call``, given tenant defaults for what
    Leocall does not export (language, recording mode, agent channel, LIA reference)."""
    consent = keypress_of(call.consent, DIALER)
    export = {
        "call_id": call.call_id,
        "direction": call.direction.value,
        "agent_id": call.agent_id,
        "agent_group": call.team,
        "campaign": call.campaign,
        "remote_number": call.customer_number,
        "start_time": utc_iso(call.started_at),
        "end_time": utc_iso(call.ended_at),
        "result": call.outcome,
        "survey_nps": call.nps,
    }
    if consent is not None:
        export["ivr_consent_digit"] = consent.response
        export["ivr_consent_time"] = utc_iso(consent.at) if consent.at else None
        export["ivr_prompt"] = consent.prompt_version
    return {key: value for key, value in export.items() if value is not None}
