"""The calls a principal may look into, and one call's lineage: basis, consent evidence,
purposes, every object with created / deadline / deleted-at and receipt, holds, erasures and
every read. Team leads see their teams' calls only; a call of another team is refused (403) and
the refusal audited."""

from __future__ import annotations

import duckdb
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from assets.access.authorise import Action, may
from assets.access.policy import AccessDenied, Principal
from assets.common.lake import Warehouse
from assets.retention.lineage import call_lineage
from lydspor.web.catalogue import reading, record
from lydspor.web.render import page
from lydspor.web.routes.guard import guard, page_and_api
from lydspor.web.settings import WebSettings

#: The most calls the list shows, newest first.
CALL_LIST_LIMIT = 500


def _team(con: duckdb.DuckDBPyConnection, call_id: str) -> str | None:
    row = con.execute("select team from raw.recordings where call_id = ?", [call_id]).fetchone()
    return row[0] if row else None


def lineage_of(catalogue: Warehouse, principal: Principal, call_id: str) -> dict:
    """The call's lineage when ``principal`` may see it; the read, or the refusal, audited."""
    with reading(catalogue) as con:
        team = _team(con, call_id)
        known = (
            team is not None
            or con.execute(
                "select 1 from raw.stored_objects where call_id = ? limit 1", [call_id]
            ).fetchone()
            is not None
        )
        # A call whose catalogue row is gone has no team: only roles over every team see it.
        allowed = known and may(principal, Action.LINEAGE, team or "")
        data = call_lineage(con, call_id) if allowed else None
    if not allowed:
        if not known and may(principal, Action.LINEAGE, ""):  # sees every team: nothing to hide
            raise LookupError(f"no call {call_id!r} in the catalogue or the ledger")
        # An identifier that matches nothing is not written down: it may be anything typed.
        record(catalogue, principal, "lineage", call_id=call_id if known else None, refused=True)
        raise AccessDenied(f"{principal.user} ({principal.role}) may not see call {call_id}")
    record(catalogue, principal, "lineage", call_id=call_id)
    return data


def calls_of(catalogue: Warehouse, principal: Principal) -> list[dict]:
    every_team = may(principal, Action.LINEAGE, "")
    with reading(catalogue) as con:
        rows = con.execute(
            "select call_id, call_date, team, agent_id, direction, recording_mode "
            "from raw.recordings where ? or list_contains(?, team) "
            "order by call_date desc, call_id limit ?",
            [every_team, list(principal.teams), CALL_LIST_LIMIT],
        ).fetchall()
    calls = [
        dict(zip(("call_id", "call_date", "team", "agent_id", "direction", "mode"), r, strict=True))
        for r in rows
        if may(principal, Action.LINEAGE, r[2])
    ]
    record(catalogue, principal, "call list", details={"calls": len(calls)})
    return calls


@guard("list calls", Action.LINEAGE)
async def call_list(request: Request, principal: Principal, settings: WebSettings) -> Response:
    calls = await run_in_threadpool(calls_of, settings.warehouse, principal)
    return page(request, "calls.html", {"calls": calls})


def _lineage(request: Request, principal: Principal, settings: WebSettings) -> dict:
    return lineage_of(settings.warehouse, principal, request.path_params["call_id"])


lineage_page, lineage_api = page_and_api(
    "see lineage", Action.LINEAGE, _lineage, "lineage.html", "l"
)


routes = [
    Route("/calls", call_list),
    Route("/calls/{call_id}", lineage_page),
    Route("/api/calls/{call_id}/lineage", lineage_api),
]
