"""Erasure requests: the decided ones, filing one, and one request's decision and what it deleted.

A request is decided and carried out by ``assets.retention.erasure.execute_request``, the
function ``lydspor erase`` calls, with the signed-in user as who decided; nothing here deletes
anything itself. Only roles that may ERASE file requests; roles that may read the report see
the decided ones.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from assets.access.authorise import Action
from assets.access.policy import Principal
from assets.common.lake import Warehouse
from assets.common.warehouse import first_column
from assets.retention.erasure import DECISIONS, SELECTORS, ErasureError, execute_request
from assets.retention.resources import policy_from_environment
from lydspor.web.catalogue import reading, record, store, writing
from lydspor.web.render import page
from lydspor.web.routes.guard import guard
from lydspor.web.settings import WebSettings

COLUMNS = (
    "request_id",
    "selector",
    "selector_value",
    "decision",
    "reason",
    "decided_by",
    "decided_at",
    "calls_matched",
    "calls_erased",
    "calls_held",
    "objects_deleted",
)


def requests_of(catalogue: Warehouse, principal: Principal) -> list[dict]:
    with reading(catalogue) as con:
        rows = con.execute(
            f"select {', '.join(COLUMNS)} from raw.erasure_requests order by decided_at desc"
        ).fetchall()
    record(catalogue, principal, "erasure requests", details={"requests": len(rows)})
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows]


def request_of(catalogue: Warehouse, principal: Principal, request_id: str) -> dict:
    with reading(catalogue) as con:
        row = con.execute(
            f"select {', '.join(COLUMNS)} from raw.erasure_requests where request_id = ?",
            [request_id],
        ).fetchone()
        if row is None:
            raise LookupError(f"no erasure request {request_id!r}")
        calls = first_column(
            con,
            "select call_id from raw.erased_calls where request_id = ? order by call_id",
            [request_id],
        )
        deleted = con.execute(
            "select o.object_key, o.object_class, o.deleted_at, r.receipt_id, r.verified_absent "
            "from raw.stored_objects o left join raw.deletion_receipts r using (object_key) "
            "where o.deletion_reason = ? order by o.object_key",
            [f"erasure request {request_id}"],
        ).fetchall()
    record(catalogue, principal, "erasure request", details={"request_id": request_id})
    keys = ("object_key", "object_class", "deleted_at", "receipt_id", "verified_absent")
    return {
        **dict(zip(COLUMNS, row, strict=True)),
        "erased_calls": calls,
        "deleted": [dict(zip(keys, d, strict=True)) for d in deleted],
    }


def decide(catalogue: Warehouse, principal: Principal, form: dict):
    tenant = policy_from_environment()
    with writing(catalogue) as con:
        return execute_request(
            store(),
            con,
            selector=form["selector"],
            value=form["value"],
            decision=form["decision"],
            reason=form["reason"],
            decided_by=principal.user,
            keep_phone_hash=tenant.erasure.keep_phone_hash,
            expiry=tenant.expiry,
        )


def _form_context(error: str | None = None, values: dict | None = None) -> dict:
    return {
        "selectors": sorted(SELECTORS),
        "decisions": sorted(DECISIONS),
        "error": error,
        "values": values or {},
    }


@guard("see erasure requests", Action.REPORT, Action.ERASE)
async def erasures_page(request: Request, principal: Principal, settings: WebSettings) -> Response:
    requests = await run_in_threadpool(requests_of, settings.warehouse, principal)
    return page(request, "erasures.html", {"requests": requests, **_form_context()})


@guard("decide erasure requests", Action.ERASE)
async def file_request(request: Request, principal: Principal, settings: WebSettings) -> Response:
    raw = await request.form()
    form = {k: str(raw.get(k, "")).strip() for k in ("selector", "value", "decision", "reason")}
    if not form["value"]:
        error = "name the call, agent or phone number the request is about"
    else:
        try:
            outcome = await run_in_threadpool(decide, settings.warehouse, principal, form)
        except ErasureError as exc:
            error = f"{exc} (nothing was changed)"
        else:
            if settings.erasure_followup and outcome.decision == "erase":
                dates = outcome.call_dates if outcome.calls_erased else []
                request.app.state.followups.submit(
                    outcome.request_id, dates, [form["value"], *outcome.calls_erased]
                )
            return RedirectResponse(f"/erasures/{outcome.request_id}", status_code=303)
    requests = await run_in_threadpool(requests_of, settings.warehouse, principal)
    # The value typed is not echoed back: it may be a phone number.
    values = {k: form[k] for k in ("selector", "decision", "reason")}
    context = {"requests": requests, **_form_context(error, values)}
    return page(request, "erasures.html", context, status=400)


@guard("see erasure requests", Action.REPORT, Action.ERASE)
async def request_page(request: Request, principal: Principal, settings: WebSettings) -> Response:
    request_id = request.path_params["request_id"]
    data = await run_in_threadpool(request_of, settings.warehouse, principal, request_id)
    followup = request.app.state.followups.get(request_id)
    return page(request, "erasure.html", {"e": data, "followup": followup})


routes = [
    Route("/erasures", erasures_page, methods=["GET"]),
    Route("/erasures", file_request, methods=["POST"]),
    Route("/erasures/{request_id}", request_page, methods=["GET"]),
]
