"""`GET /v1/organizations` and `GET /v1/organizations/{name}` over HTTP."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.api.helpers import SLUG, investment, problem


def test_organizations_list_each_party_with_its_partnerships_and_money(
    client: FlaskClient, reader: dict[str, str], loaded: list[dict[str, Any]], acme: str
) -> None:
    body = client.get("/v1/organizations", headers=reader).get_json()
    by_name = {o["name"]: o for o in body["organizations"]}
    assert set(by_name) >= {"Microsoft", "OpenAI", "Acme", "Globex"}
    assert by_name["Microsoft"]["partnerships"] == [SLUG]
    assert by_name["Microsoft"]["invested"]["USD"]
    assert by_name["Acme"]["key"] == "acme"


def test_an_organization_answers_partnerships_money_disputes_and_news_as_of_a_date(
    client: FlaskClient,
    reader: dict[str, str],
    writer: dict[str, str],
    loaded: list[dict[str, Any]],
) -> None:
    client.post(
        "/v1/partnerships",
        json={"slug": "microsoft-mistral", "name": "Microsoft–Mistral",
              "parties": ["Microsoft Corp.", "Mistral AI"], "occurred_on": "2024-02-26"},
        headers=writer,
    )  # fmt: skip
    client.post(
        "/v1/partnerships/microsoft-mistral/events",
        json=investment("16000000", occurred_on="2024-02-26",
                        data={**investment()["data"], "investor": "Microsoft Corp.",
                              "currency": "EUR"}),
        headers=writer,
    )  # fmt: skip
    before = client.get("/v1/organizations/microsoft?as_of=2024-06-30", headers=reader).get_json()
    assert [p["partnership"] for p in before["partnerships"]] == [SLUG]
    alias = client.post(
        "/v1/partnerships/microsoft-mistral/events",
        json={"type": "OrganizationAliased", "occurred_on": "2024-02-26",
              "summary": "Microsoft Corp. is Microsoft",
              "data": {"alias": "Microsoft Corp.", "name": "Microsoft"}},
        headers=writer,
    )  # fmt: skip
    assert alias.status_code == 201, alias.get_json()
    after = client.get("/v1/organizations/Microsoft?as_of=2024-06-30", headers=reader)
    body = after.get_json()
    assert body["name"] == "Microsoft"
    assert body["aliases"] == ["Microsoft Corp."]
    assert [p["partnership"] for p in body["partnerships"]] == ["microsoft-mistral", SLUG]
    totals = body["investments"]["made"]["totals"]
    assert set(totals) == {"EUR", "USD"}
    assert body["investments"]["made"]["by_partnership"]["microsoft-mistral"][0]["investor"] == (
        "Microsoft"
    )
    assert body["open_disputes"]
    assert all(d["partnership"] == SLUG for d in body["open_disputes"])
    assert body["latest"][0]["occurred_on"] <= "2024-06-30"
    earlier = client.get("/v1/organizations/Microsoft?as_of=2019-12-31", headers=reader).get_json()
    assert [p["partnership"] for p in earlier["partnerships"]] == [SLUG]
    received = client.get("/v1/organizations/openai", headers=reader).get_json()
    assert received["investments"]["received"]["totals"]["USD"]


def test_an_unknown_organization_is_a_404(client: FlaskClient, reader: dict[str, str]) -> None:
    problem(client.get("/v1/organizations/Initech", headers=reader), 404)
