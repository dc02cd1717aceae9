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
    assert len(seen) == 35


def test_a_negative_after_is_a_422(client: FlaskClient, reader: dict[str, str]) -> None:
    response = client.get("/v1/events?after=-1", headers=reader)
    assert fields_named(problem(response, 422)) == {"after"}
