"""The checks against write-once checkpoints, without an S3 server: what each tampering reads
as, when a checkpoint is due, and the embedded store, whose only checkpoint is the heads file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assets.retention import audit, audit_checkpoints
from assets.retention.audit_checkpoints import Checkpoint, problem

LOG, OTHER = "0f0e0d0c-0b0a-4909-8807-060504030201", "11111111-2222-4333-8444-555555555555"
H = {seq: f"{seq:x}".rjust(64, "a") for seq in range(1, 10)}


def cp(seq: int, log: str = LOG, digest: str | None = None, deleted: bool = False) -> Checkpoint:
    digest = digest or H[seq]
    return Checkpoint(audit_checkpoints.key(log, seq, digest), log, seq, digest, deleted)


def check(found, last=9, start=(0, audit.GENESIS), recorded=None):
    return problem(
        found, LOG, {s: H[s] for s in range(start[0] + 1, last + 1)}, start, last, recorded
    )


def test_matching_checkpoints_pass():
    assert check([cp(3), cp(7)], recorded=7) is None


def test_each_tampering_is_named():
    assert check([cp(3), cp(7, digest="b" * 64)]).startswith("entry 7 differs")
    assert check([cp(3), cp(7)], last=5) == (
        f"entries 6..7 were removed from the end (checkpoint {cp(7).key})"
    )
    assert "was deleted" in check([cp(3, deleted=True)])
    assert "another audit log" in check([cp(3, log=OTHER)])
    assert check([cp(3)], recorded=7) == (
        "the write-once checkpoint of entry 7 is missing from the bucket"
    )
    stray = Checkpoint("audit/checkpoints/x.json", None, -1, "", False)
    assert "is no checkpoint" in check([stray])


def test_pruned_entries_are_skipped_but_the_prune_point_is_checked():
    start = (4, H[4])
    assert check([cp(2), cp(4), cp(7)], start=start) is None
    assert check([cp(4, digest="c" * 64)], start=start).startswith("entry 4 differs")


def test_checkpoint_is_due_by_entries_or_time():
    now = datetime.now(UTC)
    recent = {"seq": 10, "at": (now - timedelta(minutes=1)).isoformat()}
    old = {"seq": 10, "at": (now - audit_checkpoints.EVERY).isoformat()}
    assert audit_checkpoints.due(None, 1, now)
    assert not audit_checkpoints.due(recent, 11, now)
    assert audit_checkpoints.due(recent, 10 + audit_checkpoints.EVERY_ENTRIES, now)
    assert audit_checkpoints.due(old, 11, now) and not audit_checkpoints.due(old, 10, now)


def test_the_embedded_store_keeps_no_checkpoint(catalog, local_store):
    audit.append(catalog, "read", actor="analyst", call_id="c1")
    assert audit.anchor(catalog, local_store)["seq"] == 1
    assert not audit_checkpoints.write_once(local_store)
    assert audit.anchored_head(catalog)["checkpointed"] is None
    assert audit.verify_anchored(catalog, local_store).ok
