"""The web app in a real browser: Debian's headless Chromium, driven by Playwright, against
`lydspor serve` on a free port over a catalogue the pipeline's own steps built: sign-in, a
call's lineage, a page of another team refused, filing an erasure, sign-out."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

playwright = pytest.importorskip("playwright.sync_api")

from tests.web.conftest import PASSWORD  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
#: Debian's build, as a server would run it: no sandbox (containers), no network of its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LYDSPOR = Path(sys.executable).parent / "lydspor"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(web_state, tmp_path_factory):
    """`lydspor serve` in its own process, on the test catalogue; its URL."""
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(LYDSPOR), "serve", "--port", str(port)],
            env=dict(os.environ),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx2.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = "no /usr/bin/chromium: run scripts/install-test-deps.sh"
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


def sign_in(page, server: str, user: str, path: str = "/") -> None:
    page.goto(f"{server}{path}")
    assert "/login" in page.url  # signed out: sent to sign in first
    page.fill("#user", user)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(re.compile(re.escape(server + path) + "$"))


def sign_out(page, server: str) -> None:
    page.click("#sign-out")
    page.wait_for_url(re.compile(r"/login$"))
    response = page.goto(f"{server}/calls")
    assert "/login" in page.url and response.status == 200
    assert "out-1" not in page.content()


def test_team_lead_reads_a_lineage_is_refused_another_team_and_signs_out(page, server, tmp_path):
    sign_in(page, server, "lead-sales", "/calls")
    assert page.locator("#whoami").inner_text().startswith("lead-sales")
    calls = page.locator("#calls tbody tr td:first-child").all_inner_texts()
    assert sorted(calls) == ["out-1", "out-3"]
    page.click("text=out-1")
    page.wait_for_url(re.compile(r"/calls/out-1$"))
    assert page.locator("#lineage-title").inner_text() == "Lineage of call out-1"
    objects = page.locator("#objects tbody tr")
    assert objects.count() >= 3  # the recording, the agent's audio, the call's rows
    assert "verified absent" in page.locator("#objects").inner_text()
    assert page.locator("#bases tbody tr").count() == 2  # agent and customer tracks
    page.screenshot(path=str(tmp_path / "lineage.png"), full_page=True)
    refused = page.goto(f"{server}/calls/in-2")
    assert refused.status == 403
    assert "may not see call in-2" in page.locator("#refused").inner_text()
    assert "support-bergen" not in page.content()
    # The refusal is listed with the call's reads, for those who may see them.
    sign_out(page, server)
    sign_in(page, server, "owner", "/calls/in-2")
    reads = page.locator("#reads").inner_text()
    assert re.search(r"lead-sales\s+lineage\s+refused", reads), reads
    sign_out(page, server)


def test_compliance_officer_files_an_erasure_and_sees_what_was_deleted(page, server):
    sign_in(page, server, "dpo", "/erasures")
    page.select_option("#selector", "call")
    page.fill("#value", "out-3")
    page.select_option("#decision", "erase")
    page.fill("#reason", "Art. 17 request, ticket 42")
    page.click("#file-erasure")
    page.wait_for_url(re.compile(r"/erasures/[0-9a-f-]{36}$"))
    assert page.locator("#decision").inner_text() == "erase"
    assert page.locator("#decided-by").inner_text().startswith("dpo ")
    assert "1 matched, 1 erased, 0 under legal hold" in page.locator("#counts").inner_text()
    deleted = page.locator("#deleted tbody tr").all_inner_texts()
    assert deleted and all("out-3" in row for row in deleted)
    page.goto(f"{server}/calls/out-3")
    assert "kept" not in page.locator("#objects").inner_text()  # every object deleted
    sign_out(page, server)
