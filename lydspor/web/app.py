"""The app factory: routes, sessions, sign-in guard and CSRF, assembled.

From the outside in: CSRF (asgi-csrf: a signed double-submit token in every POST form, checked
before anything else sees the request), then the signed session cookie (Starlette's
``SessionMiddleware``: itsdangerous-signed, HttpOnly, SameSite=Lax, Secure over https, expired
server-side after ``session_hours``), then the sign-in guard (``auth.SignedIn``), then the pages.
The cookies' signing keys are derived from the tenant's secret key (``assets/common/secrets``),
so they survive restarts and live outside the state directory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asgi_csrf import asgi_csrf
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from assets.common.secrets import secret_key
from lydspor.web import auth, oidc
from lydspor.web.accounts import Accounts
from lydspor.web.followup import FollowUps
from lydspor.web.render import HERE
from lydspor.web.routes import audit_status, erasures, holds, home, lineage, marts, report
from lydspor.web.settings import WebSettings

SESSION_COOKIE = "lydspor_session"


def derived_key(purpose: str) -> str:
    """A key for one purpose, derived from the tenant's secret key (HKDF-SHA256)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
    return hkdf.derive(secret_key()).hex()


class WebApp:
    """The ASGI app as served: ``starlette`` (its routes and state) behind the CSRF check."""

    def __init__(self, starlette: Starlette, asgi):
        self.starlette = starlette
        self._asgi = asgi

    @property
    def state(self):
        return self.starlette.state

    async def __call__(self, scope, receive, send) -> None:
        await self._asgi(scope, receive, send)


def create_app(settings: WebSettings | None = None, *, oidc_transport=None) -> WebApp:
    """The ASGI app. ``oidc_transport`` (an httpx transport) is how tests reach a fake IdP."""
    settings = settings or WebSettings.from_environment()
    accounts = Accounts(settings.accounts)
    limiter = auth.SignInLimiter(settings.signin_limit)
    routes = [
        *home.routes,
        *auth.routes(settings, accounts, limiter),
        *oidc.routes(settings, accounts, oidc_transport),
        *lineage.routes,
        *report.routes,
        *erasures.routes,
        *holds.routes,
        *audit_status.routes,
        *marts.routes,
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    followups = FollowUps()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        followups.shutdown()

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=derived_key("lydspor web session"),
                session_cookie=SESSION_COOKIE,
                max_age=int(settings.session_hours * 3600),
                same_site="lax",
                https_only=settings.secure_cookies,
            ),
            Middleware(auth.SignedIn, settings=settings, accounts=accounts),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.accounts = accounts
    app.state.followups = followups
    posts = {r.path for r in routes if getattr(r, "methods", None) and "POST" in r.methods}
    protected = asgi_csrf(
        app,
        signing_secret=derived_key("lydspor web csrf"),
        # Every form is checked, even a request with no cookie at all (sign-in included).
        always_protect=posts,
        cookie_secure=settings.secure_cookies,
    )
    return WebApp(app, protected)
