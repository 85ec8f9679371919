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
from contextlib import contextmanager

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


def require(missing: list[str], what: str, hint: str) -> None:
    """Skip the test when a server's binaries are missing, or fail it when ``CI`` is set: a CI
    that skips its servers would pass without testing them."""
    if missing:
        message = f"{what} not found ({', '.join(missing)}): {hint}"
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


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
    require(missing_binaries(), "S3 test server: Ceph binaries", INSTALL_HINT)
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
    require(missing_postgres_binaries(), "Postgres test server: binaries", POSTGRES_INSTALL_HINT)
    with PostgresServer() as server:
        yield server


@contextmanager
def private_ceph(**options: object) -> Iterator[CephS3Server]:
    """A Ceph cluster of one test's own, for tests that kill, pause or restart its daemons
    (``options`` go to ``CephS3Server``). Missing binaries: skip locally, fail when ``CI`` is
    set."""
    require(missing_binaries(), "Ceph binaries", INSTALL_HINT)
    server = CephS3Server(**options).start()
    try:
        yield server
    finally:
        server.stop()
