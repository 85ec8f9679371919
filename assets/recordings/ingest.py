"""Ingest one landed call: validate, hash, probe, store, catalogue; or quarantine with a reason."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl
from pydantic import TypeAdapter, ValidationError

from assets.common.storage import ObjectInfo, ObjectStore
from assets.common.warehouse import upsert
from assets.consent.basis import decide_track_bases
from assets.recordings.dialers.base import MetadataError
from assets.recordings.dialers.registry import parse_manifest, parse_metadata, split_metadata_name
from assets.recordings.landing import LandedCall, landing_prefix, list_landing, unaddressable
from assets.recordings.metadata import CallMetadata, RecordingMode, TruthTurn
from assets.recordings.probe import SUPPORTED_EXTENSIONS, AudioProbe, InvalidAudio, probe_audio
from assets.retention.deletion import delete_objects
from assets.retention.ledger import CUSTOMER_AUDIO, StoredObject, register_many
from assets.retention.policy import RetentionPolicy

#: Files still arriving are left alone this long before an incomplete call is quarantined.
IN_FLIGHT_GRACE = timedelta(hours=1)
#: A call starting (or ending) later than this after the time of ingestion is clock skew.
CLOCK_SKEW_TOLERANCE = timedelta(hours=1)
#: Calls ingested together (one catalogue transaction per step), and the most audio a group
#: holds in memory (a single bigger call still goes alone); two groups are in memory at once.
GROUP_CALLS = 32
GROUP_BYTES = 128 * 1024 * 1024
#: Threads reading, hashing, probing and storing audio: hashing, decoding and storage I/O
#: release the GIL, so they overlap each other and the catalogue writes.
IO_THREADS = 4

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
    begun = _begin_group(store, con, policy, [(landed, from_manifest)], now)
    return _finish_group(store, con, policy, begun, now)[0]


@dataclass
class _Examined:
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


@dataclass
class _Group:
    """Calls ingested together: those settled at once, and those being examined."""

    size: int
    outcomes: dict[int, IngestOutcome]
    complete: list[tuple[int, LandedCall, CallMetadata | None]]
    examining: list[Future | _Examined]
    #: Calls to store, with their raw object's ledger row; the writes under way.
    accepted: list[tuple[_Examined, StoredObject]] = field(default_factory=list)
    puts: list[Future] = field(default_factory=list)
    #: Calls whose landing files go once the catalogue has them, and why.
    releases: list[tuple[LandedCall, str]] = field(default_factory=list)


def _begin_group(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    calls: list[tuple[LandedCall, CallMetadata | None]],
    now: datetime,
    pool: ThreadPoolExecutor | None = None,
) -> _Group:
    """Settle the calls that cannot be examined; start examining the others (in ``pool``, where
    reading, hashing and probing release the GIL, while the previous group is catalogued)."""
    group = _Group(len(calls), {}, [], [])
    for i, (landed, record) in enumerate(calls):
        settled = _settle_incomplete(store, con, policy, landed, record, now)
        if settled:
            group.outcomes[i] = settled
        else:
            group.complete.append((i, landed, record))
    for _, landed, record in group.complete:
        if pool:
            group.examining.append(pool.submit(_examine, store, policy, landed, record, now))
        else:
            group.examining.append(_examine(store, policy, landed, record, now))
    return group


def _finish_group(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    group: _Group,
    now: datetime,
    pool: ThreadPoolExecutor | None = None,
) -> list[IngestOutcome]:
    """Decide, store, catalogue and release a group; the outcomes come in the calls' order.
    (``ingest_day`` runs the same steps, with one group's release beside the next one's puts.)
    """
    _decide_and_store(store, con, policy, group, now, pool)
    _catalogue(con, policy, group, now)
    return _release(store, con, policy, group, now)


def _decide_and_store(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    group: _Group,
    now: datetime,
    pool: ThreadPoolExecutor | None = None,
) -> None:
    """Quarantine the calls that fail, recognise the duplicates, register the rest in the ledger
    and start writing their audio to raw/.

    The catalogue is written in one transaction per step for the whole group, since each
    commit flushes DuckDB's log to disk (per call, the commits were most of the time), and the
    steps keep the order that makes a crash safe: ledger rows before raw objects, raw objects
    before catalogue rows, catalogue rows before the landing files go."""
    outcomes = group.outcomes
    examined = [e.result() if isinstance(e, Future) else e for e in group.examining]
    known = _Catalogued(con, examined)
    for (i, landed, _), ex in zip(group.complete, examined, strict=True):
        try:
            if ex.rejected:
                raise Rejected(ex.rejected)
            duplicate_of = _already_ingested(known, ex.call, ex.sha)
            if duplicate_of:
                group.releases.append((landed, f"duplicate upload of {duplicate_of}"))
                outcomes[i] = IngestOutcome(
                    landed.stem, "duplicate", ex.call.call_id, f"same as {duplicate_of}"
                )
                continue
            if ex.late_rejection:
                raise Rejected(ex.late_rejection)
        except Rejected as exc:
            outcomes[i] = _quarantine(store, con, policy, landed, str(exc), now)
            continue
        known.add(ex.sha, ex.call.call_id)
        obj = _raw_object(ex, policy, now)
        group.accepted.append((ex, obj))
        group.releases.append((landed, f"moved to {obj.object_key} (sha256 verified)"))
        outcomes[i] = IngestOutcome(
            landed.stem, "ingested", ex.call.call_id, duration_s=ex.probe.duration_s
        )
    group.examining = []
    if not group.accepted:
        return
    # The ledger rows come first: a crash before the objects are written leaves registered
    # keys (which the rerun writes, or the sweep closes at their deadline), never audio the
    # ledger does not know.
    with _transaction(con):
        register_many(con, [obj for _, obj in group.accepted])
    for ex, obj in group.accepted:
        if pool:
            group.puts.append(pool.submit(_store_raw, store, ex, obj.object_key))
        else:
            _store_raw(store, ex, obj.object_key)


def _catalogue(
    con: duckdb.DuckDBPyConnection, policy: RetentionPolicy, group: _Group, now: datetime
) -> None:
    """Once the audio is stored, the catalogue rows, which mark the calls as ingested (a rerun
    after a crash before them ingests the calls again: same keys, same content); the landing
    files to release are registered with them."""
    for put in group.puts:
        put.result()
    if not group.releases:
        return
    with _transaction(con):
        if group.accepted:
            truth = [_truth_rows(ex.call, ex.truth) for ex, _ in group.accepted]
            upsert(con, TRUTH_TABLE, pl.concat(truth), ["call_id"])
            rows = [
                _recording_row(ex.call, obj.object_key, ex.sha, len(ex.audio), ex.probe, now)
                for ex, obj in group.accepted
            ]
            upsert(con, RECORDINGS_TABLE, pl.concat(rows), ["call_id"])
        register_many(
            con,
            [
                _landing_object(policy, landing_obj, landed)
                for landed, _ in group.releases
                for landing_obj in landed.objects
            ],
        )
    group.accepted = []  # the audio is safe: let it go


def _release(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    group: _Group,
    now: datetime,
) -> list[IngestOutcome]:
    """Remove the landing files of the stored and duplicate calls, with receipts: in one
    transaction, so a crash half-way leaves landing keys alive in the ledger but gone from the
    store, which the next run records (_finish_interrupted_releases)."""
    if group.releases:
        deletions = [
            (obj.key, reason) for landed, reason in group.releases for obj in _release_order(landed)
        ]
        with _transaction(con):
            delete_objects(store, con, deletions, now=now)
    return [group.outcomes[i] for i in range(group.size)]


def _settle_incomplete(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    landed: LandedCall,
    from_manifest: CallMetadata | None,
    now: datetime,
) -> IngestOutcome | None:
    """The outcome of a call that cannot be examined as it is (a name the store refuses, files
    missing or misfiled), or None for a complete call."""
    unreadable = next(filter(None, (unaddressable(obj.key) for obj in landed.objects)), None)
    if unreadable:
        # The store cannot read, copy or delete it: only renaming it in landing/ can help.
        return IngestOutcome(
            landed.stem, "waiting", reason=f"left in landing: {unreadable}; rename it"
        )
    incomplete = landed.audio is None or (landed.metadata is None and from_manifest is None)
    if incomplete:
        handled = _handled_before(store, con, landed)
        if handled:
            # What an interrupted run left behind after it stored this call: finish releasing it.
            _release_landing(store, con, policy, landed, handled.reason, now)
            return handled
    misfiled = _misfiled(landed)
    if misfiled:
        return _quarantine(store, con, policy, landed, misfiled, now)
    if incomplete:
        if now - landed.newest < IN_FLIGHT_GRACE:
            return IngestOutcome(landed.stem, "waiting", reason="audio or metadata not landed yet")
        missing = "audio" if landed.audio is None else "metadata"
        return _quarantine(store, con, policy, landed, f"no {missing} file beside it", now)
    return None


def _examine(
    store: ObjectStore,
    policy: RetentionPolicy,
    landed: LandedCall,
    from_manifest: CallMetadata | None,
    now: datetime,
) -> _Examined:
    """Read, hash, parse and probe one complete call; the verdicts wait for the catalogue."""
    audio = store.get_bytes(landed.audio.key)
    ex = _Examined(landed, audio, hashlib.sha256(audio).hexdigest())
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


def _raw_object(ex: _Examined, policy: RetentionPolicy, now: datetime) -> StoredObject:
    """The ledger row of a call's raw recording: class, basis, purposes and deadline."""
    call = ex.call
    ext = ex.landed.audio.key.rsplit(".", 1)[1].lower()
    customer = decide_track_bases(call, policy)[1]
    holds_customer_voice = call.recording_mode is not RecordingMode.AGENT_ONLY
    object_class = CUSTOMER_AUDIO if holds_customer_voice else "agent_audio"
    basis = customer.legal_basis if holds_customer_voice else "contract"
    purposes = customer.purposes if holds_customer_voice else policy.default_purposes
    return StoredObject(
        object_key=raw_key(call, ext),
        call_id=call.call_id,
        call_date=call.call_date,
        kind="raw_recording",
        object_class=object_class,
        legal_basis=basis,
        purposes=purposes,
        sha256=ex.sha,
        size_bytes=len(ex.audio),
        created_at=now,
        deadline=policy.deadline(object_class, basis, now),
    )


