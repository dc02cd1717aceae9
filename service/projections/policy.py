"""The trust policy, read from `service/trust_policy.toml` (documented there)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from events.envelope import RecordedEvent


@dataclass(frozen=True)
class TrustPolicy:
    baseline: float
    half_life_days: float
    trust_signal_scale: float
    confidence: dict[str, float]
    open_dispute_per_severity: float
    open_dispute_per_escalation: float
    effects: dict[str, Any]

    def effect(self, event: RecordedEvent) -> float:
        """The event's undiminished effect on trust, confidence included."""
        weight = self.confidence.get(event.confidence, 1.0)
        if event.type == "TrustSignal":
            return float(event.data["delta"]) * self.trust_signal_scale * weight
        rule = self.effects.get(event.type, 0.0)
        if isinstance(rule, dict):
            value = event.data.get(rule["by"])
            key = str(value).lower() if isinstance(value, bool) else str(value)
            return float(rule.get(key, 0.0)) * weight
        return float(rule) * weight

    def open_dispute_weight(self, severity: int, escalations: int) -> float:
        return (
            self.open_dispute_per_severity * severity
            + self.open_dispute_per_escalation * escalations
        )


def parse_policy(document: dict[str, Any]) -> TrustPolicy:
    return TrustPolicy(
        baseline=float(document["baseline"]),
        half_life_days=float(document["half_life_days"]),
        trust_signal_scale=float(document.get("trust_signal_scale", 1.0)),
        confidence={k: float(v) for k, v in document["confidence"].items()},
        open_dispute_per_severity=float(document["open_dispute"]["per_severity"]),
        open_dispute_per_escalation=float(document["open_dispute"]["per_escalation"]),
        effects=dict(document["effects"]),
    )


@cache
def default_policy() -> TrustPolicy:
    text = resources.files("service").joinpath("trust_policy.toml").read_text("utf-8")
    return parse_policy(tomllib.loads(text))


def service_policy() -> TrustPolicy:
    """The trust policy the service folds with, decided here and only here: the view's stored
    states (current, checkpoints, day summaries) and every read depend on it, so the API's
    processes and the projector must all use this one."""
    return default_policy()
