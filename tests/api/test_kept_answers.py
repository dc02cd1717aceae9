"""Answers a process keeps (`api.headers.kept`): the same bytes as a fold would give, never
served once the partnership's stream has moved on, and 304s to their ETags."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import api.web as api_web
from api.headers import Kept, KeptAnswers, kept_answers
from api.services import services
from events.envelope import parse_event
from tests.api.conftest import make_app
from tests.api.helpers import SLUG, investment

FORMED = {
    "type": "PartnershipFormed",
    "occurred_on": "2020-01-15",
    "summary": "Acme and Globex",
    "data": {"name": "Acme–Globex", "parties": ["Acme", "Globex"]},
}
READS = (
    f"/v1/partnerships/{SLUG}/state",
    f"/v1/partnerships/{SLUG}/state?as_of=2023-11-20",
    f"/v1/partnerships/{SLUG}/state?known_at=2030-01-01T00:00:00Z&min_confidence=confirmed",
    f"/v1/partnerships/{SLUG}/series/trust?from=2023-01-01&to=2023-12-31&step=month",
    f"/v1/partnerships/{SLUG}/series/invested?step=quarter&format=csv",
    f"/v1/partnerships/{SLUG}/events?limit=5",
    f"/v1/partnerships/{SLUG}/events?limit=5&type=InvestmentMade&as_of=2023-12-31",
)


def kept_count(app: Flask) -> int:
    with app.app_context():
        return len(kept_answers())


@pytest.mark.parametrize("url", READS)
def test_a_kept_answer_is_the_answer_a_fold_gives(
    app: Flask,
    client: FlaskClient,
    writer: dict[str, str],
    loaded: list[dict[str, Any]],
    url: str,
) -> None:
    first = client.get(url, headers=writer)
    assert first.status_code == 200
    again = client.get(url, headers=writer)
    assert kept_count(app) >= 1
    assert again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers.get("Pactlog-Position") == first.headers.get("Pactlog-Position")
    assert again.mimetype == first.mimetype
    with app.app_context():
        kept_answers().clear()  # forget: fold again
    folded = client.get(url, headers=writer)
    assert folded.data == first.data


@pytest.mark.parametrize("url", READS)
def test_a_kept_answer_answers_304_to_its_etag(
    client: FlaskClient, writer: dict[str, str], loaded: list[dict[str, Any]], url: str
) -> None:
    etag = client.get(url, headers=writer).headers["ETag"]
    again = client.get(url, headers={**writer, "If-None-Match": etag})
    assert again.status_code == 304
    assert not again.data
    assert again.headers["ETag"] == etag
    weak = client.get(url, headers={**writer, "If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304
    other = client.get(url, headers={**writer, "If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert other.headers["ETag"] == etag


def test_a_kept_answer_is_not_served_once_a_new_event_is_projected(
    client: FlaskClient, writer: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    for url in (f"/v1/partnerships/{SLUG}/state", f"/v1/partnerships/{SLUG}/events?limit=500"):
        before = client.get(url, headers=writer)
        etag = before.headers["ETag"]
        client.post(f"/v1/partnerships/{SLUG}/events", json=investment(), headers=writer)
        after = client.get(url, headers={**writer, "If-None-Match": etag})
        assert after.status_code == 200
        assert after.headers["ETag"] != etag
        assert after.get_json()["version"] == before.get_json()["version"] + 1


@pytest.fixture
def projected_apart(tmp_path: Path) -> Iterator[Flask]:
    """An app whose view a separate projector keeps (here: `catch_up` called by the test),
    with partnership `acme` formed and projected."""
    app = make_app(tmp_path, ANONYMOUS_READS=True, PROJECT_INLINE=False)
    try:
        service = services(app).pactlog
        service.create_partnership("acme", parse_event(FORMED, "acme"))
        service.catch_up()
        yield app
    finally:
        services(app).close()


def test_with_a_separate_projector_min_position_reads_the_new_answer(
    projected_apart: Flask,
) -> None:
    service = services(projected_apart).pactlog
    client = projected_apart.test_client()
    url = "/v1/partnerships/acme/state"
    before = client.get(url).get_json()
    assert client.get(url).get_json() == before  # kept
    appended = service.append("acme", [parse_event(investment(), "acme")])
    service.catch_up()
    after = client.get(url, query_string={"min_position": appended.position}).get_json()
    assert after["position"] == appended.position
    assert after["version"] == before["version"] + 1


def test_with_a_separate_projector_one_thread_reads_an_aged_stamp_while_the_others_answer(
    projected_apart: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = services(projected_apart).pactlog
    client = projected_apart.test_client()
    url = "/v1/partnerships/acme/state"
    before = client.get(url)
    reads: list[str] = []
    read_stamp = service.read_stamp
    monkeypatch.setattr(service, "read_stamp", lambda slug: reads.append(slug) or read_stamp(slug))
    with projected_apart.app_context():
        answers = kept_answers()
    stamp, _ = answers.stamps["acme"]
    answers.stamps["acme"] = (stamp, 0.0)  # aged
    with answers.refreshing:  # another thread is reading it
        during = client.get(url)
    assert reads == []
    assert during.data == before.data
    after = client.get(url)
    assert reads == ["acme"]
    assert after.data == before.data


def test_what_if_reads_are_not_kept(
    app: Flask, client: FlaskClient, writer: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    url = f"/v1/partnerships/{SLUG}/state?policy=default"
    response = client.get(url, headers=writer)
    assert response.status_code == 200
    assert "what_if" in response.get_json()
    assert kept_count(app) == 0
    again = client.get(url, headers={**writer, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_kept_answers_stay_within_their_bytes() -> None:
    answers = KeptAnswers(limit=100)
    for n in range(10):
        answers.put(n, Kept(b"x" * 30, "application/json", ()))
    assert answers.size <= 100
    assert len(answers) == 3
    assert answers.get(9) is not None
    assert answers.get(0) is None
    answers.put("big", Kept(b"x" * 101, "application/json", ()))
    assert answers.get("big") is None


@pytest.mark.parametrize("url", READS)
def test_a_304_from_a_kept_answer_is_the_one_werkzeug_gives(
    client: FlaskClient,
    writer: dict[str, str],
    loaded: list[dict[str, Any]],
    url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    etag = client.get(url, headers=writer).headers["ETag"]
    conditional = {**writer, "If-None-Match": etag, "X-Request-ID": "same"}
    short = client.get(url, headers=conditional)
    monkeypatch.setattr("api.headers._unchanged", lambda found: False)
    full = client.get(url, headers=conditional)
    assert short.status_code == full.status_code == 304
    assert short.data == full.data == b""
    assert sorted(short.headers.items()) == sorted(full.headers.items())
    ranged = client.get(url, headers={**conditional, "Range": "bytes=0-1"})
    assert ranged.status_code in (206, 304)


@pytest.mark.parametrize("url", READS)
def test_a_kept_answer_is_found_before_the_query_is_parsed_again(
    client: FlaskClient,
    writer: dict[str, str],
    loaded: list[dict[str, Any]],
    url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = client.get(url, headers=writer)
    parsed: list[str] = []
    load = api_web.load
    monkeypatch.setattr(
        api_web, "load", lambda schema, *a, **k: parsed.append(schema) or load(schema, *a, **k)
    )
    again = client.get(url, headers=writer)
    assert again.data == first.data
    assert parsed == []
    client.get(url, headers={**writer, "Accept": "text/csv"})  # another request: parsed
    assert parsed


def test_a_query_that_does_not_parse_is_refused_whatever_was_kept(
    client: FlaskClient, writer: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    url = f"/v1/partnerships/{SLUG}/series/trust?step=month"
    assert client.get(url, headers=writer).status_code == 200
    refused = client.get(url + "&step=fortnight", headers=writer)
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert "step" in refused.get_data(as_text=True)


def test_a_kept_read_still_needs_its_scope(
    projected_apart: Flask,
) -> None:
    client = projected_apart.test_client()
    url = "/v1/partnerships/acme/state"
    assert client.get(url).status_code == 200  # kept (anonymous reads allowed here)
    with projected_apart.app_context():
        answers = kept_answers()
    assert len(answers) == 1
    refused = client.get(url, headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401
