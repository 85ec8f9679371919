"""Each user's scoped marts: the tables ``open_session`` gives them, and a table's rows, paged.

The session is the one the CLI and notebooks open: an in-memory copy of exactly what the
principal may read, closed again at the end of the request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from starlette.requests import Request
from starlette.routing import Route

from assets.access.authorise import Action
from assets.access.policy import Principal, load_access_policy
from assets.access.session import Session, open_session
from lydspor.web.catalogue import BUSY, CatalogueUnavailable, held, record
from lydspor.web.routes.guard import page_and_api
from lydspor.web.settings import WebSettings


def _quote(name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


@contextmanager
def scoped(settings: WebSettings, principal: Principal) -> Iterator[Session]:
    policy = load_access_policy(settings.access_policy)
    with held():
        try:
            session = open_session(settings.warehouse, principal, policy)
        except (FileNotFoundError, duckdb.IOException) as exc:
            raise CatalogueUnavailable(BUSY) from exc
        with session:
            yield session


def tables_of(settings: WebSettings, principal: Principal) -> list[dict]:
    with scoped(settings, principal) as session:
        tables = [{"name": t.name, "rows": t.rows, "scope": t.scope} for t in session.tables]
    record(settings.warehouse, principal, "marts", details={"tables": len(tables)})
    return tables


def rows_of(settings: WebSettings, principal: Principal, table: str, page_no: int) -> dict:
    size = settings.page_rows
    with scoped(settings, principal) as session:
        known = {t.name: t for t in session.tables}
        if table not in known:
            # Not in this principal's session: absent or out of scope, the same answer for both.
            raise LookupError(f"no table {table!r} among the marts you may read")
        result = session.con.execute(
            f"select * from {_quote(table)} limit ? offset ?", [size, page_no * size]
        )
        columns = [d[0] for d in result.description]
        rows = [[None if v is None else str(v) for v in row] for row in result.fetchall()]
        total = known[table].rows
    record(
        settings.warehouse,
        principal,
        f"mart {table}",
        details={"page": page_no, "rows": len(rows)},
    )
    pages = max(1, -(-total // size))
    return {"table": table, "columns": columns, "rows": rows, "page": page_no, "pages": pages}


def _page_no(request: Request) -> int:
    try:
        return max(0, int(request.query_params.get("page", "0")))
    except ValueError:
        return 0


def _rows(request: Request, principal: Principal, settings: WebSettings) -> dict:
    return rows_of(settings, principal, request.path_params["table"], _page_no(request))


marts_page, marts_api = page_and_api(
    "read the marts",
    Action.READ_MARTS,
    lambda _request, principal, settings: tables_of(settings, principal),
    "marts.html",
    "tables",
)
mart_page, mart_api = page_and_api("read the marts", Action.READ_MARTS, _rows, "mart.html", "m")


routes = [
    Route("/marts", marts_page),
    Route("/marts/{table}", mart_page),
    Route("/api/marts", marts_api),
    Route("/api/marts/{table}", mart_api),
]
