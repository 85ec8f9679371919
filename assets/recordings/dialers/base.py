"""What every dialer adapter shares: tenant defaults, the error type and value parsers.

Adapters turn a dialer's own export into :class:`CallMetadata`. Whatever the export does not
say (most dialers know nothing of recording modes or legitimate-interest assessments) comes
from :class:`AdapterDefaults`, which the tenant sets explicitly; when neither the export nor
the defaults have a value lydspor needs, the adapter raises :class:`MetadataError` instead of
guessing, because a guessed direction or consent decides what happens to a customer's voice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timezone
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from assets.common.settings import CALL_TIMEZONE
from assets.recordings.metadata import (
    CallMetadata,
    ConsentEvent,
    ConsentMechanism,
    Direction,
    RecordingMode,
)

#: Custom-data keys a tenant's IVR writes where the dialer has free-form per-call data
#: (Genesys participant data, Dialfire contact fields): lydspor's convention, not the vendor's.
CONSENT_KEY_FIELD = "lydspor_consent_key"
CONSENT_AT_FIELD = "lydspor_consent_at"
CONSENT_PROMPT_FIELD = "lydspor_consent_prompt"

#: Keypad responses that are no act by the caller (see assets.consent.basis).
PASSIVE_RESPONSES = frozenset({"", "timeout", "silence", "no_input", "noinput", "none", "default"})

#: Above this an epoch number is milliseconds: as seconds it would be the year 5138, as
#: milliseconds it is March 1973, before any recording lydspor will see.
EPOCH_MILLIS_THRESHOLD = 100_000_000_000

_INBOUND_WORDS = frozenset(
    {"inbound", "incoming", "in", "inn", "received", "innkommende", "inngående", "inkommande"}
)
_OUTBOUND_WORDS = frozenset({"outbound", "outgoing", "out", "ut", "placed", "utgående", "udgående"})
_EPOCH = re.compile(r"^\d+(\.\d+)?$")
_HAS_TIME = re.compile(r"[T ]\d{1,2}(:?\d{2})?")


class VendorModel(BaseModel):
    """An object as the dialer exports it: fields lydspor does not map are kept, not refused,
    so a vendor adding a field never sends a call to quarantine."""

    model_config = ConfigDict(extra="allow")


class MetadataError(ValueError):
    """A dialer export cannot become a call record; the message is a quarantine reason."""

    def __init__(self, dialer: str, problems: Sequence[tuple[str, str]]) -> None:
        self.dialer = dialer
        self.problems = list(problems)
        self.field = self.problems[0][0] if self.problems else "record"
        details = "; ".join(f"{field}: {problem}" for field, problem in self.problems)
        super().__init__(f"metadata invalid ({dialer}): {details}")

    @classmethod
    def one(cls, dialer: str, field: str, problem: str) -> MetadataError:
        return cls(dialer, [(field, problem)])


class AdapterDefaults(BaseModel):
    """Tenant-level values for what a dialer's export does not carry.

    Every field is empty unless the tenant sets it: an adapter that needs a missing value
    raises :class:`MetadataError` naming it, rather than picking one.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Language of the calls (nb, nn, da, sv, en): no dialer here exports one per call.
    language: str | None = Field(default=None, pattern=r"^(nb|nn|da|sv|en)$")
    #: How the dialer records: stereo (agent and customer on separate channels), agent_only, mono.
    recording_mode: RecordingMode | None = None
    #: The agent's channel in stereo recordings (0 = left, 1 = right).
    agent_channel: int | None = Field(default=None, ge=0, le=1)
    #: The controller's legitimate-interest assessment for outbound calls (e.g. "LIA-2026-01").
    lia_reference: str | None = None
    #: Team for dialers that export no team or agent group.
    team: str | None = None
    #: Direction for dialers whose exports carry none (Adversus is an outbound dialer).
    direction: Direction | None = None
    #: Keys that mean "yes, record me" in the tenant's IVR; any other key is a refusal.
    consent_accept_keys: frozenset[str] = frozenset()
    #: Version of the consent prompt the IVR plays, when the dialer does not log it per call.
    consent_prompt_version: str | None = None
    #: Purposes the consent prompt names (policy purpose keys).
    consent_purposes: tuple[str, ...] = ()


# -- value parsers ------------------------------------------------------------------------------


