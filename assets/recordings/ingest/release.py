"""Releasing a call's landing files once their content is safe elsewhere: registered in the
ledger, removed with receipts (the audio last), and finished by the next run when a run stopped
half-way."""

from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb

from assets.common.storage import ObjectInfo, ObjectStore
from assets.recordings.ingest.tables import QUARANTINE_TABLE, RECORDINGS_TABLE
from assets.recordings.ingest.validation import IngestOutcome, IngestRun
from assets.recordings.landing import LandedCall, landing_prefix
from assets.recordings.metadata import CallMetadata
from assets.retention.deletion import delete_objects
from assets.retention.ledger import StoredObject, register_many
from assets.retention.policy import RetentionPolicy

#: What the ledger says of a landed call's files, by where they are kept: in landing/, in
#: transit until released, or under quarantine/ for review.
LANDED_FILE_LEDGER = {
    "landing": {
        "kind": "landing",
        "object_class": "landing",
        "legal_basis": "in_transit",
        "purposes": ["ingestion"],
    },
    "quarantine": {
        "kind": "quarantined_file",
        "object_class": "quarantine",
        "legal_basis": "legitimate_interest",
        "purposes": ["ingestion_review"],
    },
}


def landed_file_object(
    policy: RetentionPolicy,
    landed: LandedCall,
    kept_in: str,
    key: str,
    *,
    sha256: str | None,
    size_bytes: int,
    created_at: datetime,
    confirmed_at: datetime | None = None,
) -> StoredObject:
    """The ledger row of one of a landed call's files kept in ``kept_in`` (a key of
    ``LANDED_FILE_LEDGER``): no call id yet, dated by its landing folder."""
    fixed = LANDED_FILE_LEDGER[kept_in]
    return StoredObject(
        object_key=key,
        call_id=None,
        call_date=landed.landing_date,
        sha256=sha256,
        size_bytes=size_bytes,
        created_at=created_at,
        deadline=policy.deadline(fixed["object_class"], fixed["legal_basis"], created_at),
        confirmed_at=confirmed_at,
        **fixed,
    )


def landing_object(policy: RetentionPolicy, obj: ObjectInfo, landed: LandedCall) -> StoredObject:
    """The ledger row of a landing file, registered just before it is released: confirmed
    from the start, since the dialer wrote it before lydspor saw it."""
    return landed_file_object(
        policy,
        landed,
        "landing",
        obj.key,
        sha256=None,
        size_bytes=obj.size,
        created_at=obj.modified_at,
        confirmed_at=obj.modified_at,
    )


def release_landing(run: IngestRun, landed: LandedCall, reason: str) -> None:
    """Register the landing copies and remove them once their content is safe elsewhere, with
    receipts.

    The audio goes last: if the run stops half-way, the audio is still there and the rerun
    recognises it by its hash (see ``handled_before``) and releases what is left."""
    objects = release_order(landed)
    register_many(run.con, [landing_object(run.policy, obj, landed) for obj in objects])
    delete_objects(run.store, run.con, [(obj.key, reason) for obj in objects], now=run.now)


def release_order(landed: LandedCall) -> list[ObjectInfo]:
    """A call's landing files in the order they are released: the audio last."""
    first = [obj for obj in landed.objects if obj is not landed.audio]
    return [*first, landed.audio] if landed.audio else first


def handled_before(
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


def finish_interrupted_releases(
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


def accounted_for(con: duckdb.DuckDBPyConnection, day, audio: str, call: CallMetadata) -> bool:
    catalogued = con.execute(
        f"select 1 from {RECORDINGS_TABLE} where call_id = ?", [call.call_id]
    ).fetchone()
    quarantined = con.execute(
        f"select 1 from {QUARANTINE_TABLE} where landing_key = ?",
        [f"{landing_prefix(day)}{audio}"],
    ).fetchone()
    return bool(catalogued or quarantined)
