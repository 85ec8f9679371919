"""The catalogue, per request: opened for one request and closed again, so pipeline runs are
never kept waiting, and every read written to the audit log with the signed-in user as actor.

The warehouse (the DuckDB file or the DuckLake ``LYDSPOR_WAREHOUSE`` names) is opened as the
CLI opens it (``assets.access.catalogue.open_catalogue``). Reads go through a read-only
connection; the audit entry is then appended (and the head anchored in the object store, as the
CLI does) through a short read-write one. When the entry cannot be written the page is not
shown: a read that is not audited does not happen.

DuckDB refuses a read-only and a read-write connection to one file in one process at once, so
this process opens the catalogue one request at a time (``_lock``); a request that waits longer
than ``WAIT_S`` seconds, or finds another process (a pipeline run) holding the file, is answered
503 and may be retried; so is one that cannot reach the lake's Postgres catalogue.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from assets.access.catalogue import CatalogueMissing, open_catalogue
from assets.access.policy import Principal
from assets.common.lake import Warehouse
from assets.common.resources import store_from_environment
from assets.common.storage import ObjectStore
from assets.retention import audit

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


def _open(warehouse: Warehouse, read_only: bool) -> duckdb.DuckDBPyConnection:
    """The catalogue as the CLI opens it (``assets.access.catalogue.open_catalogue``)."""
    try:
        return open_catalogue(warehouse, read_only=read_only)
    except CatalogueMissing as exc:
        raise CatalogueUnavailable("no catalogue yet: run `lydspor demo` or `lydspor run`") from exc
    except duckdb.Error as exc:  # another process (a run) holds the write lock, or the lake's
        # catalogue is out of reach. The page says what to do; DuckDB's message (paths,
        # process ids, a DSN) stays on the server.
        raise CatalogueUnavailable(BUSY) from exc


@contextmanager
def reading(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse (the DuckDB file or the DuckLake)."""
    with held():
        con = _open(warehouse, read_only=True)
        try:
            yield con
        finally:
            con.close()


@contextmanager
def writing(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection; the audit head is anchored when it closes."""
    with held():
        con = _open(warehouse, read_only=False)
        try:
            yield con
        finally:
            try:
                audit.anchor(con, store())
            finally:
                con.close()


def record(
    warehouse: Warehouse,
    principal: Principal,
    subject: str,
    *,
    call_id: str | None = None,
    refused: bool = False,
    details: dict | None = None,
) -> None:
    """Append one read (or refused read) by ``principal`` to the audit log."""
    with writing(warehouse) as con:
        audit.append(
            con,
            "read_denied" if refused else "read",
            actor=principal.user,
            call_id=call_id,
            subject=subject,
            details={"role": str(principal.role), "via": "web", **(details or {})},
        )
