"""What every data page shares: the role check (a refusal is audited), and how a missing call,
a busy catalogue or a refusal deeper down is answered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assets.access.authorise import Action, may
from assets.access.policy import AccessDenied, Principal
from lydspor.web.catalogue import CatalogueUnavailable, record
from lydspor.web.render import page, refused, unavailable
from lydspor.web.settings import WebSettings

Handler = Callable[[Request, Principal, WebSettings], Awaitable[Response]]
#: Reads what a page shows (blocking: it runs in a worker thread).
Fetch = Callable[[Request, Principal, WebSettings], object]


def settings_of(request: Request) -> WebSettings:
    return request.app.state.settings


def guard(subject: str, *actions: Action) -> Callable[[Handler], Callable]:
    """Let the request through when the principal may take any of ``actions``; otherwise
    answer 403 and write the refusal (``read_denied`` on ``subject``) to the audit log."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            principal: Principal = request.state.principal
            settings = settings_of(request)
            try:
                if actions and not any(may(principal, a) for a in actions):
                    await run_in_threadpool(
                        record, settings.warehouse, principal, subject, refused=True
                    )
                    return refused(request, f"{principal.role} {principal.user} may not {subject}")
                return await handler(request, principal, settings)
            except AccessDenied as exc:
                return refused(request, str(exc))
            except CatalogueUnavailable as exc:
                return unavailable(request, str(exc))
            except LookupError as exc:
                return refused(request, str(exc), status=404)

        return endpoint

    return wrap


def page_and_api(
    subject: str,
    action: Action,
    fetch: Fetch,
    template: str,
    name: str,
    api: Callable[[object], object] = lambda data: data,
) -> tuple[Callable, Callable]:
    """Two guarded endpoints over one ``fetch``: the page renders ``template`` with the data
    as ``name``; the API answers ``api(data)`` as JSON."""

    async def read(request: Request, principal: Principal, settings: WebSettings) -> object:
        return await run_in_threadpool(fetch, request, principal, settings)

    @guard(subject, action)
    async def html(request: Request, principal: Principal, settings: WebSettings) -> Response:
        return page(request, template, {name: await read(request, principal, settings)})

    @guard(subject, action)
    async def json(request: Request, principal: Principal, settings: WebSettings) -> Response:
        return JSONResponse(api(await read(request, principal, settings)))

    return html, json
