"""The trust level: deterministic, explainable, fading toward the baseline (policy file).

Fading is exponential, so the faded sum factorises: the state keeps
`weighted = Σ effect · 2^((start − EPOCH) / half_life)` and the score at any date multiplies it
by `2^(−(at − EPOCH) / half_life)`. A checkpoint therefore serves every later date.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from typing import Any

from events.envelope import RecordedEvent
from service.projections.entities import is_open
from service.projections.policy import TrustPolicy

EPOCH = date(2000, 1, 1)


def _growth(day: date, policy: TrustPolicy) -> float:
    return float(2.0 ** ((day - EPOCH).days / policy.half_life_days))


def apply_trust(trust: dict[str, Any], event: RecordedEvent, policy: TrustPolicy) -> None:
    effect = policy.effect(event)
    if effect:
        trust["weighted"] += effect * _growth(event.occurred_on.start, policy)
        trust["events"] += 1


def open_dispute_weights(
    disputes: dict[str, dict[str, Any]], policy: TrustPolicy
) -> list[tuple[str, float]]:
    return [
        (
            entity["id"],
            policy.open_dispute_weight(int(entity.get("severity") or 0), entity["escalations"]),
        )
        for entity in sorted(disputes.values(), key=lambda e: e["id"])
        if is_open(entity)
    ]


def clamp_score(value: float) -> float:
    return round(min(100.0, max(0.0, value)), 1)


def faded(weighted: float, at: date, policy: TrustPolicy) -> float:
    """The folded effects (`weighted`) as they stand at `at`; computed in powers of two, so
    that any date (centuries ahead, or before every event) gives a number, never an overflow."""
    if not weighted:
        return 0.0
    power = math.log2(abs(weighted)) - (at - EPOCH).days / policy.half_life_days
    return math.copysign(2.0**power, weighted)


def trust_score(weighted: float, disputes_weight: float, at: date, policy: TrustPolicy) -> float:
    return clamp_score(policy.baseline + faded(weighted, at, policy) + disputes_weight)


def render_trust(
    trust: dict[str, Any], disputes: dict[str, dict[str, Any]], at: date, policy: TrustPolicy
) -> dict[str, Any]:
    from_events = faded(trust["weighted"], at, policy)
    disputes_weight = sum(weight for _, weight in open_dispute_weights(disputes, policy))
    return {
        "score": trust_score(trust["weighted"], disputes_weight, at, policy),
        "baseline": policy.baseline,
        "from_events": round(from_events, 2),
        "from_open_disputes": round(disputes_weight, 2),
        "at": at.isoformat(),
    }


def trust_contributions(
    events: Iterable[RecordedEvent],
    disputes: dict[str, dict[str, Any]],
    at: date,
    policy: TrustPolicy,
) -> list[dict[str, Any]]:
    """Every contribution to the score at `at`: each event's faded effect, each open dispute."""
    contributions = [
        found
        for found in (event_contribution(event, at, policy) for event in events)
        if found is not None
    ]
    return contributions + dispute_contributions(disputes, policy)


def event_contribution(
    event: RecordedEvent, at: date, policy: TrustPolicy
) -> dict[str, Any] | None:
    """One event's faded effect on the score at `at` (None: it has none)."""
    effect = policy.effect(event)
    if not effect:
        return None
    age = (at - event.occurred_on.start).days
    return {
        "kind": "event",
        "event_id": event.id,
        "type": event.type,
        "occurred_on": str(event.occurred_on),
        "summary": event.summary,
        "confidence": event.confidence,
        "effect": round(effect, 4),
        "age_days": age,
        "contribution": round(effect * 2.0 ** (-age / policy.half_life_days), 4),
    }


def dispute_contributions(
    disputes: dict[str, dict[str, Any]], policy: TrustPolicy
) -> list[dict[str, Any]]:
    """Each open dispute's weight on the score."""
    return [
        {"kind": "open_dispute", "dispute_id": dispute_id, "contribution": weight}
        for dispute_id, weight in open_dispute_weights(disputes, policy)
    ]
