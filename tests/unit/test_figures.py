"""Figures as claims and the catalog's new types: every shape, and bad input named field by
field (the API turns these messages into a 422 naming `data.amount.low` and the like)."""

from __future__ import annotations

from datetime import date

import pytest

from events.envelope import parse_event
from events.errors import InvalidEvent, RuleViolated
from events.figures import claim_bounds, figure_text
from events.rules import StreamFacts, Target, amend, check_draft
from tests.builders import payload

TODAY = date(2026, 11, 25)


def usd(kind: str = "exact", **values: str) -> dict[str, str]:
    return {"kind": kind, "unit": "USD", **values}


def investment(amount, **data):
    body = payload("InvestmentMade", amount=amount, **data)
    body["data"].pop("currency")
    if "tranches" in data:
        body["data"].pop("status")
    return body


def errors_of(body):
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body)
    return caught.value.messages


def field_paths(messages, prefix=""):
    """The dotted paths the API reports (`data.amount.low`)."""
    paths = set()
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix and key != "_schema" else (prefix or str(key))
        if isinstance(value, dict):
            paths |= field_paths(value, path)
        else:
            paths.add(path)
    return paths


@pytest.mark.parametrize(
    "figure",
    [
        usd(value="1000000000"),
        usd("approximate", value="10000000000"),
        usd("range", low="300000000", high="550000000"),
        usd("range", low="300000000", high="550000000", value="400000000"),
        usd("up_to", value="6000000000"),
        usd("at_least", value="20000000000"),
        usd("undisclosed"),
        {"kind": "exact", "value": "2500000000", "unit": "EUR", "per": "year", "term": "5 years"},
    ],
)
def test_every_figure_shape_is_stored_as_given(figure):
    draft = parse_event(investment(figure, status="firm"))
    assert draft.data["amount"] == figure


@pytest.mark.parametrize(
    ("figure", "path"),
    [
        (usd(), "data.amount.value"),
        (usd("range", low="5", high="3"), "data.amount.low"),
        (usd("range", low="1"), "data.amount.high"),
        (usd("range", low="1", high="3", value="9"), "data.amount.value"),
        (usd("up_to", value="6", low="1"), "data.amount.low"),
        (usd("undisclosed", value="1"), "data.amount.value"),
        (usd(value="-1"), "data.amount.value"),
        (usd(value="1e999999"), "data.amount.value"),
        ({"kind": "exact", "value": "1", "unit": "XYZ"}, "data.amount.unit"),
        ({"kind": "exact", "value": "1"}, "data.amount.unit"),
        ({"kind": "about", "value": "1", "unit": "USD"}, "data.amount.kind"),
        (usd(value="1", per="decade"), "data.amount.per"),
        (usd(value="1", term="5 years"), "data.amount.term"),
        ({"kind": "exact", "value": 1.5, "unit": "USD"}, "data.amount.value"),
        (usd(value="1", surprise="x"), "data.amount.surprise"),
        ({"kind": "exact", "value": "49", "unit": "percent"}, "data.amount.unit"),
    ],
)
def test_a_bad_figure_is_refused_naming_its_field(figure, path):
    assert path in field_paths(errors_of(investment(figure, status="firm")))


def test_a_percentage_is_at_most_100_and_shares_are_whole():
    stake = {"kind": "exact", "value": "101", "unit": "percent"}
    assert "data.stake.value" in field_paths(
        errors_of(investment(usd(value="1"), status="firm", stake=stake))
    )
    shares = {"kind": "exact", "value": "1.5", "unit": "shares"}
    assert "data.shares.value" in field_paths(
        errors_of(investment(usd(value="1"), status="firm", shares=shares))
    )


