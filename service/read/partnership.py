"""Queries on one partnership: its state, trust, timeline, a diff, one event with its amendments.
All fold with the view's trust policy, bitemporally (`as_of`, `known_at`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from events.dates import PartialDate
from events.envelope import RecordedEvent
from events.errors import EventNotFound
from service.projections.state import render_state
from service.projections.trust import render_trust, trust_contributions
from service.read.answers import (
    DiffAnswer,
    EventRecord,
    StateAnswer,
    Timeline,
    TrustAnswer,
    Uncounted,
)
from service.read.cut import Cuts
from service.write.store import to_recorded

ONE_DAY = timedelta(days=1)


class PartnershipReads:
    def __init__(self, cuts: Cuts, clock: Callable[[], datetime]) -> None:
        self.cuts = cuts
        self.view = cuts.view
        self.streams = cuts.streams
        self.clock = clock

    def _render_date(self, as_of: date | None) -> date:
        return as_of or self.clock().date()

    def state(self, slug: str, as_of: date | None, known_at: datetime | None) -> StateAnswer:
        knowledge, state = self.cuts.read(slug, as_of, known_at)
        pending = (
            self.view.not_yet_counted(slug, knowledge.version, as_of) if as_of is not None else []
        )
        return StateAnswer(
            slug,
            knowledge,
            render_state(state, self._render_date(as_of), self.view.policy),
            [
                Uncounted(
                    body["id"],
                    body["type"],
                    body["occurred_on"],
                    PartialDate.parse(body["occurred_on"]).end.isoformat(),
                )
                for body in pending
            ],
        )

    def trust(self, slug: str, as_of: date | None, known_at: datetime | None) -> TrustAnswer:
        knowledge, state = self.cuts.read(slug, as_of, known_at)
        at, policy = self._render_date(as_of), self.view.policy
        events = [
            RecordedEvent.from_dict(row.body)
            for row in self.view.timeline(slug, knowledge.version, end=as_of)
        ]
        return TrustAnswer(
            slug,
            knowledge,
            render_trust(state["trust"], state["dispute"], at, policy),
            trust_contributions(events, state["dispute"], at, policy),
        )

    def timeline(
        self,
        slug: str,
        *,
        as_of: date | None,
        known_at: datetime | None,
        types: Sequence[str],
        start: date | None,
        end: date | None,
        min_confidence: str | None,
        after: str,
        limit: int,
    ) -> Timeline:
        knowledge = self.cuts.knowledge(slug, as_of, known_at)
        last = min((day for day in (as_of, end) if day is not None), default=None)
        rows = self.view.timeline(
            slug,
            knowledge.version,
            start=start,
            end=last,
            after=after,
            types=types,
            min_confidence=min_confidence,
            limit=limit + 1,
        )
        page = rows[:limit]
        cursor = page[-1].cursor if len(rows) > limit else None
        return Timeline(slug, knowledge, [row.body for row in page], cursor)

    def diff(self, slug: str, start: date, end: date, known_at: datetime | None) -> DiffAnswer:
        before = self.state(slug, start, known_at)
        after = self.state(slug, end, known_at)
        page = self.timeline(
            slug, as_of=None, known_at=known_at, types=(), start=start + ONE_DAY, end=end,
            min_confidence=None, after="", limit=10_000,
        )  # fmt: skip
        return DiffAnswer(
            slug,
            after.knowledge,
            start,
            end,
            before.state,
            after.state,
            round(after.state["trust"]["score"] - before.state["trust"]["score"], 1),
            page.events,
        )

    def event(self, slug: str, event_id: str) -> EventRecord:
        knowledge = self.cuts.knowledge(slug, None, None)
        entry = self.streams.index.find_events([event_id]).get(event_id)
        if entry is None or entry.partnership != slug:
            raise EventNotFound(event_id)
        recorded = to_recorded(self.streams.event_at(slug, entry.version), entry.position)
        amendments = [
            to_recorded(self.streams.event_at(slug, a.version), a.position)
            for a in self.streams.index.find_amendments(event_id)
        ]
        return EventRecord(
            slug,
            knowledge,
            recorded,
            amendments,
            any(a.type == "EventRetracted" for a in amendments),
            self.streams.current_content(event_id),
        )
