"""Reading over HTTP: state now and as of a date, what we knew when, the timeline and its
cursor, one event with its corrections, trust, diff, the hash chain, and across partnerships.
Every answer names the log position it reflects and echoes its cut-offs."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import SLUG, fields_named, investment, problem

pytestmark = pytest.mark.usefixtures("loaded")


def usd(value: str) -> dict[str, str]:
    return {"kind": "exact", "value": value, "unit": "USD"}


def get(client: FlaskClient, url: str, headers: dict[str, str], **query: Any) -> dict[str, Any]:
    response = client.get(url, query_string=query or None, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    return body


def test_the_state_now_reflects_every_event(client: FlaskClient, reader: dict[str, str]) -> None:
    body = get(client, f"/v1/partnerships/{SLUG}/state", reader)
    assert body["position"] == 38
    assert body["version"] == 38
    assert body["as_of"] is None
    assert body["known_at"] is None
    assert body["state"]["events"] == 37  # 38 less the source attached to an event
    totals = body["state"]["investments"]["totals"]["USD"]
    assert (totals["firm"], totals["paid"], totals["total"]) == (
        "11000000000",
        "2000000000",
        "13000000000",
    )
    assert (totals["low"], totals["high"]) == ("13000000000", "16000000000")


def test_the_state_as_of_2023_11_20_counts_only_what_had_happened(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    now = get(client, f"/v1/partnerships/{SLUG}/state", reader)
    then = get(client, f"/v1/partnerships/{SLUG}/state", reader, as_of="2023-11-20")
    assert then["as_of"] == "2023-11-20"
    assert then["position"] == now["position"]
    assert then["state"]["events"] < now["state"]["events"]
    assert then["state"]["last_occurred_on"] <= "2023-11-20"
    open_then = {d["dispute_id"] for d in then["state"]["disputes"]["open"]}
    open_now = {d["dispute_id"] for d in now["state"]["disputes"]["open"]}
    assert open_then < open_now


def test_a_partial_as_of_means_the_end_of_its_period(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    body = get(client, f"/v1/partnerships/{SLUG}/state", reader, as_of="2023")
    assert body["as_of"] == "2023-12-31"


def test_known_at_before_anything_was_recorded_knows_nothing(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    body = get(client, f"/v1/partnerships/{SLUG}/state", reader, known_at="2000-01-01T00:00:00Z")
    assert body["version"] == 0
    assert body["known_at"].startswith("2000-01-01T00:00:00")


def test_a_bad_date_is_a_422_naming_the_parameter(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    response = client.get(
        f"/v1/partnerships/{SLUG}/state", query_string={"as_of": "yesterday"}, headers=reader
    )
    assert fields_named(problem(response, 422)) == {"as_of"}
    response = client.get(
        f"/v1/partnerships/{SLUG}/trust", query_string={"known_at": "soon"}, headers=reader
    )
    assert fields_named(problem(response, 422)) == {"known_at"}


def test_an_unknown_parameter_is_a_422_naming_it(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    response = client.get(
        f"/v1/partnerships/{SLUG}/state", query_string={"asof": "2023"}, headers=reader
    )
    assert fields_named(problem(response, 422)) == {"asof"}


def test_an_unknown_partnership_is_a_404(
    client: FlaskClient, reader: dict[str, str], admin: dict[str, str]
) -> None:
    for path in ("state", "trust", "events", "diff?from=2020&to=2021"):
        problem(client.get(f"/v1/partnerships/nobody/{path}", headers=reader), 404)
    problem(client.get("/v1/partnerships/nobody/verify", headers=admin), 404)
    problem(client.get("/v1/partnerships/Not_A_Slug/state", headers=reader), 404)


def test_the_timeline_pages_by_cursor_without_gaps_or_repeats(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    everything = get(client, f"/v1/partnerships/{SLUG}/events", reader, limit=1000)["events"]
    seen: list[str] = []
    url: str | None = f"/v1/partnerships/{SLUG}/events?limit=7"
    pages = 0
    while url:
        body = get(client, url, reader)
        seen += [event["id"] for event in body["events"]]
        url = body["next"]
        pages += 1
    assert pages == 6
    assert seen == [event["id"] for event in everything]
    dates = [event["occurred_on"] for event in everything]
    assert len(dates) == 37


def test_the_timeline_filters_by_type_and_dates(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    url = f"/v1/partnerships/{SLUG}/events"
    body = get(client, url, reader, type="InvestmentMade,DisputeOpened")
    assert {e["type"] for e in body["events"]} == {"InvestmentMade", "DisputeOpened"}
    assert len(body["events"]) == 6
    body = get(client, url, reader, **{"from": "2023-01", "to": "2023-12"})
    assert body["events"]
    assert all("2023" in e["occurred_on"] for e in body["events"])
    body = get(client, url, reader, confidence="confirmed")
    assert all(e["confidence"] == "confirmed" for e in body["events"])


def test_an_unknown_type_or_a_bad_cursor_is_a_422(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    url = f"/v1/partnerships/{SLUG}/events"
    response = client.get(url, query_string={"type": "Nonsense"}, headers=reader)
    assert fields_named(problem(response, 422)) == {"type"}
    response = client.get(url, query_string={"cursor": "%%%"}, headers=reader)
    assert fields_named(problem(response, 422)) == {"cursor"}
    response = client.get(url, query_string={"limit": "0"}, headers=reader)
    assert fields_named(problem(response, 422)) == {"limit"}


def test_one_event_comes_with_the_corrections_aimed_at_it(
    client: FlaskClient, writer: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    target = next(line for line in loaded if line["type"] == "InvestmentMade")
    correction = {
        "type": "EventCorrected",
        "occurred_on": "2024-01-05",
        "summary": "The first stake was in fact 1.5B",
        "data": {"target_id": target["id"], "fields": {"data": {"amount": "1500000000"}},
                 "reason": "A later filing"},
    }  # fmt: skip
    response = client.post(f"/v1/partnerships/{SLUG}/events", json=correction, headers=writer)
    assert response.status_code == 201, response.get_json()
    body = get(client, f"/v1/partnerships/{SLUG}/events/{target['id']}", writer)
    assert body["event"]["data"]["amount"] == usd("1000000000")
    assert [a["type"] for a in body["amendments"]] == ["EventCorrected"]
    assert body["current"]["data"]["amount"] == usd("1500000000")
    assert body["retracted"] is False


def test_an_unknown_event_is_a_404(client: FlaskClient, reader: dict[str, str]) -> None:
    problem(client.get(f"/v1/partnerships/{SLUG}/events/not-an-id", headers=reader), 404)
    problem(
        client.get(
            f"/v1/partnerships/{SLUG}/events/00000000-0000-4000-8000-000000000000",
            headers=reader,
        ),
        404,
    )


def test_trust_lists_the_contributions_that_make_it(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    body = get(client, f"/v1/partnerships/{SLUG}/trust", reader, as_of="2023-11-20")
    assert 0 <= body["trust"]["score"] <= 100
    assert body["contributions"]
    assert body["as_of"] == "2023-11-20"


def test_diff_explains_what_changed_between_two_dates(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    body = get(
        client,
        f"/v1/partnerships/{SLUG}/diff",
        reader,
        **{"from": "2023-01-01", "to": "2023-12-31"},
    )
    assert body["from"] == "2023-01-01"
    assert body["to"] == "2023-12-31"
    assert body["events"]
    assert all(e["occurred_on"] > "2023-01-01" for e in body["events"])
    assert isinstance(body["trust_change"], float)
    response = client.get(
        f"/v1/partnerships/{SLUG}/diff", query_string={"from": "2024"}, headers=reader
    )
    assert fields_named(problem(response, 422)) == {"to"}


def test_the_hash_chain_verifies(client: FlaskClient, admin: dict[str, str]) -> None:
    body = get(client, f"/v1/partnerships/{SLUG}/verify", admin)
    assert body["ok"] is True
    assert body["checked"] == 38
    assert body["head_version"] == 38


def test_partnerships_are_listed_with_their_headline(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    body = get(client, "/v1/partnerships", reader)
    assert body["position"] == 38
    assert [p["slug"] for p in body["partnerships"]] == [SLUG]


def test_investments_and_disputes_across_partnerships(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    invested = get(client, "/v1/investments", reader, as_of="2019-12-31")
    assert invested["totals"]["USD"]["firm"] == "1000000000"
    assert invested["as_of"] == "2019-12-31"
    disputes = get(client, "/v1/disputes", reader, status="open")["disputes"]
    assert disputes
    assert {d["status"] for d in disputes} == {"open"}
    assert get(client, "/v1/disputes", reader, partnership="other")["disputes"] == []


def test_an_unchanged_read_answers_304_to_its_etag(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    url = f"/v1/partnerships/{SLUG}/state"
    first = client.get(url, headers=writer)
    etag = first.headers["ETag"]
    again = client.get(url, headers={**writer, "If-None-Match": etag})
    assert again.status_code == 304
    assert not again.data
    client.post(f"/v1/partnerships/{SLUG}/events", json=investment(), headers=writer)
    changed = client.get(url, headers={**writer, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_min_position_reads_your_own_write(client: FlaskClient, writer: dict[str, str]) -> None:
    written = client.post(f"/v1/partnerships/{SLUG}/events", json=investment(), headers=writer)
    position = written.get_json()["position"]
    body = get(client, f"/v1/partnerships/{SLUG}/state", writer, min_position=position)
    assert body["position"] >= position
    response = client.get(
        f"/v1/partnerships/{SLUG}/state", query_string={"min_position": 10**9}, headers=writer
    )
    assert fields_named(problem(response, 422)) == {"min_position"}


def test_cross_partnership_reads_include_a_partnership_created_just_before(
    client: FlaskClient, writer: dict[str, str], acme: str
) -> None:
    appended = client.post(
        f"/v1/partnerships/{acme}/events", json=investment("250"), headers=writer
    )
    assert appended.status_code == 201
    invested = get(client, "/v1/investments", writer)
    assert invested["by_partnership"][acme][0]["paid"] == "250"
    assert invested["position"] >= appended.get_json()["position"]


def test_known_at_answers_what_we_believed_before_a_correction(
    client: FlaskClient, writer: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    target = next(line for line in loaded if line["type"] == "InvestmentMade")
    before = get(client, f"/v1/partnerships/{SLUG}/events/{target['id']}", writer)
    last = get(client, f"/v1/events?after={before['position'] - 1}&limit=1", writer)["events"][0]
    correction = {
        "type": "EventCorrected",
        "occurred_on": "2024-01-05",
        "summary": "The first stake was in fact 1.5B",
        "data": {"target_id": target["id"], "fields": {"data": {"amount": "1500000000"}},
                 "reason": "A later filing"},
    }  # fmt: skip
    response = client.post(f"/v1/partnerships/{SLUG}/events", json=correction, headers=writer)
    assert response.status_code == 201
    url = f"/v1/partnerships/{SLUG}/state"
    believed = get(client, url, writer, as_of="2019-12-31", known_at=last["time"])
    now = get(client, url, writer, as_of="2019-12-31")
    assert believed["version"] == 38
    assert believed["state"]["investments"]["totals"]["USD"]["firm"] == "1000000000"
    assert now["state"]["investments"]["totals"]["USD"]["firm"] == "1500000000"


def test_following_next_pages_one_snapshot_while_writers_append(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    page = get(client, f"/v1/partnerships/{SLUG}/events", writer, limit=10)
    seen = [event["id"] for event in page["events"]]
    late = client.post(
        f"/v1/partnerships/{SLUG}/events", json=investment(occurred_on="2025-06"), headers=writer
    )
    assert late.status_code == 201
    while page["next"]:
        page = get(client, page["next"], writer)
        assert page["version"] == 38
        seen += [event["id"] for event in page["events"]]
    assert len(seen) == len(set(seen)) == 37
    assert late.get_json()["id"] not in seen
