"""Events folded in any order of arrival give the fold in valid-time order (the view keeps its
current state this way: `service.projections.out_of_order`)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from events.envelope import RecordedEvent, parse_event
from service.projections.out_of_order import (
    Writers,
    fold_in,
    record,
    written,
    written_by_folding,
)
from service.projections.policy import default_policy
from service.projections.state import empty_state, fold, render_state
from service.view.keys import valid_key
from tests.builders import DATA, draft

POLICY = default_policy()
RENDER_AT = date(2026, 1, 1)

days = st.builds(
    lambda year, month, day, precision: (
        f"{year}" if precision == 0 else f"{year}-{month:02d}-{day:02d}"
    ),
    st.integers(2019, 2024),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 3),
)
variations = st.fixed_dictionaries(
    {
        "dispute_id": st.sampled_from(["a", "b"]),
        "risk_id": st.sampled_from(["r", "s"]),
        "review_id": st.sampled_from(["x", "y"]),
        "severity": st.integers(1, 5),
        "amount": st.sampled_from(["1", "250.5", "1000"]),
        "name": st.sampled_from(["First", "Second"]),
    }
)
STATEFUL = [
    name
    for name in (
        *("DisputeOpened", "DisputeEscalated", "DisputeResolved", "RiskFlagged"),
        *("RiskMitigated", "InvestmentMade", "TrustSignal", "PartnershipFormed"),
    )
    if name in DATA
]
types = st.one_of(st.sampled_from(sorted(DATA)), st.sampled_from(STATEFUL))
events = st.lists(st.tuples(types, days, variations), min_size=1, max_size=25)


def recorded(version: int, event_type: str, occurred_on: str, variation: dict) -> RecordedEvent:
    fields = {name: value for name, value in variation.items() if name in DATA[event_type]}
    made = draft(event_type, occurred_on, **fields)
    return RecordedEvent(
        id=str(uuid.uuid4()),
        type=made.type,
        partnership="p",
        occurred_on=made.occurred_on,
        summary=made.summary,
        sources=made.sources,
        confidence=made.confidence,
        data=made.data,
        version=version,
        position=version,
        recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
        hash="",
    )


def key(event: RecordedEvent) -> str:
    return valid_key(event.occurred_on.end, event.version)


@settings(max_examples=200, deadline=None)
@given(steps=events)
def test_any_order_of_arrival_folds_as_valid_time_order(steps):
    arrived = [recorded(n + 1, *step) for n, step in enumerate(steps)]
    state, writers = empty_state(), {}
    for event in arrived:
        fold_in(state, writers, event, key(event), POLICY)
    in_order = fold(sorted(arrived, key=key), policy=POLICY)
    assert render_state(state, RENDER_AT, POLICY) == render_state(in_order, RENDER_AT, POLICY)


@settings(max_examples=100, deadline=None)
@given(steps=events, late=st.tuples(types, days, variations))
def test_writers_found_later_serve_as_if_kept_all_along(steps, late):
    """A view that did not keep the writers finds them from its rows, in valid-time order."""
    arrived = sorted((recorded(n + 1, *step) for n, step in enumerate(steps)), key=key)
    state = fold(arrived, policy=POLICY)
    writers: Writers = {}
    for event in arrived:
        record(writers, event, key(event), POLICY)
    last = recorded(len(arrived) + 1, *late)
    fold_in(state, writers, last, key(last), POLICY)
    in_order = fold(sorted([*arrived, last], key=key), policy=POLICY)
    assert render_state(state, RENDER_AT, POLICY) == render_state(in_order, RENDER_AT, POLICY)


money = st.fixed_dictionaries(
    {
        "investor": st.sampled_from(["Microsoft", "A|B"]),
        "party": st.sampled_from(["OpenAI", "x"]),
        "kind": st.sampled_from(["cloud compute", "power"]),
        "amount": st.sampled_from(["1", "250.5", "1000000"]),
        "currency": st.sampled_from(["USD", "EUR"]),
        "status": st.sampled_from(["committed", "paid"]),
    }
)


@settings(max_examples=200, deadline=None)
@given(
    event_type=st.sampled_from(["InvestmentMade", "CommitmentMade"]),
    day=days,
    variation=money,
    confidence=st.sampled_from(["rumored", "reported", "confirmed"]),
)
def test_what_money_sets_is_what_folding_it_into_nothing_finds(
    event_type, day, variation, confidence
):
    event = recorded(1, event_type, day, variation)
    event = dataclasses.replace(event, confidence=confidence)
    assert written(event, POLICY) == written_by_folding(event, POLICY)


def test_what_money_sets_with_a_rate_or_a_range_is_what_folding_finds():
    for event_type, data in (
        (
            "CommitmentMade",
            {
                "party": "OpenAI",
                "kind": "power",
                "term": "10 years",
                "amount": {"kind": "exact", "value": "6", "unit": "GW", "per": "year"},
            },
        ),
        (
            "InvestmentMade",
            {
                "investor": "Microsoft",
                "instrument": "equity",
                "status": "paid",
                "amount": {"kind": "range", "low": "1", "high": "2", "unit": "USD"},
            },
        ),
        (
            "InvestmentMade",
            {
                "investor": "Microsoft",
                "instrument": "equity",
                "status": "paid",
                "amount": {"kind": "undisclosed", "unit": "USD"},
            },
        ),
    ):
        made = parse_event(
            {
                "type": event_type,
                "occurred_on": "2023-02",
                "summary": "s",
                "confidence": "reported",
                "data": data,
            }
        )
        event = dataclasses.replace(
            recorded(1, "TrustSignal", "2023-02", {}), type=made.type, data=made.data
        )
        assert written(event, POLICY) == written_by_folding(event, POLICY)
