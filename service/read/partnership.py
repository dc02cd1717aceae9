"""Queries on one partnership: its state, trust, timeline, a diff, one event with its amendments.
All fold with the view's trust policy, bitemporally (`as_of`, `known_at`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from events.dates import PartialDate
from events.envelope import RecordedEvent
from events.errors import EventNotFound
from service.projections.state import render_state
from service.projections.trust import dispute_contributions, event_contribution, render_trust
from service.read.answers import (
    DiffAnswer,
    EventRecord,
    StateAnswer,
    Timeline,
    TrustAnswer,
    TrustStream,
    Uncounted,
)
from service.read.cut import Cuts
from service.read.search import search_terms
from service.write.store import to_recorded

ONE_DAY = timedelta(days=1)
TRUST_PAGE = 100  # contributions per page of GET …/trust
_ROWS_READ = 1000  # timeline rows read at once while listing contributions


class PartnershipReads:
    def __init__(self, cuts: Cuts, clock: Callable[[], datetime]) -> None:
        self.cuts = cuts
        self.view = cuts.view
        self.streams = cuts.streams
        self.clock = clock

    def _render_date(self, as_of: date | None) -> date:
        return as_of or self.clock().date()

    def state(
        self,
        slug: str,
        as_of: date | None,
        known_at: datetime | None,
        min_confidence: str | None = None,
    ) -> StateAnswer:
        knowledge, state = self.cuts.read(slug, as_of, known_at)
        pending = (
            self.view.not_yet_counted(slug, knowledge.version, as_of) if as_of is not None else []
        )
        return StateAnswer(
            slug,
            knowledge,
            render_state(state, self._render_date(as_of), self.view.policy, min_confidence),
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

    def trust(
        self,
        slug: str,
        as_of: date | None,
        known_at: datetime | None,
        *,
        after: str = "",
        limit: int = TRUST_PAGE,
    ) -> TrustAnswer:
        """The score and one page of its contributions (at most `limit`, after the cursor
        `after`): the answer's size and the work behind it are bounded by the page, not by the
        partnership's history."""
        knowledge, state = self.cuts.read(slug, as_of, known_at)
        at, policy = self._render_date(as_of), self.view.policy
        page: list[dict[str, Any]] = []
        cursor: str | None = None
        for found, resume in self._event_contributions(slug, knowledge.version, as_of, at, after):
            if len(page) == limit:
                cursor = resume
                break
            page.append(found)
        if cursor is None:
            page += dispute_contributions(state["dispute"], policy)
        return TrustAnswer(
            slug,
            knowledge,
            render_trust(state["trust"], state["dispute"], at, policy),
            page,
            cursor,
        )

    def trust_stream(self, slug: str, as_of: date | None, known_at: datetime | None) -> TrustStream:
        """The score and every contribution, read lazily page by page (memory bounded by a
        page, whatever the history's length)."""
        knowledge, state = self.cuts.read(slug, as_of, known_at)
        at, policy = self._render_date(as_of), self.view.policy

        def every() -> Iterator[dict[str, Any]]:
            for found, _ in self._event_contributions(slug, knowledge.version, as_of, at, ""):
                yield found
            yield from dispute_contributions(state["dispute"], policy)

        return TrustStream(
            slug, knowledge, render_trust(state["trust"], state["dispute"], at, policy), every()
        )

    def _event_contributions(
        self, slug: str, version: int, as_of: date | None, at: date, after: str
    ) -> Iterator[tuple[dict[str, Any], str]]:
        """Each event's contribution in valid-time order after the cursor `after`, with the
        cursor that resumes before it (so a page can end just before the next one)."""
        policy = self.view.policy
        resume = after
        while True:
            rows = self.view.timeline(slug, version, end=as_of, after=resume, limit=_ROWS_READ)
            for row in rows:
                found = event_contribution(RecordedEvent.from_dict(row.body), at, policy)
                if found is not None:
                    yield found, resume
                resume = row.cursor
            if len(rows) < _ROWS_READ:
                return

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
        text: str | None = None,
    ) -> Timeline:
        terms = search_terms(text) if text is not None else []
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
            terms=terms,
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
