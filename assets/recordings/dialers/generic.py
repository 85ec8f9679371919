"""The canonical call record, and the generic manifest for dialers without an adapter.

A dialer lydspor has no adapter for lands its audio files together with one manifest:
``manifest.json`` (a JSON list of records) or ``manifest.csv`` (a header row, then one row per
call). Each record names its audio file in ``audio_file`` and otherwise uses lydspor's own
field names (``CallMetadata``), with the consent event flattened into ``consent_*`` columns
(``consent_purposes`` separated by ";"); a JSON record may give ``consent`` as an object
instead. Empty cells mean "not given": the tenant defaults fill direction, team, language,
recording mode, agent channel and LIA reference, and ``call_id`` defaults to the audio file's
name without its extension.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from assets.recordings.dialers.base import (
    AdapterDefaults,
    DirectionWord,
    MetadataError,
    Timestamp,
    build_call,
    check_call_id,
    from_default,
    lia_reference,
    problems_of,
    recording_fields,
)
from assets.recordings.metadata import (
    CallMetadata,
    ConsentEvent,
    ConsentMechanism,
    RecordingMode,
)
from assets.recordings.probe import SUPPORTED_EXTENSIONS

DIALER = "generic"
CANONICAL = "canonical"
PURPOSE_SEPARATOR = ";"

_CONSENT_COLUMNS = (
    "consent_mechanism",
    "consent_given",
    "consent_at",
    "consent_prompt_version",
    "consent_purposes",
    "consent_service_conditional",
    "consent_response",
)
#: The manifest's columns, in the order :func:`manifest_csv` writes them.
MANIFEST_COLUMNS = (
    "audio_file",
    "call_id",
    "dialer",
    "direction",
    "started_at",
    "ended_at",
    "agent_id",
    "team",
    "campaign",
    "customer_number",
    "language",
    "recording_mode",
    "agent_channel",
    "outcome",
    "nps",
    "lia_reference",
    *_CONSENT_COLUMNS,
)


def parse_canonical(data: bytes | str, *, call_id: str | None = None) -> CallMetadata:
    """A ``<call_id>.json`` sidecar: lydspor's own record, as today."""
    try:
        call = CallMetadata.model_validate_json(data)
    except ValidationError as exc:
        raise MetadataError(CANONICAL, problems_of(exc)) from exc
    check_call_id(CANONICAL, call.call_id, "call_id", call_id)
    return call