def test_an_investment_with_an_option_splits_into_firm_and_contingent_tranches():
    draft = parse_event(
        investment(
            usd("up_to", value="6000000000"),
            tranches=[
                {"status": "firm", "amount": usd(value="2000000000"), "label": "now"},
                {
                    "status": "contingent",
                    "amount": usd(value="4000000000"),
                    "condition": "Acme exercises its option in 2026",
                    "expected_on": "2026",
                },
            ],
        )
    )
    assert [t["status"] for t in draft.data["tranches"]] == ["firm", "contingent"]
    assert draft.data["tranches"][1]["expected_on"] == "2026"


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (
            {"tranches": [{"status": "contingent", "amount": usd(value="1")}]},
            "data.tranches.0.condition",
        ),
        (
            {
                "tranches": [
                    {"status": "firm", "amount": {"kind": "exact", "value": "1", "unit": "EUR"}}
                ]
            },
            "data.tranches.0.amount.unit",
        ),
        (
            {"tranches": [{"status": "firm", "amount": usd(value="1")}], "status": "firm"},
            "data.status",
        ),
        ({"tranches": []}, "data.tranches"),
        ({"status": "contingent"}, "data.condition"),
        ({}, "data.status"),
    ],
)
def test_bad_tranches_are_refused_naming_the_field(data, path):
    body = payload("InvestmentMade", amount=usd(value="1"))
    body["data"].pop("status")
    body["data"].pop("currency")
    body["data"].update(data)
    assert path in field_paths(errors_of(body))


def test_an_investment_is_money_but_a_commitment_may_be_capacity_or_a_rate():
    gw = {"kind": "approximate", "value": "5", "unit": "GW"}
    assert "data.amount.unit" in field_paths(errors_of(investment(gw, status="firm")))
    body = payload("CommitmentMade", amount=gw, status="firm")
    body["data"].pop("currency")
    assert parse_event(body).data["amount"] == gw
    rate = {"kind": "exact", "value": "2000000000", "unit": "USD", "per": "year", "term": "5 years"}
    body = payload("CommitmentMade", amount=rate, status="firm")
    body["data"].pop("currency")
    assert parse_event(body).data["amount"]["per"] == "year"


def test_a_commitment_whose_size_was_not_reported_can_be_stored():
    body = payload("CommitmentMade", amount=usd("undisclosed"), status="firm")
    body["data"].pop("currency")
    body["data"].pop("term")
    assert parse_event(body).data["amount"] == usd("undisclosed")


@pytest.mark.parametrize(
    "event_type", ["StatementMade", "TermsRenegotiated", "CommercialRightsGranted"]
)
def test_statements_renegotiations_and_rights_carry_an_optional_figure(event_type):
    share = {"kind": "exact", "value": "20", "unit": "percent"}
    assert parse_event(payload(event_type, figure=share)).data["figure"] == share
    assert "data.figure.kind" in field_paths(errors_of(payload(event_type, figure={"unit": "USD"})))


def test_an_agreement_is_signed_with_its_kind_and_whether_it_binds():
    signed = parse_event(
        payload(
            "AgreementSigned",
            kind="letter_of_intent",
            binding=False,
            figure=usd("up_to", value="10000000000"),
        )
    )
    assert signed.data["binding"] is False
    messages = errors_of(payload("AgreementSigned", kind="handshake", binding="perhaps"))
    assert {"data.kind", "data.binding"} <= field_paths(messages)
    assert "data.how" in field_paths(errors_of(payload("AgreementEnded", how="vanished")))


def test_a_review_advances_through_named_stages():
    assert (
        parse_event(payload("RegulatoryReviewAdvanced", stage="phase_2")).data["stage"] == "phase_2"
    )
    assert "data.stage" in field_paths(
        errors_of(payload("RegulatoryReviewAdvanced", stage="phase_9"))
    )


def test_a_source_needs_a_url_or_a_title_and_takes_a_partial_date_and_its_own_figure():
    body = payload("InvestmentMade")
    body["sources"] = [
        {"url": "https://www.reuters.com/x", "publisher": "Reuters", "published_on": "2023-10"},
        {"title": "10-K", "published_on": "2024-Q3", "figure": usd(value="550000000")},
    ]
    sources = parse_event(body).sources
    assert sources[0]["published_on"] == "2023-10"
    assert sources[1]["figure"] == usd(value="550000000")
    body["sources"] = [{"publisher": "Reuters"}, {"title": "x", "published_on": "2023-13"}]
    assert {"sources.0.url", "sources.1.published_on"} <= field_paths(errors_of(body))


