"""The global log as CloudEvents 1.0, paged by position."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import SLUG, fields_named, investment, problem

pytestmark = pytest.mark.usefixtures("loaded")


def test_each_log_entry_is_a_cloud_event(client: FlaskClient, reader: dict[str, str]) -> None:
    body = client.get("/v1/events?limit=1", headers=reader).get_json()
    (event,) = body["events"]
    assert event["specversion"] == "1.0"
    assert event["type"] == "pactlog.PartnershipFormed"
    assert event["source"] == f"/v1/partnerships/{SLUG}"
    assert event["subject"] == SLUG
    assert event["time"].endswith("Z")
    assert event["data"]["data"]["parties"] == ["OpenAI", "Microsoft"]
    assert {"id", "position"} <= set(event)


def test_paging_the_log_sees_every_event_once_even_while_another_client_appends(
    client: FlaskClient, reader: dict[str, str], writer: dict[str, str]
) -> None:
    seen: list[int] = []
    after = 0
    while True:
        body = client.get("/v1/events", query_string={"after": after, "limit": 10},
                          headers=reader).get_json()  # fmt: skip
        if not body["events"]:
            break
        seen += [event["position"] for event in body["events"]]
        after = body["position"]
        assert body["next"] == f"/v1/events?after={after}&limit=10"
        if len(seen) == 10:  # another client appends between our pages
            client.post(f"/v1/partnerships/{SLUG}/events", json=investment(), headers=writer)
    assert seen == sorted(set(seen))
    assert len(seen) == 39


def test_a_negative_after_is_a_422(client: FlaskClient, reader: dict[str, str]) -> None:
    response = client.get("/v1/events?after=-1", headers=reader)
    assert fields_named(problem(response, 422)) == {"after"}


def test_a_cloudevents_batch_when_asked_for_by_accept(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    accept = {"Accept": "application/cloudevents-batch+json"}
    response = client.get("/v1/events?limit=3", headers={**reader, **accept})
    assert response.status_code == 200
    assert response.mimetype == "application/cloudevents-batch+json"
    batch = response.get_json(force=True)
    assert isinstance(batch, list)
    assert [e["position"] for e in batch] == [1, 2, 3]
    assert all(e["specversion"] == "1.0" for e in batch)
    assert response.headers["Pactlog-Position"] == "3"
    assert response.headers["Link"] == '</v1/events?after=3&limit=3>; rel="next"'
    etag = {"If-None-Match": response.headers["ETag"]}
    again = client.get("/v1/events?limit=3", headers={**reader, **accept, **etag})
    assert again.status_code == 304
    plain = client.get("/v1/events?limit=3", headers=reader)
    assert plain.mimetype == "application/json"
    assert plain.get_json()["events"] == batch