class ManifestRecord(BaseModel):
    """One manifest entry; unknown fields are refused, so a misspelt column cannot vanish."""

    model_config = ConfigDict(extra="forbid")

    audio_file: str
    call_id: str | None = None
    dialer: str | None = None
    direction: DirectionWord | None = None
    started_at: Timestamp
    ended_at: Timestamp
    agent_id: str
    team: str | None = None
    campaign: str | None = None
    customer_number: str | None = None
    language: str | None = None
    recording_mode: RecordingMode | None = None
    agent_channel: int | None = None
    outcome: str | None = None
    nps: int | None = None
    lia_reference: str | None = None
    consent: ConsentEvent | None = None
    consent_mechanism: ConsentMechanism | None = None
    consent_given: bool | None = None
    consent_at: Timestamp | None = None
    consent_prompt_version: str | None = None
    consent_purposes: list[str] | None = None
    consent_service_conditional: bool | None = None
    consent_response: str | None = None

    @field_validator("audio_file")
    @classmethod
    def _bare_audio_name(cls, value: str) -> str:
        if "/" in value or "\\" in value or "." not in value:
            raise ValueError(f"{value!r} is not a file name like call-1.wav")
        if value.rsplit(".", 1)[1].lower() not in SUPPORTED_EXTENSIONS:
            raise ValueError(f"{value!r} is not one of {sorted(SUPPORTED_EXTENSIONS)}")
        return value

    @field_validator("consent_purposes", mode="before")
    @classmethod
    def _split_purposes(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [p for p in value.split(PURPOSE_SEPARATOR) if p]
        return value


def parse_manifest_json(
    data: bytes | str, defaults: AdapterDefaults, *, name: str
) -> list[tuple[str, CallMetadata]]:
    try:
        records = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MetadataError.one(DIALER, name, f"not valid JSON: {exc}") from exc
    if not isinstance(records, list):
        raise MetadataError.one(DIALER, name, "expected a JSON list of call records")
    entries = [
        record_to_call(record, defaults, where=f"{DIALER} {name} record {i}")
        for i, record in enumerate(records, start=1)
    ]
    return _unique(entries, name)


def parse_manifest_csv(
    data: bytes | str, defaults: AdapterDefaults, *, name: str
) -> list[tuple[str, CallMetadata]]:
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise MetadataError.one(DIALER, name, f"not UTF-8 text: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise MetadataError.one(DIALER, name, "empty file: expected a header row")
    unknown = [c for c in reader.fieldnames if c not in MANIFEST_COLUMNS]
    if unknown:
        raise MetadataError.one(
            DIALER, name, f"unknown column(s) {unknown}; expected some of {list(MANIFEST_COLUMNS)}"
        )
    entries = []
    for row in reader:
        if None in row:
            raise MetadataError.one(
                DIALER, f"{name} row {reader.line_num}", "more cells than header columns"
            )
        # An empty cell is a value not given (the defaults may fill it).
        record = {k: v for k, v in row.items() if v is not None and v.strip() != ""}
        entries.append(
            record_to_call(record, defaults, where=f"{DIALER} {name} row {reader.line_num}")
        )
    return _unique(entries, name)


def record_to_call(
    record: Any, defaults: AdapterDefaults, *, where: str
) -> tuple[str, CallMetadata]:
    """One manifest record to (audio file name, call)."""
    if not isinstance(record, Mapping):
        raise MetadataError.one(where, "record", "expected an object with call fields")
    try:
        entry = ManifestRecord.model_validate(record)
    except ValidationError as exc:
        raise MetadataError(where, problems_of(exc)) from exc
    values = {
        "call_id": entry.call_id or entry.audio_file.rsplit(".", 1)[0],
        "direction": from_default(where, "direction", entry.direction, defaults),
        "started_at": entry.started_at,
        "ended_at": entry.ended_at,
        "agent_id": entry.agent_id,
        "team": from_default(where, "team", entry.team, defaults),
        "campaign": entry.campaign,
        "customer_number": entry.customer_number,
        "language": from_default(where, "language", entry.language, defaults),
        **recording_fields(where, defaults, entry.recording_mode, entry.agent_channel),
        "consent": _flat_consent(entry, where) or entry.consent,
        "outcome": entry.outcome,
        "nps": entry.nps,
    }
    values["lia_reference"] = lia_reference(values["direction"], entry.lia_reference, defaults)
    return entry.audio_file, build_call(entry.dialer or DIALER, values, {}, label=where)


def _flat_consent(entry: ManifestRecord, where: str) -> ConsentEvent | None:
    given = {c: getattr(entry, c) for c in _CONSENT_COLUMNS if getattr(entry, c) is not None}
    if not given:
        return None
    if entry.consent is not None:
        raise MetadataError.one(where, "consent", f"given both as an object and as {sorted(given)}")
    if entry.consent_mechanism is None:
        raise MetadataError.one(where, "consent_mechanism", f"missing, but {sorted(given)} are set")
    try:
        return ConsentEvent.model_validate(
            {k.removeprefix("consent_"): v for k, v in given.items()}
        )
    except ValidationError as exc:
        renamed = [(f"consent_{field}", problem) for field, problem in problems_of(exc)]
        raise MetadataError(where, renamed) from exc


def _unique(entries: list[tuple[str, CallMetadata]], name: str) -> list[tuple[str, CallMetadata]]:
    seen_audio: set[str] = set()
    seen_ids: set[str] = set()
    for audio, call in entries:
        if audio in seen_audio:
            raise MetadataError.one(DIALER, name, f"audio_file {audio!r} is listed twice")
        if call.call_id in seen_ids:
            raise MetadataError.one(DIALER, name, f"call_id {call.call_id!r} is listed twice")
        seen_audio.add(audio)
        seen_ids.add(call.call_id)
    return entries


def manifest_csv(entries: Iterable[tuple[str, CallMetadata]]) -> bytes:
    """Write calls as a ``manifest.csv`` that :func:`parse_manifest_csv` reads back (an empty
    or blank string reads back as not given)."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=MANIFEST_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for audio, call in entries:
        row = call.model_dump(exclude={"consent"})
        if call.consent is not None:
            purposes = call.consent.purposes
            if any(PURPOSE_SEPARATOR in p for p in purposes):
                raise ValueError(f"a consent purpose contains {PURPOSE_SEPARATOR!r}: {purposes}")
            for field, value in call.consent.model_dump().items():
                row[f"consent_{field}"] = (
                    PURPOSE_SEPARATOR.join(value) if field == "purposes" else value
                )
        writer.writerow({"audio_file": audio, **{k: _cell(v) for k, v in row.items()}})
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
