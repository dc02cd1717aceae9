"""Trust "what if": the same events folded with another policy, beside the stored answer.

Nothing stored is touched: the view's rows for the cut (`as_of`, `known_at`) are read as any
timeline read does, and folded from scratch with the alternative policy (its checkpoints and
current state were folded with the service's policy, so they cannot serve). The answer holds
both scores and the contributions that differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from events.envelope import RecordedEvent
from service.policies import NamedPolicy
from service.projections.state import apply_event, empty_state, fold, headline
from service.projections.trust import render_trust, trust_contributions
from service.read.answers import Knowledge, TrustAnswer
from service.read.cut import Cuts
from service.read.partnership import PartnershipReads
from service.read.series import pick


@dataclass(frozen=True)
class WhatIf:
    """The stored trust answer, and the same cut folded with `policy`."""

    stored: TrustAnswer
    policy: str
    trust: dict[str, Any]
    contributions: list[dict[str, Any]]

    @property
    def knowledge(self) -> Knowledge:
        return self.stored.knowledge

    @property
    def differing(self) -> list[dict[str, Any]]:
        """Each contribution whose value is not the same under both policies (or that only
        one of them has): `{kind, id, type?, summary?, stored, alternative}`."""
        stored = {_key(c): c for c in self.stored.contributions}
        other = {_key(c): c for c in self.contributions}
        found: list[dict[str, Any]] = []
        keys: dict[tuple[str, str], None] = dict.fromkeys([*stored, *other])
        for key in keys:
            before, after = stored.get(key), other.get(key)
            old = before["contribution"] if before else 0.0
            new = after["contribution"] if after else 0.0
            if old != new:
                detail: dict[str, Any] = after or before or {}
                found.append(
                    {
                        "kind": key[0],
                        "id": key[1],
                        **{k: detail[k] for k in ("type", "occurred_on", "summary") if k in detail},
                        "stored": old,
                        "alternative": new,
                        "change": round(new - old, 4),
                    }
                )
        return found


def _key(contribution: dict[str, Any]) -> tuple[str, str]:
    kind = contribution["kind"]
    return kind, contribution["event_id"] if kind == "event" else contribution["dispute_id"]


class WhatIfReads:
    def __init__(
        self, cuts: Cuts, partnership: PartnershipReads, clock: Callable[[], datetime]
    ) -> None:
        self.cuts = cuts
        self.view = cuts.view
        self.partnership = partnership
        self.clock = clock

    def _events(self, slug: str, version: int, end: date | None) -> list[RecordedEvent]:
        return [
            RecordedEvent.from_dict(row.body) for row in self.view.timeline(slug, version, end=end)
        ]

    def trust(
        self, slug: str, policy: NamedPolicy, as_of: date | None, known_at: datetime | None
    ) -> WhatIf:
        every = self.partnership.trust_stream(slug, as_of, known_at)
        stored = TrustAnswer(
            slug, every.knowledge, every.trust, list(every.contributions), cursor=None
        )
        events = self._events(slug, stored.knowledge.version, as_of)
        state = fold(events, policy=policy.policy)
        at = as_of or self.clock().date()
        return WhatIf(
            stored,
            policy.name,
            render_trust(state["trust"], state["dispute"], at, policy.policy),
            trust_contributions(events, state["dispute"], at, policy.policy),
        )

    def headlines(
        self, slug: str, policy: NamedPolicy, points: Sequence[date], knowledge: Knowledge
    ) -> list[dict[str, Any]]:
        """The headline figures at each of `points` (ascending) under `policy`, at the cut
        `knowledge` (one pass, from the first event)."""
        if not points:
            return []
        events = self._events(slug, knowledge.version, points[-1])
        state, index, answers = empty_state(), 0, []
        for point in points:
            while index < len(events) and events[index].occurred_on.end <= point:
                apply_event(state, events[index], policy.policy)
                index += 1
            answers.append({"at": point.isoformat(), **headline(state, point, policy.policy)})
        return answers

    def metric(
        self,
        slug: str,
        metric: str,
        policy: NamedPolicy,
        points: Sequence[date],
        knowledge: Knowledge,
    ) -> list[dict[str, Any]]:
        return pick(metric, self.headlines(slug, policy, points, knowledge))