def coerce_timestamp(value: Any) -> datetime:
    """ISO 8601 with offset or Z, epoch seconds or milliseconds, or local time without offset
    (read in CALL_TIMEZONE) to an aware datetime; ValueError says what was wrong."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else _localize(value, value.isoformat())
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a timestamp")
    if isinstance(value, int | float):
        return _from_epoch(float(value), value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a timestamp")
    text = value.strip()
    if _EPOCH.match(text):
        return _from_epoch(float(text), value)
    if not _HAS_TIME.search(text):
        raise ValueError(
            f"{value!r} is not a timestamp (expected ISO 8601 date and time, "
            "epoch seconds or milliseconds, or local 'YYYY-MM-DD HH:MM:SS')"
        )
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a timestamp (expected ISO 8601 date and time, "
            "epoch seconds or milliseconds, or local 'YYYY-MM-DD HH:MM:SS')"
        ) from None
    return parsed if parsed.tzinfo is not None else _localize(parsed, value)


def _from_epoch(number: float, raw: Any) -> datetime:
    seconds = number / 1000 if number >= EPOCH_MILLIS_THRESHOLD else number
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"{raw!r} is out of range for an epoch timestamp") from None


def _localize(naive: datetime, raw: Any) -> datetime:
    """Read a wall-clock time in CALL_TIMEZONE; refuse the hour DST skips or repeats, where
    the wall clock alone cannot say which instant the dialer meant."""
    early = naive.replace(tzinfo=CALL_TIMEZONE, fold=0)
    late = naive.replace(tzinfo=CALL_TIMEZONE, fold=1)
    if early.utcoffset() != late.utcoffset():
        round_trip = early.astimezone(UTC).astimezone(CALL_TIMEZONE).replace(tzinfo=None)
        if round_trip != naive:
            raise ValueError(
                f"local time {raw!r} does not exist in {CALL_TIMEZONE.key} "
                "(clocks jump forward at the DST change); export with a UTC offset"
            )
        raise ValueError(
            f"local time {raw!r} is ambiguous in {CALL_TIMEZONE.key} "
            "(it occurs twice when DST ends); export with a UTC offset"
        )
    # A fixed offset, not the zone: Python subtracts and compares two datetimes that share a
    # tzinfo by wall clock, which is wrong across a DST change.
    return early.astimezone(timezone(early.utcoffset() or UTC.utcoffset(None)))


def coerce_direction(value: Any) -> Direction:
    """Vendor words for a call's direction ("OUTBOUND", "out", "incoming", ...) to the enum."""
    if isinstance(value, Direction):
        return value
    word = str(value).strip().lower() if isinstance(value, str) else None
    if word in _INBOUND_WORDS:
        return Direction.INBOUND
    if word in _OUTBOUND_WORDS:
        return Direction.OUTBOUND
    raise ValueError(f"{value!r} is not a call direction (expected e.g. inbound/outbound)")


def coerce_id(value: Any) -> str:
    """Vendor ids arrive as JSON numbers or strings; lydspor keeps them as strings."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{value!r} is not an id (expected a string or an integer)")
    text = str(value).strip()
    if not text:
        raise ValueError("id is empty")
    return text


Timestamp = Annotated[datetime, BeforeValidator(coerce_timestamp)]
DirectionWord = Annotated[Direction, BeforeValidator(coerce_direction)]
VendorId = Annotated[str, BeforeValidator(coerce_id)]


# -- validation with vendor field names in the errors -------------------------------------------

ExportT = TypeVar("ExportT", bound=BaseModel)


def field_path(loc: Sequence[int | str]) -> str:
    """('participants', 2, 'userId') -> 'participants[2].userId'."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "file"


