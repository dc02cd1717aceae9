"""docs/trust-policy.md's worked example, computed: the default policy and a what-if."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from events.dates import PartialDate
from events.envelope import RecordedEvent, parse_event
from service.policies import check_policy
from service.projections.policy import default_policy
from service.projections.state import fold
from service.projections.trust import render_trust, trust_contributions

AT = date(2024, 1, 1)


def _event(version: int, kind: str, on: str, confidence: str, **data: Any) -> RecordedEvent:
    draft = parse_event(
        {"type": kind, "occurred_on": on, "summary": kind, "confidence": confidence, "data": data}
    )  # the data in its canonical, stored form
    return RecordedEvent(
        id=f"e{version}", type=kind, partnership="a-b", occurred_on=PartialDate.parse(on),
        summary=kind, sources=[], confidence=confidence, data=draft.data, version=version,
        position=version, recorded_at=datetime(2026, 1, 1, tzinfo=UTC), hash="",
    )  # fmt: skip


EVENTS = [
    _event(1, "PartnershipFormed", "2023-01-01", "confirmed", name="A–B", parties=["A", "B"]),
    _event(2, "InvestmentMade", "2023-03", "reported", investor="A", amount="100",
           currency="USD", instrument="equity", status="paid"),
    _event(3, "DisputeOpened", "2023-07-01", "confirmed", dispute_id="d", topic="t",
           raised_by="A", severity=3),
    _event(4, "LeadershipChanged", "2023-09-15", "rumored", person="P", role="CEO",
           organization="B", change="removed"),
]  # fmt: skip


def test_the_worked_example_scores_as_the_document_says() -> None:
    policy = default_policy()
    state = fold(EVENTS, policy=policy)
    trust = render_trust(state["trust"], state["dispute"], AT, policy)
    assert (trust["score"], trust["from_events"], trust["from_open_disputes"]) == (47.3, 3.27, -6.0)
    parts = [c["contribution"] for c in trust_contributions(EVENTS, state["dispute"], AT, policy)]
    assert parts == [5.0, 2.0134, -2.1153, -1.6291, -6.0]


def test_the_harsh_what_if_scores_as_the_document_says() -> None:
    harsh = check_policy(
        {"effects": {"DisputeOpened": -20.0}, "open_dispute": {"per_severity": -6.0}}
    )
    state = fold(EVENTS, policy=harsh)
    assert render_trust(state["trust"], state["dispute"], AT, harsh)["score"] == 23.3
    parts = [c["contribution"] for c in trust_contributions(EVENTS, state["dispute"], AT, harsh)]
    assert parts == [5.0, 2.0134, -14.1019, -1.6291, -18.0]
