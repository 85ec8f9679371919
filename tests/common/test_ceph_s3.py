"""The throwaway Ceph radosgw server is a real S3: minio-py and DuckDB (httpfs) both work."""

from __future__ import annotations

import hashlib
import io
import os
import uuid

import duckdb
import duckdb_extensions
import polars as pl
import pytest
from minio.error import S3Error

from tests.support import fixtures as _fixtures
from tests.support.ceph_s3 import CephS3Server

# Makes this module runnable on its own; sharing the server with tests/conftest.py's copy of the
# fixture is safe (one reference-counted server per process).
ceph_s3 = _fixtures.ceph_s3

pytestmark = pytest.mark.s3

MiB = 1024 * 1024


def _bucket(server: CephS3Server) -> str:
    name = f"test-{uuid.uuid4().hex[:12]}"
    server.minio_client().make_bucket(name)
    return name


def test_server_attributes(ceph_s3: CephS3Server) -> None:
    host, port = ceph_s3.endpoint.split(":")
    assert host == "127.0.0.1"
    assert int(port) > 0
    assert ceph_s3.endpoint_url == f"http://{ceph_s3.endpoint}"
    assert ceph_s3.access_key
    assert ceph_s3.secret_key
    assert ceph_s3.region


def test_bucket_and_object_roundtrip(ceph_s3: CephS3Server) -> None:
    client = ceph_s3.minio_client()
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    assert not client.bucket_exists(bucket)
    client.make_bucket(bucket)
    assert client.bucket_exists(bucket)
    assert bucket in {b.name for b in client.list_buckets()}

    data = b"hello lydspor\n" * 1000
    result = client.put_object(
        bucket, "calls/a.txt", io.BytesIO(data), len(data), content_type="text/plain"
    )
    md5 = hashlib.md5(data).hexdigest()
    assert result.etag == md5

    stat = client.stat_object(bucket, "calls/a.txt")
    assert stat.size == len(data)
    assert stat.etag == md5
    assert stat.content_type == "text/plain"

    resp = client.get_object(bucket, "calls/a.txt")
    try:
        assert resp.read() == data
    finally:
        resp.close()
        resp.release_conn()

    # Ranged read.
    resp = client.get_object(bucket, "calls/a.txt", offset=14, length=5)
    try:
        assert resp.read() == b"hello"
    finally:
        resp.close()
        resp.release_conn()

    client.put_object(bucket, "calls/b.txt", io.BytesIO(b"b"), 1)
    client.put_object(bucket, "other.txt", io.BytesIO(b"o"), 1)
    assert sorted(o.object_name for o in client.list_objects(bucket, prefix="calls/")) == [
        "calls/a.txt",
        "calls/b.txt",
    ]
    assert sorted(o.object_name for o in client.list_objects(bucket, recursive=True)) == [
        "calls/a.txt",
        "calls/b.txt",
        "other.txt",
    ]

    client.remove_object(bucket, "calls/a.txt")
    with pytest.raises(S3Error) as excinfo:
        client.stat_object(bucket, "calls/a.txt")
    assert excinfo.value.code == "NoSuchKey"
    with pytest.raises(S3Error) as excinfo:
        client.get_object(bucket, "calls/a.txt")
    assert excinfo.value.code == "NoSuchKey"
    assert sorted(o.object_name for o in client.list_objects(bucket, recursive=True)) == [
        "calls/b.txt",
        "other.txt",
    ]

    for name in ("calls/b.txt", "other.txt"):
        client.remove_object(bucket, name)
    client.remove_bucket(bucket)
    assert not client.bucket_exists(bucket)


def test_multipart_upload(ceph_s3: CephS3Server) -> None:
    client = ceph_s3.minio_client()
    bucket = _bucket(ceph_s3)
    data = os.urandom(6 * MiB + 12345)  # two parts of 5 MiB + rest
    client.put_object(bucket, "big.bin", io.BytesIO(data), length=len(data), part_size=5 * MiB)

    stat = client.stat_object(bucket, "big.bin")
    assert stat.size == len(data)
    # A multipart ETag is "<md5 of the part md5s>-<number of parts>".
    parts = [data[i : i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    assert stat.etag == f"{expected}-{len(parts)}"

    resp = client.get_object(bucket, "big.bin")
    try:
        assert hashlib.sha256(resp.read()).digest() == hashlib.sha256(data).digest()
    finally:
        resp.close()
        resp.release_conn()


def test_duckdb_reads_parquet_over_s3(ceph_s3: CephS3Server) -> None:
    client = ceph_s3.minio_client()
    bucket = _bucket(ceph_s3)
    df = pl.DataFrame(
        {
            "call_id": [f"c{i:03d}" for i in range(100)],
            "duration_s": [float(i) * 1.5 for i in range(100)],
            "agent": ["anna", "bo", "cecilie", "dan"] * 25,
        }
    )
    buf = io.BytesIO()
    df.write_parquet(buf)
    payload = buf.getvalue()
    client.put_object(
        bucket,
        "calls/part-0.parquet",
        io.BytesIO(payload),
        len(payload),
        content_type="application/vnd.apache.parquet",
    )

    con = duckdb.connect()
    try:
        duckdb_extensions.import_extension("httpfs", con=con)
        con.execute(
            f"""
            CREATE SECRET ceph_s3 (
                TYPE s3,
                KEY_ID '{ceph_s3.access_key}',
                SECRET '{ceph_s3.secret_key}',
                ENDPOINT '{ceph_s3.endpoint}',
                URL_STYLE 'path',
                USE_SSL false,
                REGION '{ceph_s3.region}'
            )
            """
        )
        url = f"s3://{bucket}/calls/part-0.parquet"
        count, total, agents = con.execute(
            f"SELECT count(*), sum(duration_s), count(DISTINCT agent) FROM read_parquet('{url}')"
        ).fetchone()
        assert count == 100
        assert total == pytest.approx(sum(float(i) * 1.5 for i in range(100)))
        assert agents == 4

        rows = con.execute(
            f"SELECT call_id, agent FROM read_parquet('s3://{bucket}/calls/*.parquet') "
            "WHERE duration_s >= 147 ORDER BY call_id"
        ).fetchall()
        assert rows == [("c098", "cecilie"), ("c099", "dan")]
    finally:
        con.close()
