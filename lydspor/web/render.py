"""Pages: the Jinja2 templates, the CSRF token every form carries, and the refusal pages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.templating import Jinja2Templates

from assets.access.authorise import Action, may

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))


def csrf_token(request: Request) -> str:
    """The token the form posts back (asgi-csrf's double-submit cookie, signed)."""
    return request.scope["csrftoken"]()


def when(value) -> str:
    """An ISO timestamp as ``YYYY-MM-DD HH:MM:SS UTC`` (dates and anything else unchanged)."""
    if isinstance(value, datetime):
        value = value.isoformat()
    if not isinstance(value, str) or "T" not in value:
        return "" if value is None else str(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if moment.tzinfo else "")


templates.env.globals["csrf_token"] = csrf_token
templates.env.filters["when"] = when
templates.env.globals["Action"] = Action
templates.env.globals["may"] = may


def page(request: Request, name: str, context: dict | None = None, status: int = 200) -> Response:
    principal = getattr(request.state, "principal", None)
    return templates.TemplateResponse(
        request, name, {"principal": principal, **(context or {})}, status_code=status
    )


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def refused(request: Request, message: str, status: int = 403) -> Response:
    """A refusal that names what was asked for, never what the data holds."""
    if is_api(request):
        return JSONResponse({"error": message}, status_code=status)
    return page(request, "refused.html", {"message": message}, status=status)


def unavailable(request: Request, message: str) -> Response:
    if is_api(request):
        return JSONResponse({"error": message}, status_code=503, headers={"Retry-After": "10"})
    response = page(request, "refused.html", {"message": message, "title": "Try again"}, 503)
    response.headers["Retry-After"] = "10"
    return response


def html(body: str, *, csp: str) -> HTMLResponse:
    return HTMLResponse(body, headers={"Content-Security-Policy": csp})
