"""Time series: headline figures at many points, in one pass, and one metric picked from them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from events.dates import PartialDate
from events.envelope import RecordedEvent
from service.projections.state import apply_event, empty_state, headline, headline_of, summarize
from service.read.answers import Headlines, Series, Window
from service.read.cut import Cuts
from service.read.partnership import PartnershipReads
from service.steps import Step, steps
from service.view.tables import Current

METRICS = ("trust", "invested", "open_disputes", "open_risks", "events")
ZERO_INVESTED: dict[str, Any] = {
    "firm": "0",
    "contingent": "0",
    "paid": "0",
    "total": "0",
    "low": "0",
    "high": "0",
    "undisclosed": 0,
}


class SeriesReads:
    def __init__(
        self, cuts: Cuts, partnership: PartnershipReads, clock: Callable[[], datetime]
    ) -> None:
        self.cuts = cuts
        self.view = cuts.view
        self.partnership = partnership
        self.clock = clock

    def headlines(
        self,
        slug: str,
        points: Sequence[date],
        known_at: datetime | None,
        min_confidence: str | None = None,
    ) -> Headlines:
        """The headline figures at each of `points` (ascending), in one pass over the events;
        investment figures below `min_confidence` left out."""
        self.cuts.fresh()
        current = self.view.current(slug)
        knowledge = self.cuts.cut(slug, None, known_at, current)
        if not points:
            return Headlines(slug, knowledge, [])
        if current is None or current.version != knowledge.version:
            return Headlines(
                slug,
                knowledge,
                self._folded(slug, knowledge.version, points, min_confidence),
            )
        answers = self._from_days(slug, current, points, min_confidence)
        missing = [point for point, answer in zip(points, answers, strict=True) if answer is None]
        if missing:  # the days out-of-order events made stale: fold over them
            folded = iter(self._folded(slug, knowledge.version, missing, min_confidence))
            answers = [answer or next(folded) for answer in answers]
        return Headlines(slug, knowledge, [answer for answer in answers if answer is not None])

    def _folded(
        self,
        slug: str,
        version: int,
        points: Sequence[date],
        min_confidence: str | None = None,
    ) -> list[dict[str, Any]]:
        """The headlines at `points` as known at `version`, folded from a checkpoint."""
        policy = self.view.policy
        state, rows = self.view.fold_from(slug, version, points[0], points[-1])
        answers: list[dict[str, Any]] = []
        index = 0
        for point in points:
            while index < len(rows) and PartialDate.parse(rows[index]["occurred_on"]).end <= point:
                apply_event(state, RecordedEvent.from_dict(rows[index]), policy)
                index += 1
            answers.append(
                {"at": point.isoformat(), **headline(state, point, policy, min_confidence)}
            )
        return answers

    def _from_days(
        self,
        slug: str,
        current: Current,
        points: Sequence[date],
        min_confidence: str | None = None,
    ) -> list[dict[str, Any] | None]:
        """What the view knows now, from its daily summaries: no fold at all; None for the
        points whose day the summaries do not cover (see `Current.gap_from`)."""
        policy = self.view.policy
        days = self.view.day_summaries(slug, current.version, points[0], points[-1])
        now, last_day = summarize(current.state, policy), self.view.last_day(current)
        empty = summarize(empty_state(), policy)
        answers: list[dict[str, Any] | None] = []
        latest: tuple[str, dict[str, Any]] = ("", empty)
        index = 0
        for point in points:
            day = point.isoformat()
            while index < len(days) and days[index][0] <= day:
                latest = days[index]
                index += 1
            if last_day and last_day <= day:
                summary: dict[str, Any] | None = now
            elif not current.gap_from or day < current.gap_from or latest[0] >= current.gap_to:
                summary = latest[1]
            else:
                summary = None
            answers.append(
                None
                if summary is None
                else {"at": day, **headline_of(summary, point, policy, min_confidence)}
            )
        return answers

    def window(
        self,
        slug: str,
        start: date | None,
        end: date | None,
        as_of: date | None,
        known_at: datetime | None,
    ) -> Window:
        """The first and last day a series covers: from the partnership's first event (its
        formation: nothing before it has a state) to the cut, `end`, `as_of` or today, whichever
        comes first (no point is projected into the future)."""
        today = self.clock().date()
        end = min(day for day in (end, as_of, today) if day is not None)
        first = self.partnership.timeline(
            slug, as_of=None, known_at=known_at, types=(), start=None, end=None,
            min_confidence=None, after="", limit=1,
        ).events  # fmt: skip
        formed = PartialDate.parse(first[0]["occurred_on"]).start if first else end
        start = max(start, formed) if start is not None else formed
        return Window(min(start, end), end)

    def stepped(
        self,
        slug: str,
        start: date,
        end: date,
        step: Step,
        known_at: datetime | None,
        min_confidence: str | None = None,
    ) -> Headlines:
        """Every headline figure at each step from `start` to `end` (`TooManyPoints` past the
        limit)."""
        return self.headlines(slug, steps(start, end, step), known_at, min_confidence)

    def metric(
        self,
        slug: str,
        metric: str,
        *,
        start: date | None,
        end: date | None,
        step: Step,
        as_of: date | None,
        known_at: datetime | None,
        min_confidence: str | None = None,
    ) -> Series:
        """One metric per step over the window (see `window`)."""
        window = self.window(slug, start, end, as_of, known_at)
        rows = self.stepped(slug, window.start, window.end, step, known_at, min_confidence)
        return Series(
            slug, rows.knowledge, metric, step, window.start, window.end, pick(metric, rows.points)
        )


def pick(metric: str, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One metric's `{at, value}` records from the headline rows (invested: every currency
    seen in the series at every point, "0" before its first investment; firm, contingent, paid,
    total = firm + paid, its low–high range across claims, the undisclosed count)."""
    if metric != "invested":
        return [{"at": row["at"], "value": row[metric]} for row in rows]
    currencies = sorted({code for row in rows for code in row["invested"]})
    zero = ZERO_INVESTED
    return [
        {"at": row["at"], "value": {c: dict(row["invested"].get(c, zero)) for c in currencies}}
        for row in rows
    ]
