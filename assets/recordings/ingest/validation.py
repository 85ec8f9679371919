"""Whether a landed call can be ingested: its metadata, date, clock, audio and ground truth,
and whether the catalogue already holds it. A refusal is a :class:`Rejected` whose message is
the quarantine reason."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb
from pydantic import TypeAdapter, ValidationError

from assets.common.storage import ObjectStore
from assets.recordings.dialers.base import MetadataError
from assets.recordings.dialers.registry import parse_metadata, split_metadata_name
from assets.recordings.ingest.tables import RECORDINGS_TABLE
from assets.recordings.landing import LandedCall
from assets.recordings.metadata import CallMetadata, RecordingMode, TruthTurn
from assets.recordings.probe import SUPPORTED_EXTENSIONS, AudioProbe, InvalidAudio, probe_audio
from assets.retention.policy import RetentionPolicy

#: A call starting (or ending) later than this after the time of ingestion is clock skew.
CLOCK_SKEW_TOLERANCE = timedelta(hours=1)

_TRUTH = TypeAdapter(list[TruthTurn])


class Rejected(Exception):
    """The call cannot be ingested; the message is the quarantine reason."""


@dataclass(frozen=True)
class IngestRun:
    """What every step of one ingest run works with: the store, the catalogue, the tenant's
    policy and the run's time of ingestion."""

    store: ObjectStore
    con: duckdb.DuckDBPyConnection
    policy: RetentionPolicy
    now: datetime


@dataclass(frozen=True)
class IngestOutcome:
    stem: str
    status: str  # ingested | duplicate | quarantined | waiting
    call_id: str | None = None
    reason: str | None = None
    duration_s: float = 0.0


@dataclass
class Examined:
    """A complete call, read, hashed and checked without the catalogue (so in any thread)."""

    landed: LandedCall
    audio: bytes
    sha: str
    call: CallMetadata | None = None
    #: Metadata, date or clock: the call is quarantined before any duplicate check.
    rejected: str | None = None
    probe: AudioProbe | None = None
    #: Audio or ground truth: the call is quarantined unless it is a duplicate upload.
    late_rejection: str | None = None
    truth: list[TruthTurn] = field(default_factory=list)


def examine(
    store: ObjectStore,
    policy: RetentionPolicy,
    landed: LandedCall,
    from_manifest: CallMetadata | None,
    now: datetime,
) -> Examined:
    """Read, hash, parse and probe one complete call; the verdicts wait for the catalogue."""
    audio = store.get_bytes(landed.audio.key)
    ex = Examined(landed, audio, hashlib.sha256(audio).hexdigest())
    try:
        ex.call = (
            _check_date(from_manifest, landed)
            if from_manifest
            else _parse_metadata(
                landed.metadata.key, store.get_bytes(landed.metadata.key), landed, policy
            )
        )
        _check_clock(ex.call, now)
    except Rejected as exc:
        ex.rejected = str(exc)
        return ex
    try:
        ex.probe = _probe_matching(audio, ex.call)
        ex.truth = _parse_truth(store, landed)
    except Rejected as exc:
        ex.late_rejection = str(exc)
    return ex


def _parse_metadata(
    key: str, data: bytes, landed: LandedCall, policy: RetentionPolicy
) -> CallMetadata:
    """The canonical record, or a dialer's export through its adapter (by file suffix)."""
    try:
        dialer = split_metadata_name(key)[1]
        call = parse_metadata(key, data, policy.dialer_defaults(dialer))
    except MetadataError as exc:
        raise Rejected(str(exc)) from exc
    return _check_date(call, landed)


def _check_date(call: CallMetadata, landed: LandedCall) -> CallMetadata:
    if call.call_date != landed.landing_date:
        raise Rejected(
            f"call date {call.call_date} does not match landing folder {landed.landing_date}"
        )
    return call


def _check_clock(call: CallMetadata, now: datetime) -> None:
    """A call cannot have started (or ended) after it was recorded and landed: a timestamp more
    than CLOCK_SKEW_TOLERANCE past the time of ingestion is a wrong dialer clock or a wrong
    time zone, and would file the call under the wrong date."""
    latest = now + CLOCK_SKEW_TOLERANCE
    for name, value in (("started_at", call.started_at), ("ended_at", call.ended_at)):
        if value.astimezone(UTC) > latest:
            raise Rejected(
                f"{name} {value.isoformat()} is in the future (ingested at "
                f"{now.astimezone(UTC).isoformat(timespec='seconds')}): check the dialer's clock"
            )


def misfiled(landed: LandedCall) -> str | None:
    """Why the call's files cannot be taken as one call, or None."""
    if "/" in landed.stem:
        folder = landed.stem.rsplit("/", 1)[0]
        return (
            f"filed in a subfolder ({folder}/) of landing/{landed.landing_date.isoformat()}/: "
            "calls land directly in the date folder"
        )
    if landed.extra and (landed.audio or landed.metadata):
        names = ", ".join(obj.key.rsplit("/", 1)[-1] for obj in landed.extra)
        return (
            f"unexpected file(s) beside the call: {names} (a call is one audio file, "
            f"{'/'.join(sorted(SUPPORTED_EXTENSIONS))}, and one metadata file)"
        )
    return None


class Catalogued:
    """The call ids and audio hashes of a group that the catalogue already holds (one query for
    the whole group), plus the calls accepted earlier in the group, not yet catalogued."""

    def __init__(self, con: duckdb.DuckDBPyConnection, examined: list[Examined]) -> None:
        self.by_sha: dict[str, str] = {}
        self.ids: set[str] = set()
        calls = [ex for ex in examined if ex.call is not None]
        if not calls:
            return
        rows = con.execute(
            f"select call_id, sha256 from {RECORDINGS_TABLE} "
            "where list_contains(?, sha256) or list_contains(?, call_id)",
            [[ex.sha for ex in calls], [ex.call.call_id for ex in calls]],
        ).fetchall()
        for call_id, sha in rows:
            self.add(sha, call_id)

    def add(self, sha: str, call_id: str) -> None:
        self.by_sha.setdefault(sha, call_id)
        self.ids.add(call_id)


def already_ingested(known: Catalogued, call: CallMetadata, sha: str) -> str | None:
    """The call id this audio was already ingested under, when it is this call's."""
    same_content = known.by_sha.get(sha)
    if same_content == call.call_id:
        return same_content
    if same_content:
        raise Rejected(
            f"audio is identical to call {same_content!r} but the metadata says {call.call_id!r}"
        )
    if call.call_id in known.ids:
        raise Rejected(f"call id {call.call_id!r} was already ingested with different audio")
    return None


def _probe_matching(audio: bytes, call: CallMetadata) -> AudioProbe:
    try:
        probe = probe_audio(audio)
    except InvalidAudio as exc:
        raise Rejected(f"audio invalid: {exc}") from exc
    expected = 2 if call.recording_mode is RecordingMode.STEREO else 1
    if probe.channels != expected:
        raise Rejected(
            f"recording mode {call.recording_mode.value!r} needs {expected} channel(s), "
            f"the file has {probe.channels}"
        )
    return probe


def _parse_truth(store: ObjectStore, landed: LandedCall) -> list[TruthTurn]:
    if landed.truth is None:
        return []
    try:
        return _TRUTH.validate_json(store.get_bytes(landed.truth.key))
    except ValidationError as exc:
        raise Rejected(f"ground-truth file invalid: {exc.errors()[0]['msg']}") from exc
