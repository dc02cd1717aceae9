"""Appending over HTTP: one event or a batch, optimistic concurrency, idempotency, and every way
a write is refused (problem+json naming the field; nothing stored)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask, url_for
from flask.testing import FlaskClient

from api.schemas import AppendedOut
from tests.api.helpers import ADMIN, bearer, configure, fields_named, investment, problem


def events_of(client: FlaskClient, slug: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/partnerships/{slug}/events", headers=bearer(ADMIN))
    assert response.status_code == 200
    events: list[dict[str, Any]] = response.get_json()["events"]
    return events


def test_creating_a_partnership_records_its_formation(client: FlaskClient, acme: str) -> None:
    events = events_of(client, acme)
    assert [e["type"] for e in events] == ["PartnershipFormed"]
    assert events[0]["data"] == {"name": "Acme–Globex", "parties": ["Acme", "Globex"]}


def test_creating_a_partnership_twice_is_a_409_naming_the_slug(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    response = client.post(
        "/v1/partnerships",
        json={"slug": acme, "name": "Again", "parties": ["A", "B"], "occurred_on": "2021"},
        headers=writer,
    )
    assert fields_named(problem(response, 409)) == {"slug"}


def test_a_partnership_needs_two_parties(client: FlaskClient, writer: dict[str, str]) -> None:
    response = client.post(
        "/v1/partnerships", json={"slug": "solo", "name": "Solo", "parties": ["A"]}, headers=writer
    )
    assert "parties" in fields_named(problem(response, 422))


def test_an_appended_event_answers_201_and_reads_back(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    response = client.post(f"/v1/partnerships/{acme}/events", json=investment(), headers=writer)
    assert response.status_code == 201
    body = response.get_json()
    assert body["version"] == 2
    assert body["position"] >= 2
    assert response.headers["Location"] == f"/v1/partnerships/{acme}/events/{body['id']}"
    one = client.get(response.headers["Location"], headers=writer).get_json()
    assert one["event"]["data"]["amount"] == {"kind": "exact", "value": "100", "unit": "USD"}
    state = client.get(
        f"/v1/partnerships/{acme}/state",
        query_string={"min_position": body["position"]},
        headers=writer,
    ).get_json()
    assert state["position"] == body["position"]
    assert state["state"]["investments"]["totals"]["USD"]["paid"] == "100"


def test_an_appended_event_is_located_where_its_route_builds(
    app: Flask, client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    mounted = {"SCRIPT_NAME": "/pactlog"}
    response = client.post(
        f"/v1/partnerships/{acme}/events",
        json=investment(),
        headers=writer,
        environ_overrides=mounted,
    )
    event_id = response.get_json()["id"]
    with app.test_request_context(environ_overrides=mounted):
        built = url_for("events.event", slug=acme, event_id=event_id)
    assert (
        response.headers["Location"]
        == built
        == f"/pactlog/v1/partnerships/{acme}/events/{event_id}"
    )


def test_a_batch_is_recorded_in_order(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    batch = {"events": [investment("1"), investment("2"), investment("3")]}
    response = client.post(f"/v1/partnerships/{acme}/events", json=batch, headers=writer)
    assert response.status_code == 201
    body = response.get_json()
    assert [e["version"] for e in body["events"]] == [2, 3, 4]
    assert body["version"] == 4


def test_a_batch_with_one_bad_event_stores_nothing_and_names_the_field(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    batch = {"events": [investment("1"), investment("-2")]}
    response = client.post(f"/v1/partnerships/{acme}/events", json=batch, headers=writer)
    assert fields_named(problem(response, 422)) == {"events.1.data.amount"}
    assert len(events_of(client, acme)) == 1


def test_an_invalid_event_is_a_422_naming_each_field_and_stores_nothing(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    bad = investment()
    bad["data"] = {**bad["data"], "currency": "ZZZ", "amount": "0"}
    response = client.post(f"/v1/partnerships/{acme}/events", json=bad, headers=writer)
    body = problem(response, 422)
    assert fields_named(body) == {"data.currency", "data.amount"}
    assert {e["pointer"] for e in body["errors"]} == {"/data/currency", "/data/amount"}


def test_a_malformed_date_names_occurred_on(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    response = client.post(
        f"/v1/partnerships/{acme}/events", json=investment(occurred_on="2024-13"), headers=writer
    )
    assert fields_named(problem(response, 422)) == {"occurred_on"}
    assert len(events_of(client, acme)) == 1


def test_a_future_event_is_refused(client: FlaskClient, acme: str, writer: dict[str, str]) -> None:
    response = client.post(
        f"/v1/partnerships/{acme}/events", json=investment(occurred_on="2999"), headers=writer
    )
    assert "occurred_on" in fields_named(problem(response, 422))


def test_resolving_a_dispute_never_opened_breaks_a_rule(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    event = {
        "type": "DisputeResolved",
        "occurred_on": "2024-01-02",
        "summary": "Settled",
        "data": {"dispute_id": "nothing-open", "resolution": "agreed"},
    }
    response = client.post(f"/v1/partnerships/{acme}/events", json=event, headers=writer)
    body = problem(response, 422)
    assert body["errors"][0]["field"]
    assert len(events_of(client, acme)) == 1


def test_an_event_for_another_partnership_is_refused(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    response = client.post(
        f"/v1/partnerships/{acme}/events", json=investment(partnership="other-one"), headers=writer
    )
    assert fields_named(problem(response, 422)) == {"partnership"}


def test_appending_to_an_unknown_partnership_is_a_404(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    response = client.post("/v1/partnerships/nobody-here/events", json=investment(), headers=writer)
    problem(response, 404)


def test_a_stale_if_match_is_a_412_and_stores_nothing(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    url = f"/v1/partnerships/{acme}/events"
    first = client.post(url, json=investment("1"), headers={**writer, "If-Match": '"1"'})
    assert first.status_code == 201
    assert first.get_json()["version"] == 2
    stale = client.post(url, json=investment("2"), headers={**writer, "If-Match": '"1"'})
    body = problem(stale, 412)
    assert body["expected_version"] == 1
    assert body["current_version"] == 2
    assert len(events_of(client, acme)) == 2


def test_a_malformed_if_match_is_a_400(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    response = client.post(
        f"/v1/partnerships/{acme}/events", json=investment(), headers={**writer, "If-Match": "x"}
    )
    assert fields_named(problem(response, 400)) == {"If-Match"}


def test_an_idempotency_key_replayed_with_the_same_body_answers_the_original(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    url = f"/v1/partnerships/{acme}/events"
    headers = {**writer, "Idempotency-Key": "req-1"}
    first = client.post(url, json=investment(), headers=headers)
    again = client.post(url, json=investment(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(events_of(client, acme)) == 2


def test_an_idempotency_key_reused_with_another_body_is_a_422(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    url = f"/v1/partnerships/{acme}/events"
    headers = {**writer, "Idempotency-Key": "req-1"}
    assert client.post(url, json=investment("1"), headers=headers).status_code == 201
    response = client.post(url, json=investment("2"), headers=headers)
    assert fields_named(problem(response, 422)) == {"Idempotency-Key"}
    assert len(events_of(client, acme)) == 2


def test_a_client_supplied_id_makes_a_retry_idempotent(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    url = f"/v1/partnerships/{acme}/events"
    event = investment(id=str(uuid.uuid4()))
    first = client.post(url, json=event, headers=writer)
    again = client.post(url, json=event, headers=writer)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert len(events_of(client, acme)) == 2


def test_the_same_id_with_other_content_is_a_409(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    url = f"/v1/partnerships/{acme}/events"
    event_id = str(uuid.uuid4())
    assert client.post(url, json=investment("1", id=event_id), headers=writer).status_code == 201
    response = client.post(url, json=investment("2", id=event_id), headers=writer)
    assert fields_named(problem(response, 409)) == {"id"}


def test_malformed_json_is_a_400(client: FlaskClient, acme: str, writer: dict[str, str]) -> None:
    response = client.post(
        f"/v1/partnerships/{acme}/events",
        data=b'{"type": "InvestmentMade",',
        headers={**writer, "Content-Type": "application/json"},
    )
    problem(response, 400)
    assert len(events_of(client, acme)) == 1


def test_a_body_that_is_not_json_is_a_415(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    response = client.post(
        f"/v1/partnerships/{acme}/events",
        data="type=InvestmentMade",
        headers={**writer, "Content-Type": "application/x-www-form-urlencoded"},
    )
    problem(response, 415)


def test_a_json_array_is_a_422(client: FlaskClient, acme: str, writer: dict[str, str]) -> None:
    response = client.post(f"/v1/partnerships/{acme}/events", json=[1, 2], headers=writer)
    problem(response, 422)


def test_an_empty_batch_is_a_422(client: FlaskClient, acme: str, writer: dict[str, str]) -> None:
    response = client.post(f"/v1/partnerships/{acme}/events", json={"events": []}, headers=writer)
    assert fields_named(problem(response, 422)) == {"events"}


def test_a_body_over_the_limit_is_a_413(
    client: FlaskClient, app: Any, acme: str, writer: dict[str, str]
) -> None:
    configure(app, max_content_length=2_000)
    big = investment(summary="x" * 400)
    response = client.post(
        f"/v1/partnerships/{acme}/events", json={"events": [big] * 10}, headers=writer
    )
    problem(response, 413)
    assert len(events_of(client, acme)) == 1


def test_creating_a_partnership_with_an_idempotency_key_is_safe_to_retry(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    body = {"slug": "acme-initech", "name": "Acme–Initech", "parties": ["Acme", "Initech"],
            "occurred_on": "2021-05"}  # fmt: skip
    headers = {**writer, "Idempotency-Key": "create-1"}
    first = client.post("/v1/partnerships", json=body, headers=headers)
    again = client.post("/v1/partnerships", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert first.headers["Location"] == "/v1/partnerships/acme-initech/state"


def test_an_appends_answer_is_exactly_what_its_schema_dumps(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    """The answer is written without a marshmallow dump (a batch's lists every event): it must
    be what `AppendedOut` would have written, with the same headers."""
    batch = {"events": [investment("1"), investment("2")]}
    response = client.post(
        f"/v1/partnerships/{acme}/events",
        json=batch,
        headers={**writer, "Idempotency-Key": "dump-1"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert AppendedOut().dump(body) == body
    assert list(body) == ["partnership", "id", "position", "version", "events"]
    assert [list(e) for e in body["events"]] == [["id", "position", "version"]] * 2
    assert response.headers["Pactlog-Position"] == str(body["position"])
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert response.mimetype == "application/json"
    again = client.post(
        f"/v1/partnerships/{acme}/events",
        json=batch,
        headers={**writer, "Idempotency-Key": "dump-1"},
    )
    assert again.status_code == 201
    assert again.get_json() == body
    assert again.headers["Idempotent-Replayed"] == "true"
    created = client.post(
        "/v1/partnerships",
        json={"slug": "dumped", "name": "Dumped", "parties": ["A", "B"], "occurred_on": "2021"},
        headers=writer,
    )
    assert created.status_code == 201
    assert created.headers["Location"] == "/v1/partnerships/dumped/state"
    assert AppendedOut().dump(created.get_json()) == created.get_json()
