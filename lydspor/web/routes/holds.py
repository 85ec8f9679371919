"""Legal holds: the open ones, placing one, releasing one (``assets.retention.holds``, as the
CLI's ``lydspor hold``), with the signed-in user as who placed or released it."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from assets.access.authorise import Action
from assets.access.policy import Principal
from assets.common.lake import Warehouse
from assets.retention.holds import SCOPES, HoldError, active_holds, place_hold, release_hold
from lydspor.web.catalogue import reading, record, store, writing
from lydspor.web.render import page
from lydspor.web.routes.guard import guard
from lydspor.web.settings import WebSettings


def holds_of(catalogue: Warehouse, principal: Principal) -> list[dict]:
    with reading(catalogue) as con:
        holds = active_holds(con)
    record(catalogue, principal, "legal holds", details={"open": len(holds)})
    return holds


async def _listing(
    request: Request, principal: Principal, settings: WebSettings, error: str | None = None
) -> Response:
    holds = await run_in_threadpool(holds_of, settings.warehouse, principal)
    context = {"holds": holds, "scopes": sorted(SCOPES), "error": error}
    return page(request, "holds.html", context, status=400 if error else 200)


@guard("manage legal holds", Action.HOLD)
async def holds_page(request: Request, principal: Principal, settings: WebSettings) -> Response:
    return await _listing(request, principal, settings)


def _place(
    catalogue: Warehouse, principal: Principal, scope: str, subject: str, reason: str
) -> None:
    with writing(catalogue) as con:
        place_hold(con, scope, subject, reason, principal.user, store=store())


def _release(catalogue: Warehouse, principal: Principal, hold_id: str, reason: str) -> None:
    with writing(catalogue) as con:
        release_hold(con, hold_id, principal.user, reason, store=store())


@guard("manage legal holds", Action.HOLD)
async def place(request: Request, principal: Principal, settings: WebSettings) -> Response:
    form = await request.form()
    scope, subject = str(form.get("scope", "")), str(form.get("subject", "")).strip()
    try:
        await run_in_threadpool(
            _place, settings.warehouse, principal, scope, subject, str(form.get("reason", ""))
        )
    except HoldError as exc:
        return await _listing(request, principal, settings, f"{exc} (no hold was placed)")
    return RedirectResponse("/holds", status_code=303)


@guard("manage legal holds", Action.HOLD)
async def release(request: Request, principal: Principal, settings: WebSettings) -> Response:
    form = await request.form()
    reason = str(form.get("reason", "")).strip()
    if not reason:
        return await _listing(request, principal, settings, "a release needs a reason")
    try:
        await run_in_threadpool(
            _release, settings.warehouse, principal, str(form.get("hold_id", "")), reason
        )
    except HoldError as exc:
        return await _listing(request, principal, settings, str(exc))
    return RedirectResponse("/holds", status_code=303)


routes = [
    Route("/holds", holds_page, methods=["GET"]),
    Route("/holds", place, methods=["POST"]),
    Route("/holds/release", release, methods=["POST"]),
]
