"""Input an adversary sends (issue 10, items 4, 5 and 8): each is a 4xx problem+json naming
what is wrong, never a 500, and nothing is stored."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import fields_named, investment, problem


def append_raw(
    client: FlaskClient, slug: str, body: str | bytes, headers: dict[str, str], **extra: str
) -> Any:
    return client.post(
        f"/v1/partnerships/{slug}/events",
        data=body,
        headers={**headers, "Content-Type": "application/json", **extra},
    )


def version_of(client: FlaskClient, slug: str, headers: dict[str, str]) -> int:
    response = client.get(f"/v1/partnerships/{slug}/state", headers=headers)
    assert response.status_code == 200
    return int(response.get_json()["version"])


# --- item 4: amounts and duplicate keys ---------------------------------------------------------


def test_an_amount_of_thirty_digits_reads_back_unaltered(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    amount = "123456789012345678901234567890"
    created = client.post(
        f"/v1/partnerships/{acme}/events", json=investment(amount), headers=writer
    )
    assert created.status_code == 201
    state = client.get(f"/v1/partnerships/{acme}/state", headers=writer).get_json()
    assert state["state"]["investments"]["totals"]["USD"]["paid"] == amount


@pytest.mark.parametrize(
    "amount", ["1e400", "1e999999999", "1e-999999999", "1000000000.0000000000000000001", " 5"]
)
def test_an_amount_outside_the_grammar_is_a_422_naming_it(
    client: FlaskClient, acme: str, writer: dict[str, str], amount: str
) -> None:
    response = client.post(
        f"/v1/partnerships/{acme}/events", json=investment(amount), headers=writer
    )
    assert fields_named(problem(response, 422)) == {"data.amount"}
    assert version_of(client, acme, writer) == 1


def test_a_duplicate_key_is_a_400_and_stores_nothing(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    body = json.dumps(investment("100")).replace(
        '"amount": "100"', '"amount": "100", "amount": "999"'
    )
    assert body.count('"amount"') == 2
    body_problem = problem(append_raw(client, acme, body, writer), 400)
    assert "duplicate key 'amount'" in body_problem["detail"]
    assert version_of(client, acme, writer) == 1


def test_a_duplicate_key_at_the_top_level_is_a_400_too(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    body = '{"slug": "a-b", "slug": "c-d", "name": "AB", "parties": ["A", "B"]}'
    response = client.post(
        "/v1/partnerships", data=body, headers={**writer, "Content-Type": "application/json"}
    )
    problem(response, 400)


# --- item 5: inputs that used to be 500s --------------------------------------------------------


@pytest.mark.parametrize("where", ["summary", "data.investor", "sources.0.title", "key"])
def test_a_lone_surrogate_anywhere_is_a_400_naming_where(
    client: FlaskClient, acme: str, writer: dict[str, str], where: str
) -> None:
    event = investment("5", sources=[{"title": "T"}])
    if where == "summary":
        event["summary"] = "LONE"
    elif where == "data.investor":
        event["data"]["investor"] = "LONE"
    elif where == "sources.0.title":
        event["sources"][0]["title"] = "LONE"
    else:
        event["data"]["LONE"] = "x"
    body = json.dumps(event).replace("LONE", "\\ud800")
    found = problem(append_raw(client, acme, body, writer), 400)
    if where != "key":
        assert fields_named(found) == {where}
    assert version_of(client, acme, writer) == 1


def test_a_lone_surrogate_as_raw_bytes_is_a_400(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    body = json.dumps(investment("5")).replace("Acme puts in more", "X").encode()
    body = body.replace(b'"X"', b'"\xed\xa0\x80"')
    problem(append_raw(client, acme, body, writer), 400)
    assert version_of(client, acme, writer) == 1


@pytest.mark.parametrize(
    "query",
    [
        "state?known_at=0001-01-01T00:00:00%2B01:00",
        "state?known_at=9999-12-31T23:59:59-01:00",
        "series/trust?known_at=0001-01-01T00:00:00%2B01:00",
        "series/trust?known_at=9999-12-31T23:59:59-01:00",
        "state?as_of=9998",
        "state?as_of=9999-12-31",
        "series/trust?as_of=9999-12-31&step=day&from=9999-01-01",
        "diff?from=0001-01-01&to=9999-12-31",
        "events?from=0001-01-01",
        "trust?as_of=9999",
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_a_422_naming_the_parameter(
    client: FlaskClient, acme: str, reader: dict[str, str], query: str
) -> None:
    response = client.get(f"/v1/partnerships/{acme}/{query}", headers=reader)
    named = fields_named(problem(response, 422))
    assert named
    assert named <= {"known_at", "as_of", "from", "to"}


@pytest.mark.parametrize(
    "query",
    ["known_at=0001-01-01T00:00:00%2B01:00", "known_at=9999-12-31T23:59:59-01:00", "as_of=9999"],
)
def test_cross_partnership_reads_refuse_them_too(
    client: FlaskClient, acme: str, reader: dict[str, str], query: str
) -> None:
    for path in ("/v1/investments", "/v1/disputes"):
        problem(client.get(f"{path}?{query}", headers=reader), 422)


def test_the_calendar_edges_inside_the_range_answer(
    client: FlaskClient, acme: str, reader: dict[str, str]
) -> None:
    for query in (
        "state?as_of=9000-12-31&known_at=9000-12-31T23:59:59-01:00",
        "diff?from=1000-01-01&to=9000-12-31",
        "events?from=1000-01-01",
        "series/trust?as_of=9000-12-31&step=quarter&from=8990-01-01",
    ):
        response = client.get(f"/v1/partnerships/{acme}/{query}", headers=reader)
        assert response.status_code == 200, (query, response.get_data(as_text=True))


def test_a_last_event_id_in_other_digits_is_a_422(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    response = client.get("/v1/stream", headers={**reader, "Last-Event-ID": "²"})
    assert fields_named(problem(response, 422)) == {"Last-Event-ID"}


# --- item 8: the small ones ---------------------------------------------------------------------


def test_a_slug_with_a_trailing_newline_is_refused(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    response = client.post(
        "/v1/partnerships",
        json={"slug": "evil\n", "name": "E", "parties": ["A", "B"], "occurred_on": "2024"},
        headers=writer,
    )
    assert fields_named(problem(response, 422)) == {"slug"}
    assert client.get("/v1/partnerships", headers=writer).get_json()["partnerships"] == []


def test_an_identifier_with_a_trailing_newline_is_refused(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    event = {
        "type": "DisputeOpened",
        "occurred_on": "2024-01",
        "summary": "A dispute",
        "data": {"dispute_id": "d-1\n", "topic": "t", "raised_by": "Acme", "severity": 2},
    }
    response = client.post(f"/v1/partnerships/{acme}/events", json=event, headers=writer)
    assert fields_named(problem(response, 422)) == {"data.dispute_id"}


def test_a_weak_if_match_never_matches(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    response = client.post(
        f"/v1/partnerships/{acme}/events",
        json=investment(),
        headers={**writer, "If-Match": 'W/"1"'},
    )
    assert fields_named(problem(response, 412)) == {"If-Match"}
    assert version_of(client, acme, writer) == 1


@pytest.mark.parametrize("given", ['"1', '1"', "1", '""', '"1" x', '"٣"'])
def test_an_if_match_that_is_not_an_entity_tag_is_a_400(
    client: FlaskClient, acme: str, writer: dict[str, str], given: str
) -> None:
    response = client.post(
        f"/v1/partnerships/{acme}/events", json=investment(), headers={**writer, "If-Match": given}
    )
    assert fields_named(problem(response, 400)) == {"If-Match"}
    assert version_of(client, acme, writer) == 1


def test_a_strong_if_match_of_the_current_version_matches(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    response = client.post(
        f"/v1/partnerships/{acme}/events", json=investment(), headers={**writer, "If-Match": '"1"'}
    )
    assert response.status_code == 201


@pytest.mark.parametrize("key", ["  k  ", " k", "k ", "\tk", "ké"])
def test_an_idempotency_key_is_never_trimmed_whitespace_around_it_is_a_400(
    client: FlaskClient, acme: str, writer: dict[str, str], key: str
) -> None:
    first = client.post(
        f"/v1/partnerships/{acme}/events",
        json=investment(),
        headers={**writer, "Idempotency-Key": "k"},
    )
    assert first.status_code == 201
    response = client.post(
        f"/v1/partnerships/{acme}/events",
        json=investment("7"),
        headers={**writer, "Idempotency-Key": key},
    )
    assert fields_named(problem(response, 400)) == {"Idempotency-Key"}
    assert version_of(client, acme, writer) == 2


def test_an_idempotency_key_with_inner_spaces_is_its_own_key(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    for key in ("k", "k k"):
        response = client.post(
            f"/v1/partnerships/{acme}/events",
            json=investment(),
            headers={**writer, "Idempotency-Key": key},
        )
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response.headers
    assert version_of(client, acme, writer) == 3


@pytest.mark.parametrize(
    "query",
    [
        "events?limit=²",
        "events?limit=٣",  # Arabic-Indic three
        "events?limit=３",  # full-width three
        "state?as_of=٢٠٢٤",
        "state?as_of=２０２４-01",
        "events?from=2024-٠١",
        "state?known_at=٢٠٢٤-01-05T00:00:00Z",
        "state?min_position=١",
    ],
)
def test_digits_of_other_scripts_are_refused(
    client: FlaskClient, acme: str, reader: dict[str, str], query: str
) -> None:
    response = client.get(f"/v1/partnerships/{acme}/{query}", headers=reader)
    problem(response, 422)


def test_other_digits_in_occurred_on_are_refused(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    response = client.post(
        f"/v1/partnerships/{acme}/events",
        json=investment(occurred_on="٢٠٢٤-01"),
        headers=writer,
    )
    assert fields_named(problem(response, 422)) == {"occurred_on"}


def test_two_requests_racing_with_one_idempotency_key_store_one_event_and_answer_alike(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    """Our choice (docs/idempotency.md): the in-flight duplicate waits for the original and
    answers what it answered (201, Idempotent-Replayed), rather than a 409."""
    answers: list[Any] = []
    start = threading.Barrier(4)

    def send() -> None:
        start.wait()
        answers.append(
            client.application.test_client().post(
                f"/v1/partnerships/{acme}/events",
                json=investment("3"),
                headers={**writer, "Idempotency-Key": "race"},
            )
        )

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.get_json()["id"] for a in answers}) == 1
    assert sum("Idempotent-Replayed" not in a.headers for a in answers) == 1
    assert version_of(client, acme, writer) == 2
