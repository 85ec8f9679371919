"""Ingesting a day's landed calls in groups: examine, decide, store, _catalogue and release,
with one group's audio written while the next is read and the one before is released."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import polars as pl

from assets.common.storage import ObjectInfo, ObjectStore, PutResult
from assets.common.warehouse import transaction, upsert
from assets.consent.basis import decide_track_bases
from assets.recordings.dialers.base import MetadataError
from assets.recordings.dialers.registry import parse_manifest
from assets.recordings.ingest.quarantine import IN_FLIGHT_GRACE, quarantine, settle_incomplete
from assets.recordings.ingest.release import (
    accounted_for,
    finish_interrupted_releases,
    landing_object,
    release_landing,
    release_order,
)
from assets.recordings.ingest.tables import (
    RECORDINGS_TABLE,
    TRUTH_TABLE,
    raw_key,
    recording_row,
    truth_rows,
)
from assets.recordings.ingest.validation import (
    Catalogued,
    Examined,
    IngestOutcome,
    IngestRun,
    Rejected,
    already_ingested,
    examine,
)
from assets.recordings.landing import LandedCall, landing_prefix, list_landing
from assets.recordings.metadata import CallMetadata, RecordingMode
from assets.retention.call_metadata import register_call_metadata
from assets.retention.deletion import delete_objects
from assets.retention.ledger import CUSTOMER_AUDIO, StoredObject, confirm_many, register_many
from assets.retention.policy import RetentionPolicy

#: Calls ingested together (one _catalogue transaction per step), and the most audio a group
#: holds in memory (a single bigger call still goes alone); two groups are in memory at once.
GROUP_CALLS = 32
GROUP_BYTES = 128 * 1024 * 1024
#: Threads reading, hashing, probing and storing audio: hashing, decoding and storage I/O
#: release the GIL, so they overlap each other and the _catalogue writes.
IO_THREADS = 4


@dataclass
class _Group:
    """Calls ingested together: those settled at once, and those being examined."""

    size: int
    outcomes: dict[int, IngestOutcome]
    complete: list[tuple[int, LandedCall, CallMetadata | None]]
    examining: list[Future | Examined]
    #: Calls to store, with their raw object's ledger row; the writes under way.
    accepted: list[tuple[Examined, StoredObject]] = field(default_factory=list)
    puts: list[Future | PutResult] = field(default_factory=list)
    #: Calls whose landing files go once the _catalogue has them, and why.
    releases: list[tuple[LandedCall, str]] = field(default_factory=list)


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
    run = IngestRun(store, con, policy, now or datetime.now(UTC))
    # The steps of ``ingest_day`` for a group of one, in order and without the pool.
    group = _begin_group(run, [(landed, from_manifest)])
    _decide_and_store(run, group)
    _catalogue(run, group)
    return _release_group(run, group)[0]


def _begin_group(
    run: IngestRun,
    calls: list[tuple[LandedCall, CallMetadata | None]],
    pool: ThreadPoolExecutor | None = None,
) -> _Group:
    """Settle the calls that cannot be examined; start examining the others (in ``pool``, where
    reading, hashing and probing release the GIL, while the previous group is catalogued)."""
    group = _Group(len(calls), {}, [], [])
    for i, (landed, record) in enumerate(calls):
        settled = settle_incomplete(run, landed, record)
        if settled:
            group.outcomes[i] = settled
        else:
            group.complete.append((i, landed, record))
    for _, landed, record in group.complete:
        if pool:
            group.examining.append(
                pool.submit(examine, run.store, run.policy, landed, record, run.now)
            )
        else:
            group.examining.append(examine(run.store, run.policy, landed, record, run.now))
    return group


def _decide_and_store(
    run: IngestRun, group: _Group, pool: ThreadPoolExecutor | None = None
) -> None:
    """Quarantine the calls that fail, recognise the duplicates, register the rest in the ledger
    and start writing their audio to raw/.

    The _catalogue is written in one transaction per step for the whole group, since each
    commit flushes DuckDB's log to disk (per call, the commits were most of the time), and the
    steps keep the order that makes a crash safe: ledger rows before raw objects, raw objects
    before _catalogue rows, _catalogue rows before the landing files go."""
    outcomes = group.outcomes
    examined = [e.result() if isinstance(e, Future) else e for e in group.examining]
    known = Catalogued(run.con, examined)
    for (i, landed, _), ex in zip(group.complete, examined, strict=True):
        try:
            if ex.rejected:
                raise Rejected(ex.rejected)
            duplicate_of = already_ingested(known, ex.call, ex.sha)
            if duplicate_of:
                group.releases.append((landed, f"duplicate upload of {duplicate_of}"))
                outcomes[i] = IngestOutcome(
                    landed.stem, "duplicate", ex.call.call_id, f"same as {duplicate_of}"
                )
                continue
            if ex.late_rejection:
                raise Rejected(ex.late_rejection)
        except Rejected as exc:
            outcomes[i] = quarantine(run, landed, str(exc))
            continue
        known.add(ex.sha, ex.call.call_id)
        obj = _raw_object(ex, run.policy, run.now)
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
    with transaction(run.con):
        register_many(run.con, [obj for _, obj in group.accepted])
    for ex, obj in group.accepted:
        if pool:
            group.puts.append(pool.submit(_store_raw, run.store, ex, obj.object_key))
        else:
            group.puts.append(_store_raw(run.store, ex, obj.object_key))


def _catalogue(run: IngestRun, group: _Group) -> None:
    """Once the audio is stored, the _catalogue rows, which mark the calls as ingested (a rerun
    after a crash before them ingests the calls again: same keys, same content); the landing
    files to release are registered with them."""
    con, policy = run.con, run.policy
    puts = [put.result() if isinstance(put, Future) else put for put in group.puts]
    if not group.releases:
        return
    with transaction(con):
        confirm_many(con, puts)
        if group.accepted:
            truth = [truth_rows(ex.call, ex.truth) for ex, _ in group.accepted]
            upsert(con, TRUTH_TABLE, pl.concat(truth), ["call_id"])
            rows = [
                recording_row(ex.call, obj.object_key, ex.sha, len(ex.audio), ex.probe, run.now)
                for ex, obj in group.accepted
            ]
            upsert(con, RECORDINGS_TABLE, pl.concat(rows), ["call_id"])
            # The rows' own ledger entry, in the same commit: no catalogued call without one.
            register_call_metadata(con, policy, run.now)
        register_many(
            con,
            [
                landing_object(policy, landing_obj, landed)
                for landed, _ in group.releases
                for landing_obj in landed.objects
            ],
        )
    group.accepted, group.puts = [], []  # the audio is safe: let it go


def _release_group(run: IngestRun, group: _Group) -> list[IngestOutcome]:
    """Remove the landing files of the stored and duplicate calls, with receipts: in one
    transaction, so a crash half-way leaves landing keys alive in the ledger but gone from the
    store, which the next run records (finish_interrupted_releases)."""
    if group.releases:
        deletions = [
            (obj.key, reason) for landed, reason in group.releases for obj in release_order(landed)
        ]
        with transaction(run.con):
            delete_objects(run.store, run.con, deletions, now=run.now)
    return [group.outcomes[i] for i in range(group.size)]


def _raw_object(ex: Examined, policy: RetentionPolicy, now: datetime) -> StoredObject:
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


def _store_raw(store: ObjectStore, ex: Examined, key: str) -> PutResult:
    ext = key.rsplit(".", 1)[1]
    # The bytes hashed in examine are the bytes written: hashing them again proves nothing.
    return store.put_bytes(key, ex.audio, content_type=f"audio/{ext}", sha256=ex.sha)


def ingest_day(
    store: ObjectStore,
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    day,
    now: datetime | None = None,
    on_outcome=None,
    keep: Callable[[str], bool] | None = None,
) -> list[IngestOutcome]:
    """Ingest everything landed for one day: sidecar calls, and calls a manifest describes.
    ``keep`` (a shard's run) limits it to the calls whose landing stem it accepts; manifests are
    read by every shard, released once every call they name is in, and quarantined only by a
    shard whose own audio never arrived."""
    now = now or datetime.now(UTC)
    run = IngestRun(store, con, policy, now)
    calls, manifests = list_landing(store, day)
    mine = keep or (lambda _stem: True)
    calls = [landed for landed in calls if mine(landed.stem)]
    finish_interrupted_releases(store, con, day, calls, manifests, now)
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
            outcomes.append(quarantine(run, alone, str(exc)))
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
        finished = _release_group(run, group)
        for (landed, _), outcome in zip(calls_in_group, finished, strict=True):
            outcomes.append(outcome)
            if on_outcome:
                on_outcome(landed, outcome)

    # A pipeline: while one group's audio is written to raw/, the group before it is released
    # and the group after it is read, hashed and probed (in the pool); the _catalogue writes
    # stay in this thread, in the order that keeps a crash safe.
    with ThreadPoolExecutor(IO_THREADS, thread_name_prefix="ingest") as pool:
        begun = _begin_group(run, groups[0], pool) if groups else None
        previous = None
        for k, calls_in_group in enumerate(groups):
            group = begun
            if k + 1 < len(groups):
                begun = _begin_group(run, groups[k + 1], pool)
            _decide_and_store(run, group, pool)
            if previous:
                release(*previous)
            _catalogue(run, group)
            previous = (calls_in_group, group)
        if previous:
            release(*previous)
    # A manifest leaves the landing area once every call it names is catalogued or quarantined.
    for manifest, entries in parsed_manifests:
        missing = [audio for audio, call in entries if not accounted_for(con, day, audio, call)]
        whole = LandedCall(manifest.key.rsplit("/", 1)[-1], day, extra=[manifest])
        if not missing:
            reason = f"all {len(entries)} calls it describes were ingested or quarantined"
            release_landing(run, whole, reason)
        elif now - manifest.modified_at >= IN_FLIGHT_GRACE and any(
            mine(audio.rsplit(".", 1)[0]) for audio in missing
        ):
            reason = f"audio never arrived for {', '.join(sorted(missing))}"
            outcomes.append(quarantine(run, whole, reason))
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
