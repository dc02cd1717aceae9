"""Done when: the compose configuration's settings (anonymous reads off), run directly here as
gunicorn + the projector + PostgreSQL, serve a dashboard that a person signs into in Chromium and
watches an appended event arrive live."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.api.helpers import example_lines
from tests.browser.test_access import sign_in_and_watch_an_event_arrive
from tests.e2e.conftest import ADMIN, ROOT
from tests.production.conftest import Stack, call, running_stack

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
SLUG = "openai-microsoft"
_VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def compose_settings() -> dict[str, str]:
    """The API's environment as docker-compose would give it with `.env.example` as `.env`."""
    dotenv = dict(re.findall(r"^(\w+)=(.*)$", (ROOT / ".env.example").read_text(), re.MULTILINE))
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"]["api"]["environment"]

    def fill(value: Any) -> str:
        return _VARIABLE.sub(
            lambda m: (
                dotenv.get(m[1]) or ("" if m[0].startswith("${" + m[1] + ":?") else m[2] or "")
            ),
            str(value),
        )

    return {name: fill(value) for name, value in environment.items()}


@pytest.fixture
def production(postgres_url: str, tmp_path: Path) -> Iterator[Stack]:
    settings = compose_settings()
    assert settings["PACTLOG_ANONYMOUS_READS"] == "false"
    assert settings["PACTLOG_PROJECT_INLINE"] == "false"
    # Here rather than in containers: this test's database and port, and a known admin token.
    settings.update(DATABASE_URL=postgres_url, PACTLOG_ADMIN_TOKEN=ADMIN)
    with running_stack(postgres_url, tmp_path, **settings) as stack:
        batch = {"events": example_lines()}
        answer = call(stack.server, "POST", f"/v1/partnerships/{SLUG}/events", batch)
        assert answer.status == 201, answer
        stack.wait_ready()
        yield stack


def test_the_production_dashboard_signs_in_and_shows_an_event_live(
    production: Stack, page: Any
) -> None:
    assert call(production.server, "GET", "/", token=None).status == 401
    date_headers = [
        line for line in _raw_headers(production.server.base + "/v1/catalog") if line[0] == "date"
    ]
    assert len(date_headers) == 1
    sign_in_and_watch_an_event_arrive(production.server.base, production.server, page, "production")


def _raw_headers(url: str) -> list[tuple[str, str]]:
    import http.client  # noqa: PLC0415
    from urllib.parse import urlsplit  # noqa: PLC0415

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    connection.request("GET", parts.path, headers={"Authorization": f"Bearer {ADMIN}"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return [(name.lower(), value) for name, value in response.getheaders()]