def problems_of(
    exc: ValidationError, rename: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors():
        path = field_path(err["loc"])
        head = str(err["loc"][0]) if err["loc"] else ""
        if rename and head in rename:
            path = f"{path} (from {rename[head]})"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "missing"
        problems.append((path, message))
    return problems


def validate_export(
    model: type[ExportT], data: bytes | str | Mapping[str, Any], dialer: str
) -> ExportT:
    """Parse a dialer export into its pydantic model, errors naming the vendor's fields."""
    try:
        if isinstance(data, bytes | str):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as exc:
        raise MetadataError(dialer, problems_of(exc)) from exc


def build_call(
    dialer: str,
    values: Mapping[str, Any],
    sources: Mapping[str, str],
    *,
    label: str | None = None,
) -> CallMetadata:
    """Validate the mapped values as a CallMetadata; errors name the lydspor field and the
    vendor field it came from (``label`` says where, when that is more than the dialer)."""
    try:
        return CallMetadata.model_validate({"dialer": dialer, **values})
    except ValidationError as exc:
        raise MetadataError(label or dialer, problems_of(exc, sources)) from exc


# -- shared mapping steps -----------------------------------------------------------------------


def check_call_id(dialer: str, vendor_id: str, source: str, call_id: str | None) -> str:
    """The dialer's call id, which must be the name the files were landed under."""
    if call_id is not None and call_id != vendor_id:
        raise MetadataError.one(
            dialer, source, f"call id {vendor_id!r} does not match file name {call_id!r}"
        )
    return vendor_id


def from_default(dialer: str, field: str, exported: Any, defaults: AdapterDefaults) -> Any:
    """The export's value, else the tenant default of the same name, else an error."""
    if exported is not None:
        return exported
    default = getattr(defaults, field)
    if default is None:
        raise MetadataError.one(
            dialer, field, f"not in the export, and no tenant default {field!r} is set"
        )
    return default


def lia_reference(direction: Any, exported: str | None, defaults: AdapterDefaults) -> str | None:
    """The export's LIA reference, else the tenant's, which covers outbound calls only: an
    inbound caller's voice rests on consent or on nothing."""
    if exported is not None:
        return exported
    return defaults.lia_reference if direction == Direction.OUTBOUND else None


def recording_fields(
    dialer: str,
    defaults: AdapterDefaults,
    mode: RecordingMode | None = None,
    channel: int | None = None,
) -> dict[str, Any]:
    """Recording mode and agent channel: the export's where it has them, else the tenant's."""
    mode = from_default(dialer, "recording_mode", mode, defaults)
    if mode is not RecordingMode.STEREO:
        return {"recording_mode": mode, "agent_channel": channel}
    return {
        "recording_mode": mode,
        "agent_channel": from_default(dialer, "agent_channel", channel, defaults),
    }


def keypress_consent(
    dialer: str,
    field: str,
    key: Any,
    defaults: AdapterDefaults,
    *,
    at: datetime | None = None,
    prompt_version: str | None = None,
) -> ConsentEvent | None:
    """An IVR keypress as a consent event: accepted only for the tenant's accept keys, and a
    timeout or silence is recorded as what it is, never as consent."""
    if key is None:
        return None
    response = str(key).strip().lower()
    if response in PASSIVE_RESPONSES:
        given = False
    elif not defaults.consent_accept_keys:
        raise MetadataError.one(
            dialer,
            field,
            f"keypress {response!r} recorded, but no tenant consent_accept_keys are set to "
            "tell consent from refusal",
        )
    else:
        given = response in {k.strip().lower() for k in defaults.consent_accept_keys}
    return ConsentEvent(
        mechanism=ConsentMechanism.KEYPRESS,
        given=given,
        at=at,
        prompt_version=prompt_version or defaults.consent_prompt_version,
        purposes=list(defaults.consent_purposes) if given else [],
        response=response or "none",
    )


def consent_from_custom_data(
    dialer: str, where: str, data: Mapping[str, Any], defaults: AdapterDefaults
) -> ConsentEvent | None:
    """Consent written by the tenant's IVR into the dialer's free-form per-call data under
    lydspor's convention keys (lydspor_consent_key, _at, _prompt)."""
    if data.get(CONSENT_KEY_FIELD) is None:
        return None
    at_raw = data.get(CONSENT_AT_FIELD)
    try:
        at = coerce_timestamp(at_raw) if at_raw not in (None, "") else None
    except ValueError as exc:
        raise MetadataError.one(dialer, f"{where}.{CONSENT_AT_FIELD}", str(exc)) from None
    prompt = data.get(CONSENT_PROMPT_FIELD)
    return keypress_consent(
        dialer,
        f"{where}.{CONSENT_KEY_FIELD}",
        data[CONSENT_KEY_FIELD],
        defaults,
        at=at,
        prompt_version=str(prompt) if prompt not in (None, "") else None,
    )


# -- the declarative mapping every dialer adapter is ---------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where one CallMetadata field comes from in a dialer's export."""

    #: Attribute paths on the validated export ("cdr.startTime", "connections[0].started"),
    #: tried in order: the first with a value wins (as ``a or b`` would choose).
    paths: tuple[str, ...] = ()
    #: Computes the value from the export and the tenant defaults instead of reading a path.
    compute: Callable[[Any, AdapterDefaults], Any] | None = None
    #: When the export has no value: the tenant default of the same name, else a MetadataError.
    default: bool = False
    #: The vendor field a validation error names (default: the paths, joined by "/").
    label: str | None = None

    @property
    def source(self) -> str | None:
        return self.label or ("/".join(self.paths) if self.paths else None)


def exported(*paths: str, label: str | None = None) -> Source:
    """The export's value at the first of ``paths`` that has one."""
    return Source(paths, label=label)


def tenant(*paths: str, label: str | None = None) -> Source:
    """The export's value where it has one (``paths``), else the tenant default."""
    return Source(paths, default=True, label=label)


def computed(
    compute: Callable[[Any, AdapterDefaults], Any], label: str | None = None, default=False
) -> Source:
    """A value only code can find in the export (a participant by purpose, a consent event)."""
    return Source(compute=compute, default=default, label=label)


@dataclass(frozen=True)
class DialerMapping:
    """A dialer's export model and where each CallMetadata field comes from in it.

    The fields are read in the table's order, and the first one that cannot be read is the
    error. Three are special: ``call_id`` is checked against the file name the call landed
    under (a mapping without a path takes the file name as the id), ``recording_mode`` brings
    ``agent_channel`` with it, and ``lia_reference`` applies to outbound calls only. Fields the
    table leaves out are not in the export (empty).
    """

    dialer: str
    #: The vendor's name as a person writes it ("Dialfire"), for messages.
    title: str
    export: type[BaseModel]
    fields: Mapping[str, Source]
    #: Checks the export needs before any field is read (a participant that must be there).
    check: Callable[[Any], None] | None = None

    def parse(
        self, data: bytes | str, defaults: AdapterDefaults, *, call_id: str | None = None
    ) -> CallMetadata:
        """A landed export file to its call record (errors name the vendor's fields)."""
        export = validate_export(self.export, data, self.dialer)
        return self.to_call(export, defaults, call_id=call_id)

    def to_call(
        self, export: BaseModel, defaults: AdapterDefaults, *, call_id: str | None = None
    ) -> CallMetadata:
        if self.check is not None:
            self.check(export)
        values: dict[str, Any] = {}
        for name, source in self.fields.items():
            if name == "call_id":
                values[name] = self._call_id(export, source, call_id)
            elif name == "recording_mode":
                values.update(recording_fields(self.dialer, defaults, self._read(export, source)))
            elif name == "lia_reference":
                exported_lia = self._read(export, source, defaults)
                values[name] = lia_reference(values["direction"], exported_lia, defaults)
            else:
                value = self._read(export, source, defaults)
                if source.default:
                    value = from_default(self.dialer, name, value, defaults)
                values[name] = value
        sources = {name: s.source for name, s in self.fields.items() if s.source}
        return build_call(self.dialer, values, sources)

    def _call_id(self, export: BaseModel, source: Source, call_id: str | None) -> str:
        if source.paths:
            return check_call_id(self.dialer, self._read(export, source), source.source, call_id)
        if call_id is None:
            raise MetadataError.one(
                self.dialer,
                "call_id",
                f"{self.title} exports carry no call id: pass the file's name",
            )
        return call_id

    @staticmethod
    def _read(export: BaseModel, source: Source, defaults: AdapterDefaults | None = None) -> Any:
        if source.compute is not None:
            return source.compute(export, defaults)
        value = None
        for path in source.paths:
            value = read_path(export, path)
            if value:
                break
        return value


_STEP = re.compile(r"^(?P<name>[^\[]+)(?:\[(?P<index>-?\d+)\])?$")


def read_path(obj: Any, path: str) -> Any:
    """``obj.a.b[0].c``, or None where a step on the way is missing."""
    for step in path.split("."):
        match = _STEP.match(step)
        obj = getattr(obj, match["name"], None) if obj is not None else None
        if obj is not None and match["index"] is not None:
            items = obj
            index = int(match["index"])
            obj = items[index] if -len(items) <= index < len(items) else None
    return obj
