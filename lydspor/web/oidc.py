"""Sign-in with OpenID Connect (any IdP: Entra ID, Google, Keycloak), through Authlib.

The authorisation-code flow with a nonce and state kept in the signed session: Authlib fetches
the issuer's discovery document and JWKS, exchanges the code, and checks the ID token's
signature, issuer, audience, expiry and nonce. The claim ``LYDSPOR_OIDC_CLAIM`` names (default
``preferred_username``) must then be a user of the access policy; anyone else is refused.
When that claim is ``email``, the IdP must also say the address is verified.
"""

from __future__ import annotations

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth
from joserfc.errors import JoseError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from assets.access.policy import AccessDenied, AccessPolicyError, load_access_policy
from lydspor.web.accounts import Accounts
from lydspor.web.auth import local_next, start
from lydspor.web.render import refused
from lydspor.web.settings import WebSettings

CALLBACK = "/auth/oidc/callback"


def policy_user(claims: dict, claim: str) -> str | None:
    """The access-policy user the ID token names, or None when it names none safely."""
    value = claims.get(claim)
    if not isinstance(value, str) or not value.strip():
        return None
    if claim == "email" and claims.get("email_verified") is not True:
        return None
    return value.strip()


def routes(settings: WebSettings, accounts: Accounts, transport=None) -> list[Route]:
    """The OIDC sign-in routes; ``transport`` (an httpx transport) reaches the IdP in tests."""
    if settings.oidc is None:
        return []
    oauth = OAuth()
    oauth.register(
        "idp",
        client_id=settings.oidc.client_id,
        client_secret=settings.oidc.client_secret,
        server_metadata_url=settings.oidc.metadata_url,
        client_kwargs={
            "scope": settings.oidc.scopes,
            "code_challenge_method": "S256",
            **({"transport": transport} if transport is not None else {}),
        },
    )
    client = oauth.create_client("idp")

    async def begin(request: Request) -> Response:
        request.session["after_sign_in"] = local_next(request.query_params.get("next"))
        return await client.authorize_redirect(request, settings.public_url.rstrip("/") + CALLBACK)

    async def callback(request: Request) -> Response:
        try:
            token = await client.authorize_access_token(request)
        except (AuthlibBaseError, JoseError) as exc:
            # A bad state, code, signature, issuer, audience, nonce or expiry: no sign-in.
            return refused(request, f"sign-in with the IdP failed: {exc.error}", status=401)
        target = local_next(request.session.get("after_sign_in"))
        user = policy_user(token.get("userinfo") or {}, settings.oidc.claim)
        if user is None:
            return refused(request, f"the IdP's token has no usable {settings.oidc.claim!r} claim")
        try:
            load_access_policy(settings.access_policy).principal(user)
        except (AccessDenied, AccessPolicyError):
            return refused(request, f"{user} is not in the access policy: ask an owner")
        start(request, accounts, settings, user, via="oidc")
        return RedirectResponse(target, status_code=303)

    return [Route("/login/oidc", begin), Route(CALLBACK, callback)]
