"""Issue 12 over HTTP: figures as claims, contested sources, agreements and reviews, the two
defects, `min_confidence` and the `partnership` filter. The three worked examples of the issue's
closing note are the first three tests."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.helpers import configure, fields_named, problem

ACME = "acme-globex"


def usd(kind: str = "exact", **values: str) -> dict[str, str]:
    return {"kind": kind, "unit": "USD", **values}


def create(client: FlaskClient, headers: dict[str, str], slug: str = ACME, **extra: Any) -> Any:
    name = slug.replace("-", "–").title()
    body = {
        "slug": slug,
        "name": name,
        "parties": [part.title() for part in slug.split("-")],
        "occurred_on": "2020-01-15",
        **extra,
    }
    return client.post("/v1/partnerships", json=body, headers=headers)


def post(
    client: FlaskClient, headers: dict[str, str], body: dict[str, Any], slug: str = ACME
) -> Any:
    return client.post(f"/v1/partnerships/{slug}/events", json=body, headers=headers)


def posted(
    client: FlaskClient, headers: dict[str, str], body: dict[str, Any], slug: str = ACME
) -> dict[str, Any]:
    response = post(client, headers, body, slug)
    assert response.status_code == 201, response.get_json()
    answer: dict[str, Any] = response.get_json()
    return answer


def get(client: FlaskClient, url: str, headers: dict[str, str], **query: Any) -> dict[str, Any]:
    response = client.get(url, query_string=query or None, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def state(
    client: FlaskClient, headers: dict[str, str], slug: str = ACME, **query: Any
) -> dict[str, Any]:
    return get(client, f"/v1/partnerships/{slug}/state", headers, **query)["state"]


UP_TO_WITH_OPTION = {
    "type": "InvestmentMade",
    "occurred_on": "2025-03-04",
    "summary": "Acme will invest up to $6B in Globex: $2B now, $4B as an option next year",
    "confidence": "confirmed",
    "sources": [{"url": "https://www.example.com/acme-globex-6b", "publisher": "Example Wire"}],
    "data": {
        "investor": "Acme",
        "instrument": "equity",
        "amount": usd("up_to", value="6000000000"),
        "tranches": [
            {"status": "firm", "amount": usd(value="2000000000"), "label": "at signing"},
            {
                "status": "contingent",
                "amount": usd(value="4000000000"),
                "condition": "Acme exercises its option in 2026",
                "expected_on": "2026",
                "label": "option",
            },
        ],
    },
}

THREE_FIGURES = {
    "type": "InvestmentMade",
    "occurred_on": "2024-06",
    "summary": "Acme's Series C stake in Globex: outlets report $300M and $400M, a filing $550M",
    "confidence": "reported",
    "sources": [
        {
            "url": "https://www.example.com/wire/acme-300m",
            "publisher": "Example Wire",
            "published_on": "2024-06",
            "figure": usd(value="300000000"),
        },
        {
            "title": "Acme leads Globex's Series C",
            "publisher": "Example Daily",
            "published_on": "2024-06-12",
            "figure": usd("approximate", value="400000000"),
        },
    ],
    "data": {
        "investor": "Acme",
        "instrument": "Series C preferred",
        "amount": usd("approximate", value="400000000"),
        "status": "paid",
    },
}

UNDISCLOSED = {
    "type": "InvestmentMade",
    "occurred_on": "2023-Q4",
    "summary": "Acme takes an undisclosed stake in Globex",
    "confidence": "confirmed",
    "sources": [{"title": "Acme annual report 2023", "publisher": "Acme"}],
    "data": {
        "investor": "Acme",
        "instrument": "equity",
        "amount": usd("undisclosed"),
        "status": "paid",
    },
}


def test_an_up_to_deal_with_an_option_counts_the_option_apart(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    assert create(client, writer).status_code == 201
    posted(client, writer, UP_TO_WITH_OPTION)
    totals = state(client, writer)["investments"]["totals"]["USD"]
    assert totals == {
        "firm": "2000000000",
        "contingent": "4000000000",
        "paid": "0",
        "total": "2000000000",
        "low": "2000000000",
        "high": "2000000000",
        "undisclosed": 0,
    }


def test_a_deal_reported_with_three_figures_gives_the_chosen_total_and_their_range(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    assert create(client, writer).status_code == 201
    event_id = posted(client, writer, THREE_FIGURES)["id"]
    before_filing = get(client, "/v1/events", writer, limit=1)["position"]
    known_at = get(client, f"/v1/partnerships/{ACME}/state", writer)
    posted(
        client,
        writer,
        {
            "type": "SourceAttached",
            "summary": "Globex's filing gives $550M",
            "confidence": "confirmed",
            "data": {
                "target_id": event_id,
                "source": {
                    "title": "Globex Form D",
                    "url": "https://www.sec.gov/globex-form-d",
                    "published_on": "2024-09",
                    "figure": usd(value="550000000"),
                },
                "note": "The filing counts a second close.",
            },
        },
    )
    totals = state(client, writer)["investments"]["totals"]["USD"]
    assert (totals["paid"], totals["total"], totals["low"], totals["high"]) == (
        "400000000",
        "400000000",
        "300000000",
        "550000000",
    )
    event = get(client, f"/v1/partnerships/{ACME}/events/{event_id}", writer)
    figures = [s.get("figure", {}).get("value") for s in event["current"]["sources"]]
    assert figures == ["300000000", "400000000", "550000000"]
    assert before_filing < event["amendments"][0]["position"]
    assert known_at["position"] < event["amendments"][0]["position"]


def test_an_undisclosed_investment_is_counted_not_guessed(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    assert create(client, writer).status_code == 201
    posted(client, writer, UNDISCLOSED)
    posted(client, writer, THREE_FIGURES)
    totals = state(client, writer)["investments"]["totals"]["USD"]
    assert totals["paid"] == "400000000"
    assert totals["undisclosed"] == 1


def test_a_source_attached_later_is_honoured_by_known_at(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    assert create(client, writer).status_code == 201
    event_id = posted(client, writer, THREE_FIGURES)["id"]
    before = get(client, f"/v1/partnerships/{ACME}/state", writer)
    known_at = get(client, f"/v1/partnerships/{ACME}/events", writer)["events"][-1]["recorded_at"]
    posted(
        client,
        writer,
        {
            "type": "SourceAttached",
            "summary": "a filing",
            "data": {
                "target_id": event_id,
                "source": {"title": "f", "figure": usd(value="900000000")},
            },
        },
    )
    then = state(client, writer, known_at=known_at)["investments"]["totals"]["USD"]
    assert then == before["state"]["investments"]["totals"]["USD"]
    assert state(client, writer)["investments"]["totals"]["USD"]["high"] == "900000000"


def test_min_confidence_drops_less_certain_figures_from_the_totals(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    assert create(client, writer).status_code == 201
    posted(client, writer, UP_TO_WITH_OPTION)  # confirmed
    posted(client, writer, THREE_FIGURES)  # reported
    everything = state(client, writer)["investments"]["totals"]["USD"]
    confirmed = state(client, writer, min_confidence="confirmed")["investments"]["totals"]["USD"]
    assert everything["total"] == "2400000000"
    assert confirmed["total"] == "2000000000"
    across = get(client, "/v1/investments", writer, min_confidence="confirmed")
    assert across["totals"]["USD"]["total"] == "2000000000"
    response = client.get(f"/v1/partnerships/{ACME}/state?min_confidence=sure", headers=writer)
    assert "min_confidence" in fields_named(problem(response, 422))


def test_a_bad_figure_is_a_422_naming_the_field_and_stores_nothing(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    assert create(client, writer).status_code == 201
    position = get(client, "/v1/events", writer)["position"]
    bad = {
        **THREE_FIGURES,
        "data": {**THREE_FIGURES["data"], "amount": usd("range", low="5", high="3")},
    }
    assert "data.amount.low" in fields_named(problem(post(client, writer, bad), 422))
    bad_tranche = {
        **UP_TO_WITH_OPTION,
        "data": {
            **UP_TO_WITH_OPTION["data"],
            "tranches": [{"status": "contingent", "amount": usd(value="1")}],
        },
    }
    assert "data.tranches.0.condition" in fields_named(
        problem(post(client, writer, bad_tranche), 422)
    )
    no_source = {**THREE_FIGURES, "sources": [{"publisher": "someone"}]}
    assert "sources.0.url" in fields_named(problem(post(client, writer, no_source), 422))
    assert get(client, "/v1/events", writer)["position"] == position


def test_creating_a_partnership_without_occurred_on_is_a_422_naming_it(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    response = client.post(
        "/v1/partnerships",
        json={"slug": ACME, "name": "Acme–Globex", "parties": ["Acme", "Globex"]},
        headers=writer,
    )
    assert "occurred_on" in fields_named(problem(response, 422))
    assert client.get(f"/v1/partnerships/{ACME}/state", headers=writer).status_code == 404


def test_a_state_before_the_formation_says_not_yet_formed(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    assert create(client, writer).status_code == 201
    before = state(client, writer, as_of="2019-12-31")
    assert before["formed"] is False
    assert "not yet formed" in before["note"]
    after = state(client, writer, as_of="2020-01-15")
    assert (after["formed"], after["formed_on"], after["parties"]) == (
        True,
        "2020-01-15",
        ["Acme", "Globex"],
    )


def test_amendments_need_no_occurred_on(client: FlaskClient, writer: dict[str, str]) -> None:
    assert create(client, writer).status_code == 201
    event_id = posted(client, writer, UNDISCLOSED)["id"]
    posted(
        client,
        writer,
        {
            "type": "EventCorrected",
            "summary": "The amount came out",
            "data": {
                "target_id": event_id,
                "fields": {"data": {"amount": usd(value="250000000")}},
                "reason": "Annual report 2024",
            },
        },
    )
    posted(
        client,
        writer,
        {
            "type": "EventRetracted",
            "summary": "wrong",
            "data": {"target_id": event_id, "reason": "x"},
        },
    )
    assert state(client, writer)["investments"]["totals"] == {}


def test_closing_a_closed_review_says_it_is_closed(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    assert create(client, writer).status_code == 201
    review = {"regulator": "CMA", "review_id": "cma-acme"}
    for event_type, data in (
        ("RegulatoryReviewOpened", {"subject": "Acme's stake", "stage": "invitation_to_comment"}),
        ("RegulatoryReviewAdvanced", {"stage": "phase_1"}),
    ):
        posted(
            client,
            writer,
            {"type": event_type, "occurred_on": "2024", "summary": "x", "data": {**review, **data}},
        )
    reviews = state(client, writer)["regulatory_reviews"]
    assert [s["stage"] for s in reviews[0]["stages"]] == ["phase_1"]
    assert reviews[0]["stage"] == "phase_1"
    closed = {
        "type": "RegulatoryReviewClosed",
        "occurred_on": "2025",
        "summary": "x",
        "data": {**review, "outcome": "cleared", "decision": "cleared"},
    }
    posted(client, writer, closed)
    body = problem(post(client, writer, closed), 422)
    assert "already closed" in body["detail"]
    assert "data.review_id" in fields_named(body)


def test_agreements_are_signed_and_ended(client: FlaskClient, writer: dict[str, str]) -> None:
    assert create(client, writer).status_code == 201
    signed = {
        "type": "AgreementSigned",
        "occurred_on": "2024-05",
        "summary": "Acme and Globex sign a letter of intent",
        "data": {
            "agreement_id": "loi-2024",
            "kind": "letter_of_intent",
            "binding": False,
            "scope": "a joint venture in Europe",
            "figure": usd("up_to", value="1000000000"),
        },
    }
    posted(client, writer, signed)
    agreements = state(client, writer)["agreements"]
    assert agreements["in_force"][0]["binding"] is False
    ended = {
        "type": "AgreementEnded",
        "occurred_on": "2025",
        "summary": "x",
        "data": {"agreement_id": "loi-2024", "how": "abandoned"},
    }
    posted(client, writer, ended)
    assert state(client, writer)["agreements"]["ended"][0]["how"] == "abandoned"
    assert "already ended" in problem(post(client, writer, ended), 422)["detail"]


def test_every_cross_partnership_read_takes_the_partnership_filter(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    assert create(client, writer).status_code == 201
    assert create(client, writer, "initech-hooli").status_code == 201
    posted(client, writer, THREE_FIGURES)
    posted(client, writer, UNDISCLOSED, "initech-hooli")
    only = get(client, "/v1/investments", writer, partnership="initech-hooli")
    assert list(only["by_partnership"]) == ["initech-hooli"]
    assert only["totals"]["USD"]["undisclosed"] == 1
    assert only["totals"]["USD"]["paid"] == "0"
    disputes = get(client, "/v1/disputes", writer, partnership="initech-hooli")
    assert disputes["disputes"] == []


def test_the_catalog_and_openapi_describe_the_new_shapes(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    catalog = get(client, "/v1/catalog", reader)
    types = catalog.get("types", catalog)
    for name in ("AgreementSigned", "AgreementEnded", "RegulatoryReviewAdvanced", "SourceAttached"):
        assert name in types
    investment = types["InvestmentMade"]["fields"]
    assert investment["amount"]["fields"]["kind"]["enum"][-1] == "undisclosed"
    assert "tranches" in investment
    document = get(client, "/openapi.json", reader)
    text = str(document)
    assert "AgreementSigned" in text
    assert "at_least" in text


def test_the_global_log_takes_the_partnership_filter(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    assert create(client, writer).status_code == 201
    assert create(client, writer, "initech-hooli").status_code == 201
    posted(client, writer, UNDISCLOSED, "initech-hooli")
    page = get(client, "/v1/events", writer, partnership="initech-hooli")
    assert {e["subject"] for e in page["events"]} == {"initech-hooli"}
    assert len(page["events"]) == 2
    assert page["position"] == 3
    assert "partnership=initech-hooli" in page["next"]


def test_the_dashboard_headline_says_firm_contingent_paid_and_the_range(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    configure(app, anonymous_reads=True)
    assert create(client, writer).status_code == 201
    posted(client, writer, UP_TO_WITH_OPTION)
    posted(client, writer, THREE_FIGURES)
    posted(client, writer, UNDISCLOSED)
    html = client.get(f"/?partnership={ACME}").get_data(as_text=True)
    headline = html[html.index('id="invested-figure"') : html.index("Open disputes")]
    assert 'data-total="2400000000"' in headline
    assert "in total (firm + paid)" in headline
    assert "more contingent, not counted" in headline
    assert "sources range" in headline
    assert "plus 1 undisclosed" in headline
    assert "reports USD 300000000" in html  # each source with its own figure
    assert "reports about USD 400000000" in html
    assert "chosen figure: up to USD 6000000000; firm USD 2000000000; contingent" in html


BAD_EVENTS = [
    (
        {
            "type": "AgreementSigned",
            "data": {"agreement_id": "a", "kind": "handshake", "binding": True, "scope": "x"},
        },
        "data.kind",
    ),
    (
        {
            "type": "AgreementSigned",
            "data": {"agreement_id": "a", "kind": "term_sheet", "binding": "maybe", "scope": "x"},
        },
        "data.binding",
    ),
    ({"type": "AgreementEnded", "data": {"agreement_id": "a", "how": "vanished"}}, "data.how"),
    (
        {
            "type": "RegulatoryReviewAdvanced",
            "data": {"regulator": "CMA", "review_id": "r", "stage": "phase_9"},
        },
        "data.stage",
    ),
    (
        {
            "type": "RegulatoryReviewClosed",
            "data": {"regulator": "CMA", "review_id": "r", "outcome": "x", "decision": "maybe"},
        },
        "data.decision",
    ),
    (
        {
            "type": "CommitmentMade",
            "data": {
                "party": "A",
                "kind": "cloud",
                "amount": {"kind": "exact", "value": "5", "unit": "TW"},
                "status": "firm",
            },
        },
        "data.amount.unit",
    ),
    (
        {
            "type": "CommitmentMade",
            "data": {
                "party": "A",
                "kind": "cloud",
                "amount": {"kind": "exact", "value": "5", "unit": "USD", "per": "decade"},
                "status": "firm",
            },
        },
        "data.amount.per",
    ),
    (
        {
            "type": "StatementMade",
            "data": {
                "speaker": "A",
                "organization": "B",
                "statement": "c",
                "figure": {"kind": "up_to", "unit": "USD"},
            },
        },
        "data.figure.value",
    ),
    (
        {
            "type": "TermsRenegotiated",
            "data": {
                "area": "revenue",
                "change": "c",
                "figure": {"kind": "exact", "value": "120", "unit": "percent"},
            },
        },
        "data.figure.value",
    ),
    (
        {
            "type": "CommercialRightsGranted",
            "data": {
                "holder": "A",
                "scope": "s",
                "exclusive": True,
                "figure": {"kind": "undisclosed", "value": "1", "unit": "USD"},
            },
        },
        "data.figure.value",
    ),
    (
        {
            "type": "InvestmentMade",
            "data": {
                "investor": "A",
                "amount": {"kind": "range", "low": "9", "high": "3", "unit": "USD"},
                "status": "paid",
            },
        },
        "data.amount.low",
    ),
    (
        {
            "type": "InvestmentMade",
            "data": {
                "investor": "A",
                "amount": {"kind": "exact", "value": "1", "unit": "USD"},
                "status": "paid",
                "stake": {"kind": "exact", "value": "5", "unit": "USD"},
            },
        },
        "data.stake.unit",
    ),
    (
        {"type": "SourceAttached", "data": {"target_id": "6f1f7c9e-9d8b-4b45-9a57-1d0a7b8c2e11"}},
        "data.source",
    ),
    (
        {
            "type": "SourceAttached",
            "data": {
                "target_id": "6f1f7c9e-9d8b-4b45-9a57-1d0a7b8c2e11",
                "source": {"publisher": "x"},
            },
        },
        "data.source.url",
    ),
    (
        {
            "type": "ModelReleased",
            "sources": [{"title": "t", "published_on": "2024-13"}],
            "data": {"model": "m", "released_by": "r"},
        },
        "sources.0.published_on",
    ),
    (
        {
            "type": "ModelReleased",
            "sources": [{"title": "t", "figure": {"kind": "exact", "unit": "USD"}}],
            "data": {"model": "m", "released_by": "r"},
        },
        "sources.0.figure.value",
    ),
]


@pytest.mark.parametrize(("body", "field"), BAD_EVENTS, ids=[f for _, f in BAD_EVENTS])
def test_each_new_shape_refuses_bad_input_with_a_422_naming_the_field_and_stores_nothing(
    client: FlaskClient, writer: dict[str, str], body: dict[str, Any], field: str
) -> None:
    assert create(client, writer).status_code == 201
    position = get(client, "/v1/events", writer)["position"]
    event = {"occurred_on": "2024", "summary": "bad", **body}
    assert field in fields_named(problem(post(client, writer, event), 422))
    assert get(client, "/v1/events", writer)["position"] == position