def _store_raw(store: ObjectStore, ex: _Examined, key: str) -> None:
    ext = key.rsplit(".", 1)[1]
    # The bytes hashed in _examine are the bytes written: hashing them again proves nothing.
    store.put_bytes(key, ex.audio, content_type=f"audio/{ext}", sha256=ex.sha)


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One commit for everything inside (``delete_object`` joins it rather than commit)."""
    con.begin()
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    con.commit()


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


def _misfiled(landed: LandedCall) -> str | None:
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


class _Catalogued:
    """The call ids and audio hashes of a group that the catalogue already holds (one query for
    the whole group), plus the calls accepted earlier in the group, not yet catalogued."""

    def __init__(self, con: duckdb.DuckDBPyConnection, examined: list[_Examined]) -> None:
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


def _already_ingested(known: _Catalogued, call: CallMetadata, sha: str) -> str | None:
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


def _landing_object(policy: RetentionPolicy, obj: ObjectInfo, landed: LandedCall) -> StoredObject:
    """The ledger row of a landing file, registered just before it is released."""
    return StoredObject(
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
    )


def _release_landing(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    landed: LandedCall,
    reason: str,
    now: datetime,
) -> None:
    """Register the landing copies and remove them once their content is safe elsewhere, with
    receipts.

    The audio goes last: if the run stops half-way, the audio is still there and the rerun
    recognises it by its hash (see ``_handled_before``) and releases what is left."""
    objects = _release_order(landed)
    register_many(con, [_landing_object(policy, obj, landed) for obj in objects])
    delete_objects(store, con, [(obj.key, reason) for obj in objects], now=now)


def _release_order(landed: LandedCall) -> list[ObjectInfo]:
    """A call's landing files in the order they are released: the audio last."""
    first = [obj for obj in landed.objects if obj is not landed.audio]
    return [*first, landed.audio] if landed.audio else first


