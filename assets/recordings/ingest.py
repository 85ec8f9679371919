"""Ingest one landed call: validate, hash, probe, store, catalogue; or quarantine with a reason."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl
from pydantic import TypeAdapter, ValidationError

from assets.consent.basis import decide_track_bases
from assets.recordings.dialers.base import MetadataError
from assets.recordings.dialers.registry import parse_manifest, parse_metadata, split_metadata_name
from assets.recordings.landing import LandedCall, landing_prefix, list_landing
from assets.recordings.metadata import CallMetadata, RecordingMode, TruthTurn
from assets.recordings.probe import AudioProbe, InvalidAudio, probe_audio
from assets.retention.deletion import delete_object
from assets.retention.ledger import CUSTOMER_AUDIO, StoredObject, register
from assets.retention.policy import RetentionPolicy
from orchestration.storage import ObjectInfo, ObjectStore
from orchestration.warehouse import upsert

#: Files still arriving are left alone this long before an incomplete call is quarantined.
IN_FLIGHT_GRACE = timedelta(hours=1)

RECORDINGS_TABLE = "raw.recordings"
QUARANTINE_TABLE = "raw.quarantine"
TRUTH_TABLE = "raw.truth_turns"

RECORDINGS_SCHEMA = pl.Schema(
    {
        "call_id": pl.String,
        "call_date": pl.Date,
        "dialer": pl.String,
        "direction": pl.String,
        "started_at": pl.Datetime("us", "UTC"),
        "ended_at": pl.Datetime("us", "UTC"),
        "agent_id": pl.String,
        "team": pl.String,
        "campaign": pl.String,
        "customer_number": pl.String,
        "language": pl.String,
        "recording_mode": pl.String,
        "agent_channel": pl.Int8,
        "outcome": pl.String,
        "nps": pl.Int8,
        "lia_reference": pl.String,
        "metadata_json": pl.String,
        "object_key": pl.String,
        "sha256": pl.String,
        "size_bytes": pl.Int64,
        "format": pl.String,
        "duration_s": pl.Float64,
        "channels": pl.Int8,
        "sample_rate": pl.Int32,
        "ingested_at": pl.Datetime("us", "UTC"),
    }
)

QUARANTINE_SCHEMA = pl.Schema(
    {
        "landing_key": pl.String,
        "quarantine_key": pl.String,
        "call_date": pl.Date,
        "stem": pl.String,
        "reason": pl.String,
        "sha256": pl.String,
        "quarantined_at": pl.Datetime("us", "UTC"),
    }
)

TRUTH_SCHEMA = pl.Schema(
    {
        "call_id": pl.String,
        "call_date": pl.Date,
        "turn_index": pl.Int32,
        "speaker": pl.String,
        "start_s": pl.Float64,
        "end_s": pl.Float64,
        "text": pl.String,
    }
)

CATALOGUE_TABLES = {
    RECORDINGS_TABLE: RECORDINGS_SCHEMA,
    QUARANTINE_TABLE: QUARANTINE_SCHEMA,
    TRUTH_TABLE: TRUTH_SCHEMA,
}

_TRUTH = TypeAdapter(list[TruthTurn])


class Rejected(Exception):
    """The call cannot be ingested; the message is the quarantine reason."""


@dataclass(frozen=True)
class IngestOutcome:
    stem: str
    status: str  # ingested | duplicate | quarantined | waiting
    call_id: str | None = None
    reason: str | None = None
    duration_s: float = 0.0


def raw_key(call: CallMetadata, ext: str) -> str:
    return f"raw/{call.call_date.isoformat()}/{call.call_id}/recording.{ext}"


def ingest_landed_call(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    landed: LandedCall,
    now: datetime | None = None,
    *,
    from_manifest: CallMetadata | None = None,
) -> IngestOutcome:
    """Ingest one call; ``from_manifest`` is its record when a generic manifest described it."""
    now = now or datetime.now(UTC)
    if landed.audio is None or (landed.metadata is None and from_manifest is None):
        if now - landed.newest < IN_FLIGHT_GRACE:
            return IngestOutcome(landed.stem, "waiting", reason="audio or metadata not landed yet")
        missing = "audio" if landed.audio is None else "metadata"
        return _quarantine(store, con, policy, landed, f"no {missing} file beside it", now)
    audio = store.get_bytes(landed.audio.key)
    sha = hashlib.sha256(audio).hexdigest()
    try:
        call = (
            _check_date(from_manifest, landed)
            if from_manifest
            else _parse_metadata(
                landed.metadata.key, store.get_bytes(landed.metadata.key), landed, policy
            )
        )
        duplicate_of = _already_ingested(con, call, sha)
        if duplicate_of:
            _release_landing(store, con, policy, landed, f"duplicate upload of {duplicate_of}", now)
            return IngestOutcome(landed.stem, "duplicate", call.call_id, f"same as {duplicate_of}")
        probe = _probe_matching(audio, call)
        truth = _parse_truth(store, landed)
    except Rejected as exc:
        return _quarantine(store, con, policy, landed, str(exc), now)

    ext = landed.audio.key.rsplit(".", 1)[1].lower()
    key = raw_key(call, ext)
    put = store.put_bytes(key, audio, content_type=f"audio/{ext}")
    if put.sha256 != sha:
        raise RuntimeError(f"checksum changed while storing {key}")
    customer = decide_track_bases(call, policy)[1]
    holds_customer_voice = call.recording_mode is not RecordingMode.AGENT_ONLY
    object_class = CUSTOMER_AUDIO if holds_customer_voice else "agent_audio"
    basis = customer.legal_basis if holds_customer_voice else "contract"
    purposes = customer.purposes if holds_customer_voice else policy.default_purposes
    register(
        con,
        StoredObject(
            object_key=key,
            call_id=call.call_id,
            call_date=call.call_date,
            kind="raw_recording",
            object_class=object_class,
            legal_basis=basis,
            purposes=purposes,
            sha256=sha,
            size_bytes=len(audio),
            created_at=now,
            deadline=policy.deadline(object_class, basis, now),
        ),
    )
    upsert(
        con, RECORDINGS_TABLE, _recording_row(call, key, sha, len(audio), probe, now), ["call_id"]
    )
    upsert(con, TRUTH_TABLE, _truth_rows(call, truth), ["call_id"])
    _release_landing(store, con, policy, landed, f"moved to {key} (sha256 verified)", now)
    return IngestOutcome(landed.stem, "ingested", call.call_id, duration_s=probe.duration_s)


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


def _already_ingested(con: duckdb.DuckDBPyConnection, call: CallMetadata, sha: str) -> str | None:
    same_content = con.execute(
        f"select call_id from {RECORDINGS_TABLE} where sha256 = ? limit 1", [sha]
    ).fetchone()
    if same_content and same_content[0] == call.call_id:
        return same_content[0]
    if same_content:
        raise Rejected(
            f"audio is identical to call {same_content[0]!r} but the metadata says {call.call_id!r}"
        )
    same_id = con.execute(
        f"select sha256 from {RECORDINGS_TABLE} where call_id = ?", [call.call_id]
    ).fetchone()
    if same_id:
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


def _recording_row(
    call: CallMetadata, key: str, sha: str, size: int, probe: AudioProbe, now: datetime
) -> pl.DataFrame:
    row = {
        "call_id": call.call_id,
        "call_date": call.call_date,
        "dialer": call.dialer,
        "direction": call.direction.value,
        "started_at": call.started_at,
        "ended_at": call.ended_at,
        "agent_id": call.agent_id,
        "team": call.team,
        "campaign": call.campaign,
        "customer_number": call.customer_number,
        "language": call.language,
        "recording_mode": call.recording_mode.value,
        "agent_channel": call.agent_channel,
        "outcome": call.outcome,
        "nps": call.nps,
        "lia_reference": call.lia_reference,
        "metadata_json": call.model_dump_json(),
        "object_key": key,
        "sha256": sha,
        "size_bytes": size,
        "format": probe.format,
        "duration_s": probe.duration_s,
        "channels": probe.channels,
        "sample_rate": probe.sample_rate,
        "ingested_at": now,
    }
    return pl.DataFrame([row], schema=RECORDINGS_SCHEMA)


def _truth_rows(call: CallMetadata, truth: list[TruthTurn]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "call_id": call.call_id,
                "call_date": call.call_date,
                "turn_index": i,
                "speaker": t.speaker,
                "start_s": t.start,
                "end_s": t.end,
                "text": t.text,
            }
            for i, t in enumerate(truth)
        ],
        schema=TRUTH_SCHEMA,
    )


def _register_landing(
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    obj: ObjectInfo,
    landed: LandedCall,
    now: datetime,
) -> None:
    register(
        con,
        StoredObject(
            object_key=obj.key,
            call_id=None,
            call_date=landed.landing_date,
            kind="landing",
            object_class="landing",
            legal_basis="in_transit",
            purposes=["ingestion"],
            sha256=None,
            size_bytes=obj.size,
            created_at=obj.modified_at,
            deadline=policy.deadline("landing", "in_transit", obj.modified_at),
        ),
    )


def _release_landing(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    landed: LandedCall,
    reason: str,
    now: datetime,
) -> None:
    """Remove the landing copies once their content is safe elsewhere, with receipts."""
    for obj in landed.objects:
        _register_landing(con, policy, obj, landed, now)
        delete_object(store, con, obj.key, reason, now=now)


def _quarantine(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    landed: LandedCall,
    reason: str,
    now: datetime,
) -> IngestOutcome:
    rows = []
    for obj in landed.objects:
        data = store.get_bytes(obj.key)
        name = obj.key.rsplit("/", 1)[-1]
        # The content hash in the key keeps two bad uploads of one name from overwriting each other.
        digest = hashlib.sha256(data).hexdigest()[:16]
        key = f"quarantine/{landed.landing_date.isoformat()}/{digest}/{name}"
        put = store.put_bytes(key, data)
        register(
            con,
            StoredObject(
                object_key=key,
                call_id=None,
                call_date=landed.landing_date,
                kind="quarantined_file",
                object_class="quarantine",
                legal_basis="legitimate_interest",
                purposes=["ingestion_review"],
                sha256=put.sha256,
                size_bytes=put.size,
                created_at=now,
                deadline=policy.deadline("quarantine", "legitimate_interest", now),
            ),
        )
        rows.append(
            {
                "landing_key": obj.key,
                "quarantine_key": key,
                "call_date": landed.landing_date,
                "stem": landed.stem,
                "reason": reason,
                "sha256": put.sha256,
                "quarantined_at": now,
            }
        )
    upsert(con, QUARANTINE_TABLE, pl.DataFrame(rows, schema=QUARANTINE_SCHEMA), ["landing_key"])
    _release_landing(store, con, policy, landed, f"moved to quarantine: {reason}", now)
    return IngestOutcome(landed.stem, "quarantined", reason=reason)


def ingest_day(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    day,
    now: datetime | None = None,
    on_outcome=None,
) -> list[IngestOutcome]:
    """Ingest everything landed for one day: sidecar calls, and calls a manifest describes."""
    now = now or datetime.now(UTC)
    calls, manifests = list_landing(store, day)
    described: dict[str, CallMetadata] = {}
    parsed_manifests: list[tuple[ObjectInfo, list[tuple[str, CallMetadata]]]] = []
    outcomes = []
    for manifest in manifests:
        name = manifest.key.rsplit("/", 1)[-1]
        try:
            entries = parse_manifest(
                manifest.key, store.get_bytes(manifest.key), policy.dialer_defaults("generic")
            )
        except MetadataError as exc:
            alone = LandedCall(name, day, extra=[manifest])
            outcomes.append(_quarantine(store, con, policy, alone, str(exc), now))
            continue
        described.update(entries)
        parsed_manifests.append((manifest, entries))
    for landed in calls:
        audio_name = landed.audio.key.rsplit("/", 1)[-1] if landed.audio else None
        record = described.get(audio_name) if landed.metadata is None else None
        outcome = ingest_landed_call(store, con, policy, landed, now, from_manifest=record)
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(landed, outcome)
    # A manifest leaves the landing area once every call it names is catalogued or quarantined.
    for manifest, entries in parsed_manifests:
        missing = [audio for audio, call in entries if not _accounted_for(con, day, audio, call)]
        whole = LandedCall(manifest.key.rsplit("/", 1)[-1], day, extra=[manifest])
        if not missing:
            reason = f"all {len(entries)} calls it describes were ingested or quarantined"
            _release_landing(store, con, policy, whole, reason, now)
        elif now - manifest.modified_at >= IN_FLIGHT_GRACE:
            reason = f"audio never arrived for {', '.join(sorted(missing))}"
            outcomes.append(_quarantine(store, con, policy, whole, reason, now))
    return outcomes


def _accounted_for(con: duckdb.DuckDBPyConnection, day, audio: str, call: CallMetadata) -> bool:
    catalogued = con.execute(
        f"select 1 from {RECORDINGS_TABLE} where call_id = ?", [call.call_id]
    ).fetchone()
    quarantined = con.execute(
        f"select 1 from {QUARANTINE_TABLE} where landing_key = ?",
        [f"{landing_prefix(day)}{audio}"],
    ).fetchone()
    return bool(catalogued or quarantined)
