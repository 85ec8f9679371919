"""LeadDesk: one call from the LeadDesk API's call module.

Source: LeadDesk API ("original API modules", https://leaddesk.com/docs/original-api-modules/),
module ``call``, command ``get`` (``?auth=…&mod=call&cmd=get&call_ref_id=…``), whose call
object has ``id``, ``agent_id``, ``agent_username``, ``talk_time``, ``talk_start``,
``talk_end``, ``number``, ``record_file``, ``created_at``, ``customer_id``, ``comment``,
``call_ending_reason``, ``call_ending_reason_name`` and ``handling_stop``. Times are local
wall-clock times without offset ("2026-11-02 10:03:11"), read in the tenant's time zone.
``campaign_name``, ``agent_group_name`` and ``direction`` are read when the export carries
them (they are not in the fields above; see docs/dialers.md). The sync job writes the call
object to ``<id>.leaddesk.json``.

Mapping: ``id`` → call_id; ``agent_id`` → agent_id; ``agent_group_name`` (else the tenant
team) → team; ``campaign_name`` (else ``campaign``) → campaign; ``number`` → customer_number;
``talk_start``/``talk_end`` → started_at/ended_at; ``call_ending_reason_name`` → outcome;
``direction`` (else the tenant default) → direction. LeadDesk exports no language, recording
mode, LIA reference, consent or NPS.
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
    lia_reference,
    local_wall_clock,
    recording_fields,
    validate_export,
)
from assets.recordings.metadata import CallMetadata

DIALER = "leaddesk"


class LeadDeskCall(BaseModel):
    """The call object of ``mod=call&cmd=get``."""

    model_config = ConfigDict(extra="allow")

    id: VendorId
    agent_id: VendorId
    agent_username: str | None = None
    talk_time: int | None = None
    talk_start: Timestamp
    talk_end: Timestamp
    number: str | None = None
    record_file: str | None = None
    created_at: Timestamp | None = None
    customer_id: VendorId | None = None
    comment: str | None = None
    call_ending_reason: VendorId | None = None
    call_ending_reason_name: str | None = None
    handling_stop: Timestamp | None = None
    # Read when present; not among the documented call fields above.
    campaign: VendorId | None = None
    campaign_name: str | None = None
    agent_group_name: str | None = None
    direction: DirectionWord | None = None


def parse(
    data: bytes | str, defaults: AdapterDefaults, *, call_id: str | None = None
) -> CallMetadata:
    return to_call(validate_export(LeadDeskCall, data, DIALER), defaults, call_id=call_id)


def to_call(
    export: LeadDeskCall, defaults: AdapterDefaults, *, call_id: str | None = None
) -> CallMetadata:
    values = {
        "call_id": check_call_id(DIALER, export.id, "id", call_id),
        "direction": from_default(DIALER, "direction", export.direction, defaults),
        "started_at": export.talk_start,
        "ended_at": export.talk_end,
        "agent_id": export.agent_id,
        "team": from_default(DIALER, "team", export.agent_group_name, defaults),
        "campaign": export.campaign_name or export.campaign,
        "customer_number": export.number,
        "language": from_default(DIALER, "language", None, defaults),
        **recording_fields(DIALER, defaults),
        "consent": None,
        "outcome": export.call_ending_reason_name,
        "nps": None,
    }
    values["lia_reference"] = lia_reference(values["direction"], None, defaults)
    return build_call(DIALER, values, _SOURCES)


_SOURCES = {
    "call_id": "id",
    "direction": "direction",
    "started_at": "talk_start",
    "ended_at": "talk_end",
    "agent_id": "agent_id",
    "team": "agent_group_name",
    "campaign": "campaign_name/campaign",
    "customer_number": "number",
    "outcome": "call_ending_reason_name",
}


def render(call: CallMetadata) -> dict:
    """The call object ``to_call`` reads back as ``call``, given tenant defaults for what
    LeadDesk does not export (language, recording mode, agent channel, LIA reference). Times
    are local wall-clock times, as LeadDesk writes them (to the millisecond here, so the
    round trip is exact)."""
    if call.consent is not None or call.nps is not None:
        raise ValueError("LeadDesk exports neither consent nor NPS")
    export = {
        "id": call.call_id,
        "agent_id": call.agent_id,
        "talk_time": round((call.ended_at - call.started_at).total_seconds()),
        "talk_start": local_wall_clock(call.started_at),
        "talk_end": local_wall_clock(call.ended_at),
        "number": call.customer_number,
        "call_ending_reason_name": call.outcome,
        "campaign_name": call.campaign,
        "agent_group_name": call.team,
        "direction": call.direction.value,
    }
    return {key: value for key, value in export.items() if value is not None}
