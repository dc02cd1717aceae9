"""The write rules, judged against a stream's facts."""

from datetime import date

import pytest

from events.errors import RuleViolated
from events.rules import StreamFacts, Target, check_draft
from tests.builders import draft

TODAY = date(2026, 11, 25)


def violation(candidate, facts=None, target=None):
    with pytest.raises(RuleViolated) as caught:
        check_draft(candidate, facts or StreamFacts(), TODAY, target, "openai-microsoft")
    return caught.value


def test_an_event_may_not_be_dated_in_the_future():
    assert violation(draft("ModelReleased", "2027")).field == "occurred_on"


def test_a_period_that_has_begun_is_not_in_the_future():
    check_draft(draft("ModelReleased", "2026"), StreamFacts(), TODAY)


def test_only_an_open_dispute_can_be_escalated_or_resolved():
    assert violation(draft("DisputeEscalated")).field == "data.dispute_id"
    facts = StreamFacts()
    facts.record("e1", "DisputeOpened", {"dispute_id": "gov"})
    check_draft(draft("DisputeEscalated"), facts, TODAY)
    facts.record("e2", "DisputeResolved", {"dispute_id": "gov"})
    assert violation(draft("DisputeResolved"), facts).field == "data.dispute_id"
    assert violation(draft("DisputeOpened"), facts).field == "data.dispute_id"


def test_retracting_an_opening_closes_the_door_on_escalations():
    facts = StreamFacts()
    facts.record("e1", "DisputeOpened", {"dispute_id": "gov"})
    facts.retract("e1")
    assert violation(draft("DisputeEscalated"), facts).field == "data.dispute_id"


def test_only_a_flagged_risk_can_be_mitigated():
    assert violation(draft("RiskMitigated")).field == "data.risk_id"


def correction(**fields):
    return draft(
        "EventCorrected",
        target_id="6f1f7c9e-9d8b-4b45-9a57-1d0a7b8c2e11",
        fields=fields,
        reason="typo",
    )


TARGET = Target(
    "6f1f7c9e-9d8b-4b45-9a57-1d0a7b8c2e11",
    "openai-microsoft",
    "InvestmentMade",
    {
        "investor": "Microsoft",
        "amount": "1",
        "currency": "USD",
        "instrument": "x",
        "status": "paid",
    },
)


def test_a_correction_needs_a_target_in_the_same_partnership():
    assert violation(correction(summary="x")).field == "data.target_id"
    elsewhere = Target(TARGET.id, "google-anthropic", TARGET.type, TARGET.data)
    assert violation(correction(summary="x"), target=elsewhere).field == "data.target_id"


def test_a_retracted_event_cannot_be_corrected():
    facts = StreamFacts(retracted=[TARGET.id])
    assert violation(correction(summary="x"), facts, TARGET).field == "data.target_id"


def test_corrected_data_must_still_be_valid_for_the_target_type():
    found = violation(correction(data={"amount": "-3"}), target=TARGET)
    assert found.field == "data.fields.data.amount"


def test_a_correction_may_not_move_an_event_into_the_future():
    found = violation(correction(occurred_on="2030-01-01"), target=TARGET)
    assert found.field == "data.fields.occurred_on"


def test_identity_fields_cannot_be_corrected():
    target = Target(TARGET.id, "openai-microsoft", "DisputeOpened", {"dispute_id": "gov"})
    found = violation(correction(data={"dispute_id": "other"}), target=target)
    assert found.field == "data.fields.data.dispute_id"