def _handled_before(
    store: ObjectStore, con: duckdb.DuckDBPyConnection, landed: LandedCall
) -> IngestOutcome | None:
    """The outcome of an earlier run that stored this call but stopped while releasing its
    landing files: every file left was already quarantined as it is, or the audio left is
    catalogued (same SHA-256) under this call id. Files are read only when the catalogue
    names a candidate, so a call that is simply still arriving costs no download."""

    def sha256(obj: ObjectInfo) -> str:
        return hashlib.sha256(store.get_bytes(obj.key)).hexdigest()

    quarantined = [
        con.execute(
            f"select quarantine_key, reason, sha256 from {QUARANTINE_TABLE} where landing_key = ?",
            [obj.key],
        ).fetchone()
        for obj in landed.objects
    ]
    if (
        quarantined
        and all(quarantined)
        and all(q[2] == sha256(obj) for q, obj in zip(quarantined, landed.objects, strict=True))
    ):
        keys = ", ".join(q[0] for q in quarantined)
        return IngestOutcome(
            landed.stem, "quarantined", reason=f"already moved to {keys}: {quarantined[0][1]}"
        )
    if landed.audio is None:
        return None
    ingested = con.execute(
        f"select call_id, object_key, sha256 from {RECORDINGS_TABLE} where call_id = ?",
        [landed.stem],
    ).fetchone()
    if ingested is None or ingested[2] != sha256(landed.audio):
        return None
    return IngestOutcome(
        landed.stem, "duplicate", ingested[0], f"rest of a call already moved to {ingested[1]}"
    )


