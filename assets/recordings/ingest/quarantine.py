"""Calls that cannot be ingested: left waiting while their files are in flight, or copied to
quarantine/ with their reason (and their landing files released)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import duckdb
import polars as pl

from assets.common.storage import ObjectStore
from assets.common.warehouse import upsert
from assets.recordings.ingest.release import handled_before, release_landing
from assets.recordings.ingest.tables import QUARANTINE_SCHEMA, QUARANTINE_TABLE
from assets.recordings.ingest.validation import IngestOutcome, misfiled
from assets.recordings.landing import LandedCall, unaddressable
from assets.recordings.metadata import CallMetadata
from assets.retention.ledger import StoredObject, confirm_many, register_many
from assets.retention.policy import RetentionPolicy

#: Files still arriving are left alone this long before an incomplete call is quarantined.
IN_FLIGHT_GRACE = timedelta(hours=1)


def quarantine(
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
    # Registered before they are written and confirmed after, as raw audio is: the ledger
    # knows every key first.
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
    rows, puts = [], []
    for obj, key, data, sha in copies:
        put = store.put_bytes(key, data, sha256=sha)
        puts.append(put)
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
    confirm_many(con, puts)
    upsert(con, QUARANTINE_TABLE, pl.DataFrame(rows, schema=QUARANTINE_SCHEMA), ["landing_key"])
    release_landing(store, con, policy, landed, f"moved to quarantine: {reason}", now)
    return IngestOutcome(landed.stem, "quarantined", reason=reason)


def settle_incomplete(
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
        handled = handled_before(store, con, landed)
        if handled:
            # What an interrupted run left behind after it stored this call: finish releasing it.
            release_landing(store, con, policy, landed, handled.reason, now)
            return handled
    misfiling = misfiled(landed)
    if misfiling:
        return quarantine(store, con, policy, landed, misfiling, now)
    if incomplete:
        if now - landed.newest < IN_FLIGHT_GRACE:
            return IngestOutcome(landed.stem, "waiting", reason="audio or metadata not landed yet")
        missing = "audio" if landed.audio is None else "metadata"
        return quarantine(store, con, policy, landed, f"no {missing} file beside it", now)
    return None
