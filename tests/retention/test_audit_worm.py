"""Write-once checkpoints of the audit head on Ceph with object lock: COMPLIANCE retention that
refuses deletion, and a verify that sees through a rewrite of both the catalogue and the heads
file by the key's holder, a truncation followed by new entries, and a deleted or missing
checkpoint."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error

from assets.common.secrets import audit_heads_file
from assets.common.storage import StorageError
from assets.retention import audit, audit_checkpoints
from assets.retention.state import blocking, reconcile
from assets.retention.tables import ensure_compliance_tables

pytestmark = pytest.mark.s3


@pytest.fixture
def locked(ceph_s3):
    return ceph_s3.object_store(f"worm-{uuid.uuid4().hex[:8]}", object_lock=True)


@pytest.fixture
def every_entry(monkeypatch):
    monkeypatch.setattr(audit_checkpoints, "EVERY_ENTRIES", 1)


def add(con, n: int, actor: str = "analyst") -> None:
    for i in range(n):
        audit.append(con, "read", actor=f"{actor}-{i}", call_id=f"c{i}", details={"n": i})


@pytest.fixture
def log(catalog, locked, every_entry):
    """Five entries anchored with a checkpoint at entry 5 (and one at entry 3)."""
    add(catalog, 3)
    audit.anchor(catalog, locked, strict=True)
    add(catalog, 2)
    audit.anchor(catalog, locked, strict=True)
    return catalog


def keys(store):
    return [c.key for c in audit_checkpoints.checkpoints(store)]


def forge_heads(con) -> None:
    """What the key's holder can do to the heads file: write it anew for the log as it is."""
    audit_heads_file().unlink()
    top = audit.head(con)
    audit._write_head(audit.log_id(con), 0, audit.GENESIS)
    if top:
        audit._write_head(audit.log_id(con), top["seq"], top["hash"])


def rewrite_from(con, first: int) -> None:
    """Edit entry ``first`` and recompute every MAC from it on, with the key."""
    query = "select * from raw.audit_log where seq >= ? order by seq"
    rows = con.execute(query, [first]).fetchall()
    prev = con.execute("select hash from raw.audit_log where seq = ?", [first - 1]).fetchone()[0]
    for seq, at, actor, action, call_id, subject, details, _, _ in rows:
        details = '{"n": "forged"}' if seq == first else details
        digest = audit.entry_hash(seq, at, actor, action, call_id, subject, details, prev)
        con.execute(
            "update raw.audit_log set details = ?, prev_hash = ?, hash = ? where seq = ?",
            [details, prev, digest, seq],
        )
        prev = digest
    forge_heads(con)


def test_checkpoint_is_locked_in_compliance_mode(log, locked, ceph_s3):
    names = keys(locked)
    assert [n.rsplit("/", 1)[1][:20] for n in names] == [f"{3:020d}", f"{5:020d}"]
    # boto3: minio cannot parse the fractional seconds radosgw writes in the date.
    retention = ceph_s3.boto3_client().get_object_retention(Bucket=locked.bucket, Key=names[-1])
    assert retention["Retention"]["Mode"] == COMPLIANCE
    horizon = datetime.now(UTC) + audit_checkpoints.RETAIN_FOR
    assert abs((retention["Retention"]["RetainUntilDate"] - horizon).total_seconds()) < 600
    assert audit.verify_anchored(log, locked).ok


def test_deleting_a_checkpoint_is_refused(log, locked):
    name = keys(locked)[-1]
    with pytest.raises(StorageError, match="could not delete"):
        locked.remove(name)
    (version,) = [
        v.version_id
        for v in locked.client.list_objects(locked.bucket, prefix=name, include_version=True)
    ]
    with pytest.raises(S3Error):
        locked.client.remove_object(locked.bucket, name, version_id=version)
    assert b'"seq": 5' in locked.get_bytes(name)


def test_a_delete_marker_over_a_checkpoint_is_named(log, locked):
    name = keys(locked)[-1]
    locked.client.remove_object(locked.bucket, name)  # allowed: hides, does not delete
    assert locked.stat(name) is None
    result = audit.verify_anchored(log, locked)
    assert not result.ok and name in result.problem and "deleted" in result.problem
    assert audit.anchor(log, locked) is None  # nothing is anchored over it


def test_rewrite_of_catalogue_and_heads_file_fails_against_the_checkpoint(log, locked):
    rewrite_from(log, 2)
    assert audit.verify_anchored(log).ok  # the heads file alone is fooled
    result = audit.verify_anchored(log, locked)
    assert not result.ok
    assert result.problem == (f"entry 3 differs from the write-once checkpoint {keys(locked)[0]}")


def test_replaced_log_fails_against_the_other_logs_checkpoints(log, locked):
    old = audit.log_id(log)
    for table in ("raw.audit_log", "raw.audit_meta", "raw.audit_checkpoints"):
        log.execute(f"delete from {table}")
    audit_heads_file().unlink()
    add(log, 7, actor="forger")
    assert audit.anchor(log) is not None and audit.verify_anchored(log).ok
    result = audit.verify_anchored(log, locked)
    assert not result.ok and old in result.problem and "replaced" in result.problem
    with pytest.raises(audit.AuditChainBroken, match="replaced"):
        audit.anchor(log, locked, strict=True)


@pytest.mark.parametrize("new_entries", [0, 1, 3, 6])
def test_truncation_then_new_entries_is_detected(log, locked, new_entries):
    log.execute("delete from raw.audit_log where seq >= 4")
    add(log, new_entries, actor="forger")
    forge_heads(log)
    assert audit.verify_anchored(log).ok
    result = audit.verify_anchored(log, locked)
    assert not result.ok
    if new_entries < 2:
        assert f"entries {4 + new_entries}..5 were removed from the end" in result.problem
    else:
        assert result.problem.startswith("entry 5 differs from the write-once checkpoint")


def test_missing_checkpoint_is_detected(log, ceph_s3, local_store):
    elsewhere = ceph_s3.object_store(f"worm-{uuid.uuid4().hex[:8]}", object_lock=True)
    result = audit.verify_anchored(log, elsewhere)
    assert not result.ok
    assert result.problem == "the write-once checkpoint of entry 5 is missing from the bucket"
    result = audit.verify_anchored(log, local_store)
    assert not result.ok and "has no object lock" in result.problem


def test_checkpoints_are_periodic(catalog, locked, monkeypatch):
    monkeypatch.setattr(audit_checkpoints, "EVERY_ENTRIES", 3)
    for _ in range(7):
        add(catalog, 1)
        audit.anchor(catalog, locked, strict=True)
    assert [c.seq for c in audit_checkpoints.checkpoints(locked)] == [1, 4, 7]
    assert audit.anchored_head(catalog)["checkpointed"]["seq"] == 7
    assert audit.verify_anchored(catalog, locked).ok


def test_the_store_gate_counts_checkpoints_as_system_keys(log, locked):
    ensure_compliance_tables(log)
    found = reconcile(locked, log, timedelta(days=1))
    assert found.filter(pl.col("object_key").str.starts_with(audit_checkpoints.PREFIX)).is_empty()
    assert found.filter(blocking()).is_empty()
    locked.put_bytes("audit/stray.json", b"{}")  # a sibling of the prefix is still unknown
    assert reconcile(locked, log, timedelta(days=1)).filter(blocking())["object_key"].to_list() == [
        "audit/stray.json"
    ]