def _quarantine(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    landed: LandedCall,
    reason: str,
    now: datetime,
) -> IngestOutcome:
    copies = []
    for obj in landed.objects:
        data = store.get_bytes(obj.key)
        sha = hashlib.sha256(data).hexdigest()
        name = obj.key.rsplit("/", 1)[-1]
        # The content hash in the key keeps two bad uploads of one name from overwriting each other.
        key = f"quarantine/{landed.landing_date.isoformat()}/{sha[:16]}/{name}"
        copies.append((obj, key, data, sha))
    # Registered before they are written, as raw audio is: the ledger knows every key first.
    register_many(
        con,
        [
            StoredObject(
                object_key=key,
                call_id=None,
                call_date=landed.landing_date,
                kind="quarantined_file",
                object_class="quarantine",
                legal_basis="legitimate_interest",
                purposes=["ingestion_review"],
                sha256=sha,
                size_bytes=len(data),
                created_at=now,
                deadline=policy.deadline("quarantine", "legitimate_interest", now),
            )
            for _, key, data, sha in copies
        ],
    )
    rows = []
    for obj, key, data, sha in copies:
        put = store.put_bytes(key, data, sha256=sha)
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
    _finish_interrupted_releases(store, con, day, calls, manifests, now)
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
    work = []
    for landed in calls:
        # Relative to the date folder: a file in a subfolder is no file a manifest names.
        audio_name = landed.audio.key.removeprefix(landing_prefix(day)) if landed.audio else None
        work.append((landed, described.get(audio_name) if landed.metadata is None else None))
    groups = list(_groups(work))

    def release(calls_in_group, group):
        finished = _release(store, con, policy, group, now)
        for (landed, _), outcome in zip(calls_in_group, finished, strict=True):
            outcomes.append(outcome)
            if on_outcome:
                on_outcome(landed, outcome)

    # A pipeline: while one group's audio is written to raw/, the group before it is released
    # and the group after it is read, hashed and probed (in the pool); the catalogue writes
    # stay in this thread, in the order that keeps a crash safe.
    with ThreadPoolExecutor(IO_THREADS, thread_name_prefix="ingest") as pool:
        begun = _begin_group(store, con, policy, groups[0], now, pool) if groups else None
        previous = None
        for k, calls_in_group in enumerate(groups):
            group = begun
            if k + 1 < len(groups):
                begun = _begin_group(store, con, policy, groups[k + 1], now, pool)
            _decide_and_store(store, con, policy, group, now, pool)
            if previous:
                release(*previous)
            _catalogue(con, policy, group, now)
            previous = (calls_in_group, group)
        if previous:
            release(*previous)
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


def _groups(
    work: list[tuple[LandedCall, CallMetadata | None]],
) -> Iterator[list[tuple[LandedCall, CallMetadata | None]]]:
    """The calls in groups of at most GROUP_CALLS calls and (but for a single big call)
    GROUP_BYTES of audio, in their order."""
    group: list[tuple[LandedCall, CallMetadata | None]] = []
    size = 0
    for item in work:
        audio_size = item[0].audio.size if item[0].audio else 0
        if group and (len(group) >= GROUP_CALLS or size + audio_size > GROUP_BYTES):
            yield group
            group, size = [], 0
        group.append(item)
        size += audio_size
    if group:
        yield group


def _finish_interrupted_releases(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    day,
    calls: list[LandedCall],
    manifests: list[ObjectInfo],
    now: datetime,
) -> None:
    """A landing file is registered only just before it is released, so a registered landing
    key that is alive in the ledger but gone from the store is a release that stopped between
    removing the file and recording it: record it now, with its receipt."""
    present = {obj.key for call in calls for obj in call.objects} | {m.key for m in manifests}
    alive = con.execute(
        "select object_key from raw.stored_objects where kind = 'landing' "
        "and deleted_at is null and starts_with(object_key, ?) order by object_key",
        [landing_prefix(day)],
    ).fetchall()
    reason = "release completed after an interrupted run (the file was already removed)"
    gone = [key for (key,) in alive if key not in present and store.stat(key) is None]
    if gone:
        delete_objects(store, con, [(key, reason) for key in gone], now=now)


def _accounted_for(con: duckdb.DuckDBPyConnection, day, audio: str, call: CallMetadata) -> bool:
    catalogued = con.execute(
        f"select 1 from {RECORDINGS_TABLE} where call_id = ?", [call.call_id]
    ).fetchone()
    quarantined = con.execute(
        f"select 1 from {QUARANTINE_TABLE} where landing_key = ?",
        [f"{landing_prefix(day)}{audio}"],
    ).fetchone()
    return bool(catalogued or quarantined)
