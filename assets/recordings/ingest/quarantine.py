"""Calls that cannot be ingested: left waiting while their files are in flight, or copied to
quarantine/ with their reason (and their landing files released)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import polars as pl

from assets.common.warehouse import upsert
from assets.recordings.ingest.release import handled_before, landed_file_object, release_landing
from assets.recordings.ingest.tables import QUARANTINE_SCHEMA, QUARANTINE_TABLE
from assets.recordings.ingest.validation import IngestOutcome, IngestRun, misfiled
from assets.recordings.landing import LandedCall, unaddressable
from assets.recordings.metadata import CallMetadata
from assets.retention.ledger import confirm_many, register_many

#: Files still arriving are left alone this long before an incomplete call is quarantined.
IN_FLIGHT_GRACE = timedelta(hours=1)


def quarantine(run: IngestRun, landed: LandedCall, reason: str) -> IngestOutcome:
    store, con, now = run.store, run.con, run.now
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
            landed_file_object(
                run.policy,
                landed,
                "quarantine",
                key,
                sha256=sha,
                size_bytes=len(data),
                created_at=now,
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
    release_landing(run, landed, f"moved to quarantine: {reason}")
    return IngestOutcome(landed.stem, "quarantined", reason=reason)


def settle_incomplete(
    run: IngestRun, landed: LandedCall, from_manifest: CallMetadata | None
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
        handled = handled_before(run.store, run.con, landed)
        if handled:
            # What an interrupted run left behind after it stored this call: finish releasing it.
            release_landing(run, landed, handled.reason)
            return handled
    misfiling = misfiled(landed)
    if misfiling:
        return quarantine(run, landed, misfiling)
    if incomplete:
        if run.now - landed.newest < IN_FLIGHT_GRACE:
            return IngestOutcome(landed.stem, "waiting", reason="audio or metadata not landed yet")
        missing = "audio" if landed.audio is None else "metadata"
        return quarantine(run, landed, f"no {missing} file beside it")
    return None
