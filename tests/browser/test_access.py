"""A browser's way in, in Chromium: signing in to the dashboard when reads need a token (and
watching it update live under that session), signing out, calling the API from a page on another
origin (CORS), the pages' Content-Security-Policy, and the interactive reference offline."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.e2e.conftest import ADMIN, Server, free_port, running_server

SLUG = "openai-microsoft"


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, int]]:
    """A server whose reads need a token, allowing CORS from one loopback origin (a port of its
    own, on which `portal` serves a page)."""
    workdir = tmp_path_factory.mktemp("locked")
    portal_port = free_port()
    with running_server(
        f"sqlite:///{workdir}/pactlog.sqlite",
        workdir,
        PACTLOG_ANONYMOUS_READS="0",
        PACTLOG_CORS_ORIGINS=f"http://127.0.0.1:{portal_port}",
    ) as (running, _):
        yield running, portal_port


def console_problems(page: Any) -> list[str]:
    """Collects what the browser reports as errors (CSP violations among them)."""
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def statement(summary: str) -> dict[str, Any]:
    return {
        "type": "StatementMade",
        "occurred_on": (datetime.now(UTC) - timedelta(days=1)).date().isoformat(),
        "summary": summary,
        "sources": [{"title": "Live", "url": "https://example.org/live", "publisher": "tests"}],
        "confidence": "rumored",
        "data": {"speaker": "pactlog tests", "organization": "pactlog", "statement": summary},
    }


def sign_in_and_watch_an_event_arrive(base: str, server: Server, page: Any, name: str) -> None:
    """The journey of `Done when`: sign in, see the dashboard, an event appended through the API
    arrives live, sign out."""
    problems = console_problems(page)
    page.goto(base + f"/?partnership={SLUG}")
    assert page.get_by_role("heading", name="Sign in to the dashboard").is_visible()
    screenshot(page, f"{name}-sign-in")
    page.get_by_label("Token").fill("pl_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    assert "unknown or revoked" in page.locator(".errors").inner_text()
    page.get_by_label("Token").fill(ADMIN)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith(f"/?partnership={SLUG}")
    assert page.locator("#headline-title").inner_text().startswith("OpenAI–Microsoft")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["pactlog_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    assert session["value"] != ADMIN
    assert page.evaluate("document.cookie") == ""  # the page's script cannot read it
    page.evaluate("window.sameDocument = true")
    page.wait_for_function("document.getElementById('live-status').textContent.startsWith('Live')")
    answer = server.call("POST", f"/v1/partnerships/{SLUG}/events", statement(f"{name}: live"))
    assert answer.status == 201, answer.body
    item = page.locator(f'#timeline > li[data-position="{answer.body["position"]}"]')
    item.wait_for(state="visible", timeout=30_000)
    assert f"{name}: live" in item.inner_text()
    assert page.evaluate("window.sameDocument") is True
    screenshot(page, f"{name}-signed-in-live")
    assert not [p for p in problems if "Content Security Policy" in p], problems
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("heading", name="Sign in to the dashboard").is_visible()
    page.goto(base + "/")
    assert page.get_by_role("heading", name="Sign in to the dashboard").is_visible()


def test_a_person_signs_in_watches_live_and_signs_out(
    locked: tuple[Server, int], page: Any
) -> None:
    server, _ = locked
    sign_in_and_watch_an_event_arrive(server.base, server, page, "sign-in")


class _Portal(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>portal</title><h1>A portal elsewhere</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def portals(locked: tuple[Server, int]) -> Iterator[tuple[str, str]]:
    """Two pages on other loopback origins: one the configuration allows, one it does not."""
    _, allowed_port = locked
    servers = [
        http.server.ThreadingHTTPServer(("127.0.0.1", port), _Portal)
        for port in (allowed_port, free_port())
    ]
    for portal in servers:
        threading.Thread(target=portal.serve_forever, daemon=True).start()
    try:
        yield tuple(f"http://127.0.0.1:{s.server_address[1]}" for s in servers)  # type: ignore[misc]
    finally:
        for portal in servers:
            portal.shutdown()
            portal.server_close()


FETCH = """async ([url, token]) => {
  try {
    const answer = await fetch(url, {headers: {Authorization: "Bearer " + token}});
    return {status: answer.status, position: answer.headers.get("Pactlog-Position"),
            body: await answer.json()};
  } catch (error) {
    return {error: String(error)};
  }
}"""


def test_a_page_on_an_allowed_origin_calls_the_api_and_others_cannot(
    locked: tuple[Server, int], portals: tuple[str, str], page: Any
) -> None:
    server, _ = locked
    allowed, other = portals
    url = server.base + "/v1/partnerships"
    page.goto(allowed + "/")
    answer = page.evaluate(FETCH, [url, ADMIN])  # with Authorization: a preflight first
    assert answer.get("status") == 200, answer
    assert answer["position"] is not None  # an exposed header
    assert [p["slug"] for p in answer["body"]["partnerships"]] == [SLUG]
    page.goto(other + "/")
    refused = page.evaluate(FETCH, [url, ADMIN])
    assert "error" in refused, refused


def test_the_dashboard_and_the_reference_run_under_their_policy_and_offline(
    locked: tuple[Server, int], page: Any, tmp_path: Path
) -> None:
    server, _ = locked
    elsewhere: list[str] = []

    def only_here(route: Any) -> None:
        if route.request.url.startswith(server.base):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    problems = console_problems(page)
    page.goto(server.base + "/docs")
    page.locator(".opblock").first.wait_for(state="visible")
    assert page.locator(".opblock").count() > 20
    # Markdown in descriptions is rendered: `Accept: text/csv` becomes code.
    page.locator("#operations-series-get_series").click()
    description = page.locator("#operations-series-get_series .opblock-description")
    description.wait_for(state="visible")
    assert description.locator("code").count() > 0
    assert "`" not in description.inner_text()
    screenshot(page, "docs-reference")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not elsewhere, elsewhere
    assert not [p for p in problems if "Content Security Policy" in p], problems
    page.goto(server.base + "/docs/problems#stale-version")
    assert page.locator("#stale-version").is_visible()
