"""Whether the audit log's chain verifies, against the head anchored outside the catalogue."""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from assets.access.authorise import Action
from assets.access.policy import Principal
from assets.retention import audit
from lydspor.web.catalogue import reading, record
from lydspor.web.render import page
from lydspor.web.routes.guard import guard
from lydspor.web.settings import WebSettings

#: The newest audit entries shown under the status.
RECENT = 50


def verification(catalogue: Path, principal: Principal) -> dict:
    with reading(catalogue) as con:
        result = audit.verify_anchored(con)
        recent = con.execute(
            f"select seq, logged_at, actor, action, call_id, subject from {audit.AUDIT_TABLE} "
            "order by seq desc limit ?",
            [RECENT],
        ).fetchall()
    status = {
        "ok": result.ok,
        "entries": result.entries,
        "first_bad_seq": result.first_bad_seq,
        "problem": result.problem,
    }
    record(catalogue, principal, "audit verification", details={"ok": result.ok})
    keys = ("seq", "at", "actor", "action", "call_id", "subject")
    return {**status, "recent": [dict(zip(keys, r, strict=True)) for r in recent]}


@guard("verify the audit log", Action.AUDIT)
async def audit_page(request: Request, principal: Principal, settings: WebSettings) -> Response:
    status = await run_in_threadpool(verification, settings.catalogue, principal)
    return page(request, "audit.html", {"status": status})


@guard("verify the audit log", Action.AUDIT)
async def audit_api(request: Request, principal: Principal, settings: WebSettings) -> Response:
    status = await run_in_threadpool(verification, settings.catalogue, principal)
    return JSONResponse({k: v for k, v in status.items() if k != "recent"})


routes = [Route("/audit", audit_page), Route("/api/audit", audit_api)]
