"""The period compliance report: the same self-contained HTML ``lydspor report`` writes."""

from __future__ import annotations

from datetime import date, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from assets.access.authorise import Action
from assets.access.policy import Principal
from assets.common.lake import Warehouse
from assets.retention.lineage import period_report
from assets.retention.report import render_report
from lydspor.web.catalogue import reading, record
from lydspor.web.render import html, page, refused
from lydspor.web.routes.guard import guard
from lydspor.web.settings import WebSettings

#: The report has inline styles and an inline SVG chart, and nothing else: no scripts.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
#: The period the form suggests, in days back from today.
DEFAULT_DAYS = 30


def report_html(catalogue: Warehouse, principal: Principal, start: date, end: date) -> str:
    with reading(catalogue) as con:
        data = period_report(con, start, end)
    record(catalogue, principal, f"report {start}..{end}", details=data["totals"])
    return render_report(data)


@guard("read the compliance report", Action.REPORT)
async def report_form(request: Request, principal: Principal, settings: WebSettings) -> Response:
    today = date.today()
    return page(
        request, "report.html", {"start": today - timedelta(days=DEFAULT_DAYS), "end": today}
    )


@guard("read the compliance report", Action.REPORT)
async def report_view(request: Request, principal: Principal, settings: WebSettings) -> Response:
    try:
        start = date.fromisoformat(request.query_params.get("from", ""))
        end = date.fromisoformat(request.query_params.get("to", ""))
    except ValueError:
        return refused(request, "give the period as from=YYYY-MM-DD&to=YYYY-MM-DD", status=400)
    if end < start:
        return refused(request, "the period ends before it starts", status=400)
    body = await run_in_threadpool(report_html, settings.warehouse, principal, start, end)
    return html(body, csp=REPORT_CSP)


routes = [Route("/report", report_form), Route("/report/view", report_view)]
