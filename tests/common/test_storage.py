"""The object store contract, on the embedded directory store and on a real S3 server."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest

from assets.common.storage import LocalObjectStore, S3ObjectStore, StorageError


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request, tmp_path):
    if request.param == "local":
        return LocalObjectStore(tmp_path, "lydspor")
    server = request.getfixturevalue("ceph_s3")
    return server.object_store(f"test-{uuid.uuid4().hex[:10]}")


def test_put_get_stat_list_remove(store):
    data = b"RIFF" + bytes(range(256)) * 10
    put = store.put_bytes("raw/2026-11-02/call-1/recording.wav", data)
    assert put.sha256 == hashlib.sha256(data).hexdigest() and put.size == len(data)
    store.put_bytes("raw/2026-11-03/call-2/recording.wav", b"other")
    assert store.get_bytes("raw/2026-11-02/call-1/recording.wav") == data
    assert store.stat("raw/2026-11-02/call-1/recording.wav").size == len(data)
    assert [o.key for o in store.list("raw/2026-11-02/")] == ["raw/2026-11-02/call-1/recording.wav"]
    assert len(list(store.list("raw/"))) == 2
    store.remove("raw/2026-11-02/call-1/recording.wav")
    assert store.stat("raw/2026-11-02/call-1/recording.wav") is None
    with pytest.raises(StorageError, match="no object"):
        store.get_bytes("raw/2026-11-02/call-1/recording.wav")


def test_large_object_roundtrip(store):
    data = bytes(range(256)) * (24 * 1024 * 1024 // 256 + 7)  # more than one 16 MiB part
    store.put_bytes("big/object.bin", data)
    assert (
        hashlib.sha256(store.get_bytes("big/object.bin")).digest() == hashlib.sha256(data).digest()
    )


@pytest.mark.parametrize(
    "key", ["../escape.wav", "/abs.wav", "a/../../b", "dir/", "a\\b", "x\x00y"]
)
def test_rejects_unsafe_keys(store, key):
    with pytest.raises(StorageError):
        store.put_bytes(key, b"x")


def test_unreachable_s3_gives_a_clear_error():
    with pytest.raises(StorageError, match=r"127\.0\.0\.1:9"):
        S3ObjectStore("127.0.0.1:9", "lydspor", "k", "s")


def test_inventory_lists_the_whole_store_and_flags_names_it_cannot_address(store):
    store.put_bytes("raw/2026-11-02/call-1/recording.wav", b"voice")
    store.put_bytes("odd-prefix/2019-01-01/x.bin", b"other")
    odd = "raw/2026-11-02/back\\slash.wav"  # a key S3 accepts and validate_key refuses
    if isinstance(store, LocalObjectStore):
        (store.base / odd).write_bytes(b"planted")
        (store.base / "raw" / ".incoming-recording.wav.abc").write_bytes(b"half")
    else:
        store.client.put_object(store.bucket, odd, io.BytesIO(b"planted"), 7)
    found = {item.key: item.problem for item in store.inventory()}
    assert found.pop("raw/2026-11-02/call-1/recording.wav") is None
    assert found.pop("odd-prefix/2019-01-01/x.bin") is None
    assert found.pop(odd).startswith("name the store cannot address")
    if isinstance(store, LocalObjectStore):
        assert found.pop("raw/.incoming-recording.wav.abc") == "leftover of an interrupted write"
    assert found == {}
