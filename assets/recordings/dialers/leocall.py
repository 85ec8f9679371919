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

from pydantic import BaseModel, ConfigDict

from assets.recordings.dialers.base import (
    AdapterDefaults,
    DirectionWord,
    Timestamp,
    VendorId,
    build_call,
    check_call_id,
    from_default,
    keypress_consent,
    keypress_of,
    lia_reference,
    recording_fields,
    utc_iso,
    validate_export,
)
from assets.recordings.metadata import CallMetadata

DIALER = "leocall"


class LeocallCall(BaseModel):
    model_config = ConfigDict(extra="allow")

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


def parse(
    data: bytes | str, defaults: AdapterDefaults, *, call_id: str | None = None
) -> CallMetadata:
    return to_call(validate_export(LeocallCall, data, DIALER), defaults, call_id=call_id)


def to_call(
    export: LeocallCall, defaults: AdapterDefaults, *, call_id: str | None = None
) -> CallMetadata:
    consent = keypress_consent(
        DIALER,
        "ivr_consent_digit",
        export.ivr_consent_digit,
        defaults,
        at=export.ivr_consent_time,
        prompt_version=export.ivr_prompt,
    )
    values = {
        "call_id": check_call_id(DIALER, export.call_id, "call_id", call_id),
        "direction": export.direction,
        "started_at": export.start_time,
        "ended_at": export.end_time,
        "agent_id": export.agent_id,
        "team": from_default(DIALER, "team", export.agent_group, defaults),
        "campaign": export.campaign or export.queue,
        "customer_number": export.remote_number,
        "language": from_default(DIALER, "language", None, defaults),
        **recording_fields(DIALER, defaults),
        "consent": consent,
        "outcome": export.result,
        "nps": export.survey_nps,
    }
    values["lia_reference"] = lia_reference(values["direction"], None, defaults)
    return build_call(DIALER, values, _SOURCES)


_SOURCES = {
    "call_id": "call_id",
    "started_at": "start_time",
    "ended_at": "end_time",
    "team": "agent_group",
    "customer_number": "remote_number",
    "nps": "survey_nps",
    "outcome": "result",
}


def render(call: CallMetadata) -> dict:
    """The call-log row ``to_call`` reads back as ``call``, given tenant defaults for what
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
