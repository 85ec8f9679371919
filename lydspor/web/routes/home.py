"""The start page (what the signed-in user may do) and the health check; neither reads data."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from lydspor.web.render import page


async def home(request: Request) -> Response:
    return page(request, "home.html")


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


routes = [Route("/", home), Route("/healthz", healthz)]
