"""Dialfire: a contact with the transaction (and its phone connections) of one call.

Source: Dialfire API (https://www.dialfire.com/docs, campaign API
``/api/campaigns/{campaign}/…``): contact records carry system fields prefixed with ``$``
(``$id``, ``$ref``, ``$phone``, ``$campaign_id``, ``$task``, ``$status``,
``$status_detail``) next to the campaign's own fields; a call is a *transaction* on the
contact (``task``, ``type``, ``status``, ``status_detail``, ``fired``, ``user``) with the
phone ``connections`` it made. Dialfire's webhooks post exactly this pair, ``{"contact": …,
"transaction": …}``, and that is what the sync job writes to ``<call_id>.dialfire.json``.

Dialfire has no per-call id in that payload, so the call id is the name the sync job gives the
files (``call_id`` argument). Mapping: ``transaction.user`` → agent_id;
``contact.$campaign_id`` → campaign; ``contact.$phone`` (else the connection's ``phone``) →
customer_number; first connection's ``started`` / last connection's ``disconnected`` →
started_at/ended_at; ``transaction.status_detail`` (else ``status``) → outcome;
``transaction.type`` ("inbound", or a dial mode such as "power"/"predictive"/"preview"/
"manual", which are outbound) → direction, else the tenant default. Consent: contact fields the
tenant's IVR fills with lydspor's keys ``lydspor_consent_key``/``_at``/``_prompt``. Team,
language, recording mode, agent channel and LIA reference come from the tenant defaults.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from assets.recordings.dialers.base import (
    AdapterDefaults,
    DialerMapping,
    MetadataError,
    Source,
    Timestamp,
    VendorModel,
    coerce_direction,
    computed,
    consent_from_custom_data,
    exported,
    tenant,
)
from assets.recordings.dialers.rendering import consent_custom_data, utc_iso
from assets.recordings.metadata import CallMetadata, ConsentEvent, Direction

DIALER = "dialfire"

#: Transaction types: how the call was set up. Every dial mode places an outbound call.
_TYPE_DIRECTIONS = {
    "inbound": Direction.INBOUND,
    "manual": Direction.OUTBOUND,
    "preview": Direction.OUTBOUND,
    "power": Direction.OUTBOUND,
    "predictive": Direction.OUTBOUND,
    "outbound": Direction.OUTBOUND,
}


class _DialfireObject(VendorModel):
    # Fields named by their Python name or by the export's key (the alias).
    model_config = ConfigDict(populate_by_name=True)


class DialfireContact(_DialfireObject):
    id: str = Field(alias="$id")
    ref: str | None = Field(default=None, alias="$ref")
    phone: str | None = Field(default=None, alias="$phone")
    campaign_id: str | None = Field(default=None, alias="$campaign_id")
    task: str | None = Field(default=None, alias="$task")
    status: str | None = Field(default=None, alias="$status")
    status_detail: str | None = Field(default=None, alias="$status_detail")


class DialfireConnection(_DialfireObject):
    phone: str | None = None
    started: Timestamp
    connected: Timestamp | None = None
    disconnected: Timestamp
    technology: str | None = None


class DialfireTransaction(_DialfireObject):
    task: str | None = None
    type: str | None = None
    status: str | None = None
    status_detail: str | None = None
    fired: Timestamp | None = None
    user: str
    connections: list[DialfireConnection] = Field(min_length=1)


class DialfireExport(_DialfireObject):
    contact: DialfireContact
    transaction: DialfireTransaction


def _direction(export: DialfireExport, _defaults: AdapterDefaults) -> Direction | None:
    kind = export.transaction.type
    if kind is None:
        return None
    if kind.strip().lower() in _TYPE_DIRECTIONS:
        return _TYPE_DIRECTIONS[kind.strip().lower()]
    try:
        return coerce_direction(kind)
    except ValueError:
        raise MetadataError.one(
            DIALER,
            "transaction.type",
            f"{kind!r} is neither inbound nor a dial mode ({', '.join(sorted(_TYPE_DIRECTIONS))})",
        ) from None


def _consent(export: DialfireExport, defaults: AdapterDefaults) -> ConsentEvent | None:
    return consent_from_custom_data(DIALER, "contact", export.contact.model_extra or {}, defaults)


MAPPING = DialerMapping(
    dialer=DIALER,
    title="Dialfire",
    export=DialfireExport,
    fields={
        "call_id": Source(label="file name"),
        "direction": computed(_direction, "transaction.type", default=True),
        "started_at": exported("transaction.connections[0].started"),
        "ended_at": exported("transaction.connections[-1].disconnected"),
        "agent_id": exported("transaction.user"),
        "team": tenant(),
        "campaign": exported("contact.campaign_id", label="contact.$campaign_id"),
        "customer_number": exported(
            "contact.phone", "transaction.connections[0].phone", label="contact.$phone"
        ),
        "language": tenant(),
        "recording_mode": tenant(),
        "consent": computed(_consent),
        "outcome": exported(
            "transaction.status_detail", "transaction.status", label="transaction.status_detail"
        ),
        "lia_reference": tenant(),
    },
)


def render(call: CallMetadata) -> dict:
    """The webhook pair ``MAPPING`` reads back as ``call`` (its call id is the file name), given
    tenant defaults for what Dialfire does not export (team, language, recording mode, agent
    channel, LIA reference)."""
    if call.nps is not None:
        raise ValueError("Dialfire exports no NPS")
    contact: dict = {"$id": call.call_id, "$phone": call.customer_number}
    contact["$campaign_id"] = call.campaign
    contact["$status_detail"] = call.outcome
    contact.update(consent_custom_data(call.consent, DIALER))
    connection = {
        "phone": call.customer_number,
        "started": utc_iso(call.started_at),
        "disconnected": utc_iso(call.ended_at),
        "technology": "phone",
    }
    transaction = {
        "type": "inbound" if call.direction is Direction.INBOUND else "outbound",
        "status_detail": call.outcome,
        "user": call.agent_id,
        "connections": [{k: v for k, v in connection.items() if v is not None}],
    }
    return {
        "contact": {k: v for k, v in contact.items() if v is not None},
        "transaction": {k: v for k, v in transaction.items() if v is not None},
    }
