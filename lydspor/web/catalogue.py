"""The catalogue, per request: opened for one request and closed again, so pipeline runs are
never kept waiting, and every read written to the audit log with the signed-in user as actor.

Reads go through a read-only connection; the audit entry is then appended (and the head
anchored in the object store, as the CLI does) through a short read-write one. When the entry
cannot be written the page is not shown: a read that is not audited does not happen.

DuckDB refuses a read-only and a read-write connection to one file in one process at once, so
this process opens the catalogue one request at a time (``_lock``); a request that waits longer
than ``WAIT_S`` seconds, or finds another process (a pipeline run) holding the file, is answered
503 and may be retried.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from assets.access.policy import Principal
from assets.common.resources import store_from_environment
from assets.common.storage import ObjectStore
from assets.retention import audit
from assets.retention.tables import ensure_compliance_tables, has_compliance_tables

#: How long a request waits for another request's catalogue work, in seconds.
WAIT_S = 30.0
_lock = threading.RLock()
BUSY = "the catalogue is busy (a run holds it): try again shortly"


class CatalogueUnavailable(RuntimeError):
    """The catalogue is missing or busy (a run holds it); nothing was read."""


def store() -> ObjectStore:
    return store_from_environment()


@contextmanager
def held() -> Iterator[None]:
    """This process's turn at the catalogue (see the module docstring)."""
    if not _lock.acquire(timeout=WAIT_S):
        raise CatalogueUnavailable("the catalogue is busy with another request; try again")
    try:
        yield
    finally:
        _lock.release()


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise CatalogueUnavailable("no catalogue yet: run `lydspor demo` or `lydspor run`")
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:  # another process (a run) holds the write lock
        # The page says what to do; DuckDB's message (paths, process ids) stays on the server.
        raise CatalogueUnavailable(BUSY) from exc


@contextmanager
def reading(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection (the compliance tables created first where a newer lydspor added
    them, as ``lydspor.cli.shared.catalog`` does)."""
    with held():
        con = _connect(path, read_only=True)
        if not has_compliance_tables(con):
            con.close()
            with _connect(path, read_only=False) as writable:
                ensure_compliance_tables(writable)
            con = _connect(path, read_only=True)
        try:
            yield con
        finally:
            con.close()


@contextmanager
def writing(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection; the audit head is anchored when it closes."""
    with held():
        con = _connect(path, read_only=False)
        try:
            ensure_compliance_tables(con)
            yield con
        finally:
            try:
                audit.anchor(con, store())
            finally:
                con.close()


def record(
    path: Path,
    principal: Principal,
    subject: str,
    *,
    call_id: str | None = None,
    refused: bool = False,
    details: dict | None = None,
) -> None:
    """Append one read (or refused read) by ``principal`` to the audit log."""
    with writing(path) as con:
        audit.append(
            con,
            "read_denied" if refused else "read",
            actor=principal.user,
            call_id=call_id,
            subject=subject,
            details={"role": str(principal.role), "via": "web", **(details or {})},
        )