def test_amendments_need_no_occurred_on_but_everything_else_does():
    retraction = payload(
        "EventRetracted", target_id="6f1f7c9e-9d8b-4b45-9a57-1d0a7b8c2e11", reason="x"
    )
    del retraction["occurred_on"]
    assert parse_event(retraction).occurred_on is None
    attached = payload(
        "SourceAttached",
        target_id="6f1f7c9e-9d8b-4b45-9a57-1d0a7b8c2e11",
        source={"title": "Filing", "figure": usd(value="550000000")},
    )
    del attached["occurred_on"]
    assert parse_event(attached).data["source"]["figure"]["value"] == "550000000"
    formed = payload("PartnershipFormed")
    del formed["occurred_on"]
    assert "occurred_on" in errors_of(formed)


def test_an_attached_source_adds_to_the_event_and_replaces_nothing():
    body = {"id": "e1", "sources": [{"title": "first"}], "data": {}}
    amended = amend(body, "SourceAttached", {"source": {"title": "second"}})
    assert amended["sources"] == [{"title": "first"}, {"title": "second"}]
    assert body["sources"] == [{"title": "first"}]


def test_an_attached_source_targets_an_existing_event_not_an_amendment():
    draft = parse_event(
        payload(
            "SourceAttached",
            target_id="6f1f7c9e-9d8b-4b45-9a57-1d0a7b8c2e11",
            source={"title": "x"},
        )
    )
    with pytest.raises(RuleViolated) as caught:
        check_draft(draft, StreamFacts(), TODAY, None, "openai-microsoft")
    assert caught.value.field == "data.target_id"
    target = Target(
        "6f1f7c9e-9d8b-4b45-9a57-1d0a7b8c2e11", "openai-microsoft", "EventCorrected", {}
    )
    with pytest.raises(RuleViolated):
        check_draft(draft, StreamFacts(), TODAY, target, "openai-microsoft")
    target = Target("6f1f7c9e-9d8b-4b45-9a57-1d0a7b8c2e11", "openai-microsoft", "ModelReleased", {})
    check_draft(draft, StreamFacts(), TODAY, target, "openai-microsoft")


@pytest.mark.parametrize(
    ("opened", "closed", "again", "message"),
    [
        (
            "RegulatoryReviewOpened",
            "RegulatoryReviewClosed",
            "RegulatoryReviewClosed",
            "already closed",
        ),
        (
            "RegulatoryReviewOpened",
            "RegulatoryReviewClosed",
            "RegulatoryReviewAdvanced",
            "already closed",
        ),
        ("AgreementSigned", "AgreementEnded", "AgreementEnded", "already ended"),
        ("DisputeOpened", "DisputeResolved", "DisputeEscalated", "already resolved"),
    ],
)
def test_acting_on_a_closed_entity_says_it_is_closed(opened, closed, again, message):
    facts = StreamFacts()
    for number, event_type in enumerate((opened, closed)):
        draft = parse_event(payload(event_type))
        check_draft(draft, facts, TODAY)
        facts.record(f"e{number}", event_type, draft.data)
    with pytest.raises(RuleViolated) as caught:
        check_draft(parse_event(payload(again)), facts, TODAY)
    assert message in caught.value.message
    assert "no open" not in caught.value.message


def test_a_review_never_opened_is_still_no_open_review():
    with pytest.raises(RuleViolated) as caught:
        check_draft(parse_event(payload("RegulatoryReviewClosed")), StreamFacts(), TODAY)
    assert "no open regulatory review" in caught.value.message


def test_claim_bounds_choose_without_guessing():
    assert claim_bounds(usd(value="5")) == (5, 5, 5)
    assert claim_bounds(usd("range", low="3", high="9")) == (3, 3, 9)
    assert claim_bounds(usd("range", low="3", high="9", value="4")) == (4, 3, 9)
    assert claim_bounds(usd("up_to", value="6")) == (6, 0, 6)
    assert claim_bounds(usd("at_least", value="20")) == (20, 20, 20)
    assert claim_bounds(usd("undisclosed")) is None
    assert figure_text(usd("up_to", value="6")) == "up to USD 6"
