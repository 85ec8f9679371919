"""Sign-in, sessions, CSRF and the sign-in rate limit, in-process; and that every route but the
sign-in pages is closed to a signed-out request, with no call data in the answer."""

from __future__ import annotations

import dataclasses
import re

import duckdb
import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from lydspor.web.app import SESSION_COOKIE, create_app
from lydspor.web.auth import PUBLIC
from tests.web.client import sign_in, token
from tests.web.conftest import CALLS, PASSWORD

BASE = "http://127.0.0.1"
#: Values for path parameters: real ones, so a leak would show real data.
PARAMS = {"call_id": "out-1", "table": "fct_calls", "request_id": "none"}
CALL_DATA = [c[0] for c in CALLS] + [c[2] for c in CALLS] + ["stored_objects", "sha256"]


@pytest.fixture
def client(web_state):
    with TestClient(create_app(web_state), base_url=BASE) as c:
        yield c


def _routes(app) -> list[tuple[str, str]]:
    found = []
    for route in app.starlette.routes:
        if isinstance(route, Route):
            for method in sorted(route.methods - {"HEAD"}):
                found.append((method, route.path))
    return found


def test_every_route_is_closed_when_signed_out(client):
    routes = _routes(client.app)
    assert len(routes) >= 20, routes  # the enumeration found the app's routes
    csrf = token(client)
    closed = 0
    for method, path in routes:
        if path in PUBLIC:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], path)
        response = client.request(
            method, url, data={"csrftoken": csrf} if method == "POST" else None,
            follow_redirects=False,
        )  # fmt: skip
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path)
        else:
            assert response.status_code == 302, (method, path)
            assert response.headers["location"].startswith("/login?next="), (method, path)
        for value in CALL_DATA:
            assert value not in response.text, (method, path, value)
        closed += 1
    assert closed >= 17


def test_sign_in_sets_a_signed_http_only_lax_cookie_and_sign_out_ends_it(client):
    assert sign_in(client, "owner", "wrong password!").status_code == 401
    done = sign_in(client, "owner", next="/calls")
    assert done.status_code == 303 and done.headers["location"] == "/calls"
    cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # served over http here
    stolen = client.cookies.get(SESSION_COOKIE)
    assert client.get("/calls").status_code == 200
    signed_out = client.post("/logout", data={"csrftoken": token(client, "/")})
    assert signed_out.status_code == 200 and "Sign in" in signed_out.text
    # The old cookie, replayed, is refused: the session ended on the server.
    client.cookies.set(SESSION_COOKIE, stolen)
    assert client.get("/calls", follow_redirects=False).status_code == 302


def test_secure_cookie_over_https(web_state):
    settings = dataclasses.replace(web_state, secure_cookies=True)
    with TestClient(create_app(settings), base_url="https://lydspor.example") as c:
        done = sign_in(c, "owner")
        cookies = done.headers.get_list("set-cookie")
        assert all("secure" in cookie.lower() for cookie in cookies), cookies


def test_a_next_that_leaves_the_site_goes_home(client):
    done = sign_in(client, "owner", next="//evil.example/x")
    assert done.headers["location"] == "/"


def test_posts_without_the_csrf_token_are_refused(client):
    # Sign-in itself: no token, no sign-in (even without any cookie).
    bare = client.post("/login", data={"user": "owner", "password": PASSWORD})
    assert bare.status_code == 403
    sign_in(client, "owner")
    for data in ({}, {"csrftoken": "forged"}):
        placed = client.post(
            "/holds", data={"scope": "call", "subject": "out-1", "reason": "x", **data}
        )
        assert placed.status_code == 403
    forged = client.post(
        "/erasures",
        data={"selector": "call", "value": "out-1", "decision": "erase", "reason": "x"},
    )
    assert forged.status_code == 403
    with duckdb.connect(str(client.app.state.settings.catalogue), read_only=True) as con:
        assert con.execute("select count(*) from raw.legal_holds").fetchone()[0] == 0
        assert con.execute("select count(*) from raw.erasure_requests").fetchone()[0] == 0


def test_failed_sign_ins_are_limited_per_user(client):
    for _ in range(5):
        assert sign_in(client, "analyst", "not the password").status_code == 401
    blocked = sign_in(client, "analyst")  # the right password, too late
    assert blocked.status_code == 429 and "too many" in blocked.text


def test_failed_sign_ins_are_limited_per_address(client):
    for user in ("u1", "u2", "u3", "u4", "u5"):
        assert sign_in(client, user, "not the password").status_code == 401
    assert sign_in(client, "lead-support").status_code == 429


def test_a_user_removed_from_the_policy_cannot_sign_in(web_state, tmp_path):
    other = tmp_path / "access.yaml"
    other.write_text("principals:\n  - {user: analyst, role: admin}\n")
    settings = dataclasses.replace(web_state, access_policy=other)
    with TestClient(create_app(settings), base_url=BASE) as c:
        refused = sign_in(c, "owner")  # a valid account, but not in this policy
        assert refused.status_code == 403 and "not in the access policy" in refused.text
        assert c.get("/", follow_redirects=False).status_code == 302
