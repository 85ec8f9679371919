"""On an S3 bucket with object lock, holds are enforced by the store and deletion removes every
version (a plain delete in a versioned bucket would leave the audio behind)."""

from __future__ import annotations

import uuid

import pytest

from assets.common.storage import StorageError

pytestmark = pytest.mark.s3


@pytest.fixture
def locked_store(ceph_s3):
    return ceph_s3.object_store(f"locked-{uuid.uuid4().hex[:8]}", object_lock=True)


def versions(store, key):
    return [
        v.version_id
        for v in store.client.list_objects(store.bucket, prefix=key, include_version=True)
        if v.object_name == key
    ]


def test_deletion_removes_every_version(locked_store):
    key = "raw/2026-11-02/c1/recording.wav"
    locked_store.put_bytes(key, b"first take")
    locked_store.put_bytes(key, b"second take")
    assert locked_store.versioned and len(versions(locked_store, key)) == 2
    locked_store.remove(key)
    assert locked_store.stat(key) is None
    assert versions(locked_store, key) == []


def test_legal_hold_is_enforced_by_the_store(locked_store):
    key = "raw/2026-11-02/c2/recording.wav"
    locked_store.put_bytes(key, b"audio under hold")
    assert locked_store.set_legal_hold(key, True)
    with pytest.raises(StorageError, match="could not delete"):
        locked_store.remove(key)
    assert locked_store.get_bytes(key) == b"audio under hold"
    assert locked_store.set_legal_hold(key, False)
    locked_store.remove(key)
    assert locked_store.stat(key) is None and versions(locked_store, key) == []


def test_hold_and_sweep_through_the_catalogue(locked_store, catalog, policy):
    from datetime import UTC, datetime, timedelta

    from assets.retention.holds import place_hold, release_hold
    from assets.retention.ledger import StoredObject, register
    from assets.retention.sweep import sweep
    from assets.retention.tables import ensure_compliance_tables
    from tests.support.calls import DAY

    ensure_compliance_tables(catalog)
    key = f"raw/{DAY}/c3/recording.wav"
    put = locked_store.put_bytes(key, b"held audio")
    past = datetime.now(UTC) - timedelta(days=1)
    register(
        catalog,
        StoredObject(
            key,
            "c3",
            DAY,
            "raw_recording",
            "customer_audio",
            "consent",
            ["quality_assurance"],
            put.sha256,
            put.size,
            past,
            past,
        ),
    )
    hold = place_hold(catalog, "call", "c3", "complaint", "legal", store=locked_store)
    assert locked_store.client.is_object_legal_hold_enabled(locked_store.bucket, key)
    assert sweep(locked_store, catalog).held == [key]
    release_hold(catalog, hold.hold_id, "legal", "settled", store=locked_store)
    assert [r.object_key for r in sweep(locked_store, catalog).deleted] == [key]
    assert versions(locked_store, key) == []


def test_inventory_sees_a_version_left_behind_a_delete_marker(locked_store):
    """A plain delete in a versioned bucket hides the object from listings but keeps its bytes:
    the store-wide gate must still see it."""
    kept, hidden = "raw/2026-11-02/c4/recording.wav", "raw/2026-11-02/c5/recording.wav"
    locked_store.put_bytes(kept, b"first take")
    locked_store.put_bytes(kept, b"second take")
    locked_store.put_bytes(hidden, b"customer voice")
    locked_store.client.remove_object(locked_store.bucket, hidden)  # a delete marker only
    assert locked_store.stat(hidden) is None and versions(locked_store, hidden)
    found = {item.key: item for item in locked_store.inventory()}
    assert set(found) == {kept, hidden}
    assert found[kept].size == len(b"second take")  # the newest version
    locked_store.remove(hidden)  # every version
    assert {item.key for item in locked_store.inventory()} == {kept}
