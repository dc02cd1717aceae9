"""The partnership's state: one accumulator that every projection folds into.

`apply_event` folds one effective event (corrections already applied, retractions already
removed) in valid-time order. The accumulator is plain JSON-ready data, so the view can store it
as the current state and as checkpoints. `render_state` turns it into the answer for a date.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import date
from typing import Any

from events.catalog import ENTITY_ACTIONS
from events.envelope import RecordedEvent
from service.projections.entities import (
    apply_entity,
    is_open,
    render_agreements,
    render_disputes,
    render_reviews,
    render_risks,
)
from service.projections.investments import (
    apply_investment,
    investment_levels,
    investment_totals,
    render_commitments,
    render_investments,
    render_levels,
)
from service.projections.policy import TrustPolicy, default_policy
from service.projections.trust import (
    apply_trust,
    open_dispute_weights,
    render_trust,
    trust_score,
)

State = dict[str, Any]


def empty_state() -> State:
    return {
        "name": None,
        "parties": [],
        "formed_on": None,
        "events": 0,
        "last_occurred_on": None,
        "investments": {},
        "commitments": {},
        "dispute": {},
        "risk": {},
        "review": {},
        "agreement": {},
        "trust": {"weighted": 0.0, "events": 0},
    }


def apply_event(state: State, event: RecordedEvent, policy: TrustPolicy | None = None) -> None:
    """Fold one event into `state` (in place: callers own their accumulator, see `fold`)."""
    policy = policy or default_policy()
    state["events"] += 1
    state["last_occurred_on"] = str(event.occurred_on)
    if event.type == "PartnershipFormed":
        state["name"] = event.data["name"]
        state["parties"] = list(event.data["parties"])
        state["formed_on"] = str(event.occurred_on)
    elif event.type in ("InvestmentMade", "CommitmentMade"):
        apply_investment(state["investments"], state["commitments"], event)
    elif event.type in ENTITY_ACTIONS:
        apply_entity(state, event)
    apply_trust(state["trust"], event, policy)


def fold(
    events: Iterable[RecordedEvent],
    start: State | None = None,
    policy: TrustPolicy | None = None,
) -> State:
    """The state after `events` (in valid-time order), from `start` or from nothing."""
    state = copy.deepcopy(start) if start is not None else empty_state()
    for event in events:
        apply_event(state, event, policy)
    return state


def formation(state: State, at: date) -> dict[str, Any]:
    """Whether the partnership was formed by `at`: a state before its formation says so
    (instead of an empty name and parties)."""
    if state["name"] is not None:
        return {"formed": True, "formed_on": state.get("formed_on")}
    return {
        "formed": False,
        "formed_on": None,
        "note": f"The partnership was not yet formed on {at.isoformat()}.",
    }


def render_state(
    state: State,
    at: date,
    policy: TrustPolicy | None = None,
    min_confidence: str | None = None,
) -> dict[str, Any]:
    """The read model of `state`, with ages and the trust level computed at `at`; investment
    figures below `min_confidence` are left out of the totals."""
    policy = policy or default_policy()
    return {
        "name": state["name"],
        "parties": state["parties"],
        **formation(state, at),
        "events": state["events"],
        "last_occurred_on": state["last_occurred_on"],
        "investments": {
            "by_investor": render_investments(state["investments"], min_confidence),
            "totals": investment_totals(state["investments"], min_confidence),
            "commitments": render_commitments(state["commitments"], min_confidence),
            "min_confidence": min_confidence,
        },
        "trust": render_trust(state["trust"], state["dispute"], at, policy),
        "disputes": render_disputes(state["dispute"], at),
        "risks": render_risks(state["risk"]),
        "regulatory_reviews": render_reviews(state["review"]),
        "agreements": render_agreements(state.get("agreement", {})),
    }


def summarize(state: State, policy: TrustPolicy | None = None) -> dict[str, Any]:
    """What a headline needs of `state`, small enough to keep one per day (the view does)."""
    policy = policy or default_policy()
    return {
        "name": state["name"],
        "parties": state["parties"],
        "events": state["events"],
        "weighted": state["trust"]["weighted"],
        "disputes_weight": sum(w for _, w in open_dispute_weights(state["dispute"], policy)),
        "open_disputes": sum(1 for d in state["dispute"].values() if is_open(d)),
        "open_risks": sum(1 for r in state["risk"].values() if is_open(r)),
        "invested": investment_levels(state["investments"]),
    }


def headline_of(
    summary: dict[str, Any],
    at: date,
    policy: TrustPolicy | None = None,
    min_confidence: str | None = None,
) -> dict[str, Any]:
    """The headline figures at `at` from a `summarize`d state."""
    policy = policy or default_policy()
    return {
        "name": summary["name"],
        "parties": summary["parties"],
        "events": summary["events"],
        "trust": trust_score(summary["weighted"], summary["disputes_weight"], at, policy),
        "open_disputes": summary["open_disputes"],
        "open_risks": summary["open_risks"],
        "invested": render_levels(summary["invested"], min_confidence),
    }


def headline(
    state: State,
    at: date,
    policy: TrustPolicy | None = None,
    min_confidence: str | None = None,
) -> dict[str, Any]:
    """The few figures a list of partnerships (or a series' point) shows."""
    return headline_of(summarize(state, policy), at, policy, min_confidence)
