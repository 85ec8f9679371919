"""Driving the app in-process (Starlette's TestClient): the CSRF token of a page, signing in."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.web.conftest import PASSWORD

TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')


def token(client: TestClient, path: str = "/login") -> str:
    page = client.get(path, follow_redirects=False)
    assert page.status_code == 200, (path, page.status_code)
    return TOKEN.search(page.text).group(1)


def sign_in(client: TestClient, user: str, password: str = PASSWORD, **extra):
    return client.post(
        "/login",
        data={"user": user, "password": password, "csrftoken": token(client), **extra},
        follow_redirects=False,
    )
