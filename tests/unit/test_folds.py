"""The pure folds: investments, disputes, risks, trust."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from events.envelope import RecordedEvent
from service.projections.policy import default_policy
from service.projections.state import fold, render_state
from service.projections.trust import trust_contributions
from tests.builders import draft

POLICY = default_policy()


def recorded(event_type: str, occurred_on: str = "2023-01-15", version: int = 1, **data):
    d = draft(event_type, occurred_on, **data)
    return RecordedEvent(
        id=str(uuid.uuid4()),
        type=d.type,
        partnership="openai-microsoft",
        occurred_on=d.occurred_on,
        summary=d.summary,
        sources=d.sources,
        confidence=d.confidence,
        data=d.data,
        version=version,
        position=version,
        recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
        hash="",
    )


def state_of(*events, at=date(2024, 1, 1)):
    return render_state(fold(events), at, POLICY)


def _sums(firm="0", contingent="0", paid="0", low=None, high=None, undisclosed=0):
    total = str(Decimal(firm) + Decimal(paid))
    return {
        "firm": firm,
        "contingent": contingent,
        "paid": paid,
        "total": total,
        "low": low or total,
        "high": high or total,
        "undisclosed": undisclosed,
    }


def test_investments_total_per_investor_and_currency_split_firm_and_paid():
    answer = state_of(
        recorded("InvestmentMade", amount="1000000000", status="committed"),
        recorded("InvestmentMade", amount="2000000000.50", status="paid"),
        recorded("InvestmentMade", amount="10", currency="EUR", status="paid"),
    )
    assert answer["investments"]["totals"] == {
        "EUR": _sums(paid="10"),
        "USD": _sums(firm="1000000000", paid="2000000000.5"),
    }
    assert len(answer["investments"]["by_investor"]) == 2


def test_commitments_are_summed_apart_from_investments():
    answer = state_of(recorded("CommitmentMade"), recorded("CommitmentMade", amount="1"))
    assert answer["investments"]["commitments"][0]["firm"] == "250000000001"
    assert answer["investments"]["totals"] == {}


def test_a_dispute_is_open_until_resolved_and_counts_its_escalations():
    opened = state_of(
        recorded("DisputeOpened", "2023-11-20"),
        recorded("DisputeEscalated", "2023-12-01", severity=5),
        at=date(2023, 12, 20),
    )["disputes"]
    assert opened["open"] == [
        {
            "dispute_id": "gov",
            "topic": "governance",
            "raised_by": "Microsoft",
            "severity": 5,
            "escalations": 1,
            "opened_on": "2023-11-20",
            "age_days": 30,
        }
    ]
    resolved = state_of(
        recorded("DisputeOpened", "2023-11-20"), recorded("DisputeResolved", "2024-01-10")
    )["disputes"]
    assert resolved["open"] == []
    assert resolved["resolved"][0]["resolved_on"] == "2024-01-10"


def test_a_resolution_folded_before_its_opening_still_gives_a_defined_state():
    answer = state_of(recorded("DisputeResolved", "2023-01-01"))
    assert answer["disputes"] == {"open": [], "resolved": []}
    later = fold(
        [recorded("DisputeResolved", "2023-01-01"), recorded("DisputeOpened", "2023-02-01")]
    )
    assert render_state(later, date(2024, 1, 1), POLICY)["disputes"]["open"] == []


def test_open_risks_are_grouped_by_category_until_mitigated():
    answer = state_of(
        recorded("RiskFlagged"),
        recorded("RiskFlagged", risk_id="rivals", category="competition"),
        recorded("RiskMitigated"),
    )
    assert answer["risks"]["open"] == 1
    assert list(answer["risks"]["open_by_category"]) == ["competition"]
    assert answer["risks"]["mitigated"] == 1


def test_trust_starts_at_the_baseline():
    assert state_of()["trust"]["score"] == POLICY.baseline


def test_an_effect_halves_after_one_half_life():
    event = recorded("TrustSignal", "2023-01-01", delta=10)
    fresh = state_of(event, at=date(2023, 1, 1))["trust"]["score"]
    faded = state_of(event, at=date(2024, 1, 1))["trust"]["score"]  # 365 days later
    assert fresh == POLICY.baseline + 10
    assert faded == POLICY.baseline + 5


def test_an_open_dispute_weighs_without_fading_until_it_is_resolved():
    opened = recorded("DisputeOpened", "2020-01-01", severity=4)
    years_later = state_of(opened, at=date(2030, 1, 1))["trust"]
    assert years_later["from_open_disputes"] == POLICY.open_dispute_weight(4, 0)
    resolved = state_of(opened, recorded("DisputeResolved", "2021-01-01"), at=date(2030, 1, 1))
    assert resolved["trust"]["from_open_disputes"] == 0


def test_confidence_scales_an_effect():
    rumored = recorded("TrustSignal", "2023-01-01", delta=-8)
    rumored = RecordedEvent(**{**rumored.__dict__, "confidence": "rumored"})
    assert state_of(rumored, at=date(2023, 1, 1))["trust"]["score"] == POLICY.baseline - 2


def test_the_contributions_add_up_to_the_score():
    events = [
        recorded("PartnershipFormed", "2019-07-22"),
        recorded("InvestmentMade", "2019-07-22"),
        recorded("LeadershipChanged", "2023-11-17"),
        recorded("DisputeOpened", "2023-11-20", severity=3),
        recorded("TrustSignal", "2024-06", delta=-4),
    ]
    at = date(2025, 1, 1)
    state = fold(events)
    score = render_state(state, at, POLICY)["trust"]["score"]
    contributions = trust_contributions(events, state["dispute"], at, POLICY)
    assert score == pytest.approx(
        POLICY.baseline + sum(c["contribution"] for c in contributions), abs=0.05
    )
    assert {c.get("type") for c in contributions} >= {"LeadershipChanged", "TrustSignal"}


def test_the_score_stays_between_zero_and_one_hundred():
    signals = [recorded("TrustSignal", "2024-01-01", delta=-10) for _ in range(20)]
    assert state_of(*signals, at=date(2024, 1, 1))["trust"]["score"] == 0.0


def test_fold_leaves_its_starting_state_untouched():
    start = fold([recorded("InvestmentMade")])
    fold([recorded("InvestmentMade")], start=start)
    totals = render_state(start, date(2024, 1, 1), POLICY)["investments"]["totals"]
    assert totals["USD"] == _sums(firm="1000000000")


def test_any_date_gives_a_trust_level_even_centuries_ahead():
    events = [recorded("TrustSignal", "2023-01-01", delta=-8), recorded("DisputeOpened")]
    far = state_of(*events, at=date(9999, 12, 31))["trust"]
    assert far["from_events"] == 0
    assert far["score"] == POLICY.baseline + POLICY.open_dispute_weight(3, 0)


def test_a_date_long_before_every_event_gives_the_baseline():
    assert state_of(at=date(6, 1, 1))["trust"]["score"] == POLICY.baseline
