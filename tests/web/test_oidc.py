"""OpenID Connect sign-in against a fake issuer served in-process (discovery document, JWKS,
token endpoint; ID tokens signed with joserfc, the JOSE library Authlib verifies them with):
the configured claim is mapped to a user of the access policy, anyone else is refused."""

from __future__ import annotations

import dataclasses
import time
from urllib.parse import parse_qs, urlparse

import httpx2
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from lydspor.web.app import create_app
from lydspor.web.settings import OidcSettings

ISSUER = "https://idp.example"
CLIENT_ID = "lydspor-web"


class FakeIssuer:
    """An IdP that answers the code with an ID token holding ``claims`` (and the nonce)."""

    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
        self.signing_key = self.key
        self.claims: dict = {}
        self.nonce = ""
        self.issuer = ISSUER
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/token", self.token, methods=["POST"]),
            ]
        )

    async def discovery(self, request: Request):
        return JSONResponse({
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
        })  # fmt: skip

    async def jwks(self, request: Request):
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def token(self, request: Request):
        form = await request.form()
        assert form["code"] == "the-code" and form.get("code_verifier")
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "sub": "s-1", "iat": now,
                  "exp": now + 300, "nonce": self.nonce, **self.claims}  # fmt: skip
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.signing_key)
        return JSONResponse(
            {"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token}
        )


@pytest.fixture
def idp():
    return FakeIssuer()


def _client(web_state, idp, claim="preferred_username") -> TestClient:
    oidc = OidcSettings(issuer=ISSUER, client_id=CLIENT_ID, client_secret="s3cret", claim=claim)
    settings = dataclasses.replace(web_state, oidc=oidc, local_accounts=False)
    app = create_app(settings, oidc_transport=httpx2.ASGITransport(app=idp.app))
    return TestClient(app, base_url="http://127.0.0.1:8000")


def _sign_in(client: TestClient, idp: FakeIssuer, claims: dict):
    begin = client.get("/login/oidc?next=/audit", follow_redirects=False)
    assert begin.status_code == 302
    sent = parse_qs(urlparse(begin.headers["location"]).query)
    assert begin.headers["location"].startswith(f"{ISSUER}/authorize")
    assert sent["client_id"] == [CLIENT_ID] and sent["code_challenge_method"] == ["S256"]
    assert sent["redirect_uri"] == ["http://127.0.0.1:8000/auth/oidc/callback"]
    idp.nonce, idp.claims = sent["nonce"][0], claims
    return client.get(
        f"/auth/oidc/callback?code=the-code&state={sent['state'][0]}", follow_redirects=False
    )


def test_a_policy_user_signs_in_through_the_idp(web_state, idp):
    with _client(web_state, idp) as client:
        done = _sign_in(client, idp, {"preferred_username": "dpo"})
        assert done.status_code == 303 and done.headers["location"] == "/audit"
        page = client.get("/audit")
        assert page.status_code == 200 and "dpo · compliance" in page.text
        # Local passwords are off when OIDC is on (unless asked for).
        assert "password" not in client.get("/login").text


def test_a_user_the_policy_does_not_name_is_refused(web_state, idp):
    with _client(web_state, idp) as client:
        refused = _sign_in(client, idp, {"preferred_username": "mallory"})
        assert refused.status_code == 403 and "not in the access policy" in refused.text
        assert client.get("/audit", follow_redirects=False).status_code == 302


def test_an_unverified_email_is_not_an_identity(web_state, idp):
    with _client(web_state, idp, claim="email") as client:
        refused = _sign_in(client, idp, {"email": "dpo", "email_verified": False})
        assert refused.status_code == 403
        assert client.get("/audit", follow_redirects=False).status_code == 302
        done = _sign_in(client, idp, {"email": "dpo", "email_verified": True})
        assert done.status_code == 303


@pytest.mark.parametrize("tamper", ["key", "issuer", "nonce"])
def test_a_token_that_does_not_verify_signs_nobody_in(web_state, idp, tamper):
    if tamper == "key":
        idp.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
    elif tamper == "issuer":
        idp.issuer = "https://evil.example"
    with _client(web_state, idp) as client:
        claims = {"preferred_username": "owner"}
        if tamper == "nonce":
            claims["nonce"] = "replayed"
        refused = _sign_in(client, idp, claims)
        assert refused.status_code == 401, refused.text
        assert client.get("/audit", follow_redirects=False).status_code == 302


def test_a_callback_without_the_sessions_state_is_refused(web_state, idp):
    with _client(web_state, idp) as client:
        forged = client.get("/auth/oidc/callback?code=the-code&state=guessed")
        assert forged.status_code == 401
