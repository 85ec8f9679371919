"""pytest fixtures for the throwaway servers: Ceph radosgw (S3) and Postgres.

Register them in ``tests/conftest.py``::

    from tests.support.fixtures import ceph_s3, postgres  # noqa: F401

``ceph_s3`` is session-scoped: one cluster per pytest session (per xdist worker).  The server
is shared process-wide and reference-counted, so importing the fixture into more than one
conftest/test module still starts only one cluster; it is stopped when the last user is done.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest

from tests.support.ceph_s3 import CephS3Server, missing_binaries
from tests.support.postgres import PostgresServer
from tests.support.postgres import missing_binaries as missing_postgres_binaries

INSTALL_HINT = (
    "run scripts/install-test-deps.sh (installs Debian packages radosgw ceph-mon ceph-osd)"
)

_lock = threading.Lock()
_server: CephS3Server | None = None
_users = 0


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _acquire() -> CephS3Server:
    global _server, _users
    with _lock:
        if _server is None:
            _server = CephS3Server().start()
        _users += 1
        return _server


def _release() -> None:
    global _server, _users
    with _lock:
        _users -= 1
        if _users <= 0 and _server is not None:
            _server.stop()
            _server = None
            _users = 0


@pytest.fixture(scope="session")
def ceph_s3() -> Iterator[CephS3Server]:
    """A running three-OSD Ceph cluster (pools size 3, min_size 2) with radosgw on 127.0.0.1.

    Attributes: ``endpoint`` ("127.0.0.1:PORT", no scheme), ``endpoint_url`` ("http://..."),
    ``access_key``, ``secret_key``, ``region``; helpers ``minio_client()``,
    ``boto3_client()``, ``admin(...)`` (radosgw-admin), ``ceph(...)``, ``health()``.
    Buckets persist for the whole session: use unique bucket names per test.  A test that
    stops an OSD or the gateway starts its own ``CephS3Server`` instead of sharing this one.

    Missing binaries: skip locally, fail when ``CI`` is set.
    """
    missing = missing_binaries()
    if missing:
        msg = f"S3 test server: Ceph binaries not on PATH ({', '.join(missing)}): {INSTALL_HINT}"
        if _in_ci():
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    server = _acquire()
    try:
        yield server
    finally:
        _release()


POSTGRES_INSTALL_HINT = "run scripts/install-test-deps.sh (installs Debian package postgresql)"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A running throwaway Postgres on a Unix socket (one per pytest session).

    Attributes and helpers: ``dsn``/``dsn_for(db)`` (libpq), ``url``/``url_for(db)``
    (``postgresql://``), ``psql(sql)``, ``create_database(name)``: give each test its own
    database. Missing binaries: skip locally, fail when ``CI`` is set.
    """
    missing = missing_postgres_binaries()
    if missing:
        msg = f"Postgres test server: binaries not found ({', '.join(missing)}): "
        msg += POSTGRES_INSTALL_HINT
        if _in_ci():
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    with PostgresServer() as server:
        yield server
