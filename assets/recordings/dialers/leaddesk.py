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

from assets.recordings.dialers.base import (
    DialerMapping,
    DirectionWord,
    Timestamp,
    VendorId,
    VendorModel,
    exported,
    tenant,
)
from assets.recordings.dialers.rendering import local_wall_clock
from assets.recordings.metadata import CallMetadata

DIALER = "leaddesk"


class LeadDeskCall(VendorModel):
    """The call object of ``mod=call&cmd=get``."""

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


MAPPING = DialerMapping(
    dialer=DIALER,
    title="LeadDesk",
    export=LeadDeskCall,
    fields={
        "call_id": exported("id"),
        "direction": tenant("direction"),
        "started_at": exported("talk_start"),
        "ended_at": exported("talk_end"),
        "agent_id": exported("agent_id"),
        "team": tenant("agent_group_name"),
        "campaign": exported("campaign_name", "campaign"),
        "customer_number": exported("number"),
        "language": tenant(),
        "recording_mode": tenant(),
        "outcome": exported("call_ending_reason_name"),
        "lia_reference": tenant(),
    },
)


def render(call: CallMetadata) -> dict:
    """The call object ``MAPPING`` reads back as ``call``, given tenant defaults for what
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
