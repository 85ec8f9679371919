"""Who is asking: sign-in with a local account, sign-out, and the guard in front of every page.

Every path is closed unless it is listed in ``PUBLIC``: a signed-out request for a page is
redirected to ``/login``, one for ``/api/...`` is answered 401, and neither carries any data.
The signed-in user is resolved to a principal of the access policy at every request (role and
teams can change, or the user be removed, while a session lasts); a user the policy no longer
names is signed out.

Failed sign-ins are limited per user name and per client address (``limits``' moving window,
``LYDSPOR_WEB_SIGNIN_LIMIT``, default 5 a minute): past it, sign-in answers 429, even with the
right password, until the window has moved on.
"""

from __future__ import annotations

from urllib.parse import quote

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from assets.access.policy import AccessDenied, AccessPolicyError, load_access_policy
from lydspor.web.accounts import Accounts
from lydspor.web.render import is_api, page, refused
from lydspor.web.settings import WebSettings

#: Paths open without signing in: the sign-in pages, the stylesheet, the health check.
PUBLIC = ("/login", "/login/oidc", "/auth/oidc/callback", "/healthz")
PUBLIC_PREFIXES = ("/static/",)
#: Headers on every response: no framing, no referrer, nothing cached, no third-party anything.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
DEFAULT_CSP = "default-src 'self'; form-action 'self'; frame-ancestors 'none'"


class SignInLimiter:
    """Failed sign-ins per user and per client address."""

    def __init__(self, limit: str):
        self.item = parse(limit)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def blocked(self, user: str, address: str) -> bool:
        return not (
            self.limiter.test(self.item, "user", user)
            and self.limiter.test(self.item, "address", address)
        )

    def failed(self, user: str, address: str) -> None:
        self.limiter.hit(self.item, "user", user)
        self.limiter.hit(self.item, "address", address)


def local_next(target: str | None) -> str:
    """Where to go after sign-in: a path on this site only (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class SignedIn(BaseHTTPMiddleware):
    """Resolve the session to a principal of the access policy, or refuse the request."""

    def __init__(self, app, settings: WebSettings, accounts: Accounts):
        super().__init__(app)
        self.settings = settings
        self.accounts = accounts

    async def dispatch(self, request: Request, call_next) -> Response:
        path = request.url.path
        if path in PUBLIC or path.startswith(PUBLIC_PREFIXES):
            response = await call_next(request)
        else:
            principal = await run_in_threadpool(self._principal, request)
            if principal is None:
                response = self._signed_out(request)
            else:
                request.state.principal = principal
                response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
        return response

    def _principal(self, request: Request):
        sid = request.session.get("sid")
        user = self.accounts.session_user(sid) if sid else None
        if user is None:
            request.session.clear()
            return None
        try:
            return load_access_policy(self.settings.access_policy).principal(user)
        except (AccessDenied, AccessPolicyError):
            # Removed from the policy (or the policy is broken): no access, whatever the session.
            self.accounts.end_session(sid)
            request.session.clear()
            return None

    @staticmethod
    def _signed_out(request: Request) -> Response:
        if is_api(request):
            return JSONResponse({"error": "sign in first"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=302)


def routes(settings: WebSettings, accounts: Accounts, limiter: SignInLimiter) -> list[Route]:
    async def login_form(request: Request) -> Response:
        return page(
            request,
            "login.html",
            {
                "next": local_next(request.query_params.get("next")),
                "local": settings.local_accounts,
                "oidc": settings.oidc is not None,
            },
        )

    async def login(request: Request) -> Response:
        if not settings.local_accounts:
            return refused(request, "local accounts are switched off: sign in with your IdP")
        form = await request.form()
        user = str(form.get("user", "")).strip()
        password = str(form.get("password", ""))
        target = local_next(str(form.get("next", "")))
        address = _address(request)
        context = {"next": target, "local": True, "oidc": settings.oidc is not None, "user": user}
        if limiter.blocked(user, address):
            context["error"] = "too many failed sign-ins: wait a minute and try again"
            return page(request, "login.html", context, status=429)
        if not user or not await run_in_threadpool(accounts.verify, user, password):
            limiter.failed(user, address)
            context["error"] = "wrong user name or password"
            return page(request, "login.html", context, status=401)
        try:
            load_access_policy(settings.access_policy).principal(user)
        except (AccessDenied, AccessPolicyError):
            context["error"] = f"{user} is not in the access policy: ask an owner"
            return page(request, "login.html", context, status=403)
        start(request, accounts, settings, user, via="password")
        return RedirectResponse(target, status_code=303)

    async def logout(request: Request) -> Response:
        sid = request.session.get("sid")
        if sid:
            await run_in_threadpool(accounts.end_session, sid)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]


def start(request: Request, accounts: Accounts, settings: WebSettings, user: str, via: str) -> None:
    """A fresh session for ``user`` (a new id: nothing from before sign-in carries over)."""
    request.session.clear()
    request.session["sid"] = accounts.start_session(user, via, settings.session_hours)
