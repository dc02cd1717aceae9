"""Reads bounded (issue 10, item 7): `…/trust` answers the score and a page of contributions,
the full list only on request and streamed; `…/verify` is admin-scoped and can check only what
came after its last answer."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.services import services
from tests.api.helpers import fields_named, problem

SIGNALS = 2500


def signal(index: int) -> dict[str, Any]:
    return {
        "type": "TrustSignal",
        "occurred_on": (date(2016, 1, 1) + timedelta(days=index)).isoformat(),
        "summary": f"signal {index}",
        "data": {"delta": 2 if index % 3 else -3, "reason": f"reason {index}", "analyst": "A"},
    }


@pytest.fixture
def busy(client: FlaskClient, acme: str, writer: dict[str, str]) -> str:
    """acme-globex with 2,500 trust signals and an open dispute."""
    events = [signal(index) for index in range(SIGNALS)]
    events.append(
        {
            "type": "DisputeOpened",
            "occurred_on": "2023-05",
            "summary": "A dispute",
            "data": {"dispute_id": "d-1", "topic": "t", "raised_by": "Acme", "severity": 3},
        }
    )
    response = client.post(
        f"/v1/partnerships/{acme}/events", json={"events": events}, headers=writer
    )
    assert response.status_code == 201, response.get_data(as_text=True)[:500]
    return acme


def pages(client: FlaskClient, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    answers = []
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        answers.append(response.get_json())
        url = answers[-1]["next"]
    return answers


def test_trust_answers_a_page_not_the_whole_history(
    client: FlaskClient, busy: str, reader: dict[str, str]
) -> None:
    response = client.get(f"/v1/partnerships/{busy}/trust", headers=reader)
    body = response.get_json()
    assert len(body["contributions"]) == 100
    assert body["next_cursor"]
    assert len(response.get_data()) < 60_000  # 2,500 contributions whole were ~700 kB
    assert 0 <= body["trust"]["score"] <= 100


def test_trust_pages_visit_every_contribution_once_and_end_with_the_disputes(
    client: FlaskClient, busy: str, reader: dict[str, str]
) -> None:
    answers = pages(client, f"/v1/partnerships/{busy}/trust?limit=1000", reader)
    assert len(answers) == 3
    assert len({a["trust"]["score"] for a in answers}) == 1
    contributions = [c for a in answers for c in a["contributions"]]
    events = [c for c in contributions if c["kind"] == "event"]
    assert sum(c["type"] == "TrustSignal" for c in events) == SIGNALS
    assert len({c["event_id"] for c in events}) == len(events)
    assert [c["occurred_on"] for c in events] == sorted(c["occurred_on"] for c in events)
    assert contributions[-1]["kind"] == "open_dispute"
    assert contributions[-1]["dispute_id"] == "d-1"
    assert [a["next"] is None for a in answers] == [False, False, True]


def test_every_contribution_is_streamed_on_request_and_matches_the_pages(
    client: FlaskClient, busy: str, reader: dict[str, str]
) -> None:
    paged = [
        c
        for a in pages(client, f"/v1/partnerships/{busy}/trust?limit=1000&as_of=2021", reader)
        for c in a["contributions"]
    ]
    response = client.get(
        f"/v1/partnerships/{busy}/trust?contributions=all&as_of=2021",
        headers=reader,
        buffered=False,
    )
    assert response.status_code == 200
    assert response.is_streamed
    body = json.loads(b"".join(response.response))
    assert body["contributions"] == paged
    assert body["as_of"] == "2021-12-31"
    assert body["next"] is None


def test_a_bad_trust_cursor_or_limit_is_a_422(
    client: FlaskClient, busy: str, reader: dict[str, str]
) -> None:
    for query, name in (
        ("cursor=%%%", "cursor"),
        ("limit=0", "limit"),
        ("contributions=x", "contributions"),
    ):
        response = client.get(f"/v1/partnerships/{busy}/trust?{query}", headers=reader)
        assert fields_named(problem(response, 422)) == {name}


def test_verify_needs_an_admin_token(
    client: FlaskClient, acme: str, reader: dict[str, str], writer: dict[str, str]
) -> None:
    for headers in (reader, writer):
        problem(client.get(f"/v1/partnerships/{acme}/verify", headers=headers), 403)
    problem(client.get(f"/v1/partnerships/{acme}/verify"), 401)


def test_verify_again_checks_only_what_came_after_its_last_head(
    client: FlaskClient, busy: str, admin: dict[str, str], writer: dict[str, str]
) -> None:
    full = client.get(f"/v1/partnerships/{busy}/verify", headers=admin).get_json()
    assert full["ok"] is True
    assert full["checked"] == full["head_version"] == SIGNALS + 2
    client.post(f"/v1/partnerships/{busy}/events", json=signal(1), headers=writer)
    again = client.get(
        f"/v1/partnerships/{busy}/verify",
        query_string={"after_version": full["head_version"], "head": full["head"]},
        headers=admin,
    ).get_json()
    assert again["ok"] is True
    assert again["checked"] == 1
    assert again["head_version"] == SIGNALS + 3
    assert (
        again["head"]
        == client.get(f"/v1/partnerships/{busy}/verify", headers=admin).get_json()["head"]
    )
    nothing_new = client.get(
        f"/v1/partnerships/{busy}/verify",
        query_string={"after_version": again["head_version"], "head": again["head"]},
        headers=admin,
    ).get_json()
    assert (nothing_new["ok"], nothing_new["checked"]) == (True, 0)


def test_verify_from_a_head_that_is_not_the_chains_is_broken(
    client: FlaskClient, busy: str, admin: dict[str, str]
) -> None:
    answer = client.get(
        f"/v1/partnerships/{busy}/verify",
        query_string={"after_version": 5, "head": "f" * 64},
        headers=admin,
    ).get_json()
    assert answer["ok"] is False
    assert answer["broken_at_version"] == 6


def test_verify_wants_both_or_neither_of_after_version_and_head(
    client: FlaskClient, acme: str, admin: dict[str, str]
) -> None:
    response = client.get(f"/v1/partnerships/{acme}/verify?after_version=1", headers=admin)
    assert fields_named(problem(response, 422)) == {"head"}
    response = client.get(f"/v1/partnerships/{acme}/verify?head={'a' * 64}%0A", headers=admin)
    problem(response, 422)


def test_the_service_reads_trust_a_page_at_a_time(client: FlaskClient, busy: str) -> None:
    service = services(client.application).pactlog
    first = service.trust(busy, limit=10)
    assert len(first.contributions) == 10
    second = service.trust(busy, limit=10, after=first.cursor or "")
    assert {c["event_id"] for c in first.contributions}.isdisjoint(
        c["event_id"] for c in second.contributions
    )
