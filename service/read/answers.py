"""What reads answer: typed, each citing the cut of the log it reflects (`Knowledge`).

The figures inside (a rendered state, a timeline's events) are plain JSON-ready data; the
shapes around them are these classes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from events.envelope import RecordedEvent
from service.steps import Step


@dataclass(frozen=True)
class Knowledge:
    """Which cut of a stream a read reflects: its version and log position, and the two
    cut-offs asked for."""

    version: int
    position: int
    as_of: date | None
    known_at: datetime | None


@dataclass(frozen=True)
class Uncounted:
    """An event with a partial date whose period has begun by `as_of` but not ended."""

    id: str
    type: str
    occurred_on: str
    counts_from: str


@dataclass(frozen=True)
class StateAnswer:
    partnership: str
    knowledge: Knowledge
    state: dict[str, Any]
    not_yet_counted: list[Uncounted] = field(default_factory=list)


@dataclass(frozen=True)
class TrustAnswer:
    """The score, and one page of the contributions that make it: events in valid-time order,
    then (on the last page) the open disputes. `cursor` resumes after this page (None: it was
    the last)."""

    partnership: str
    knowledge: Knowledge
    trust: dict[str, Any]
    contributions: list[dict[str, Any]]
    cursor: str | None = None


@dataclass(frozen=True)
class TrustStream:
    """The score and every contribution, read page by page as `contributions` is iterated."""

    partnership: str
    knowledge: Knowledge
    trust: dict[str, Any]
    contributions: Iterator[dict[str, Any]]


@dataclass(frozen=True)
class Timeline:
    """Events in valid-time order; `cursor` resumes after the last (None: no more)."""

    partnership: str
    knowledge: Knowledge
    events: list[dict[str, Any]]
    cursor: str | None


@dataclass(frozen=True)
class DiffAnswer:
    partnership: str
    knowledge: Knowledge
    start: date
    end: date
    before: dict[str, Any]
    after: dict[str, Any]
    trust_change: float
    events: list[dict[str, Any]]


@dataclass(frozen=True)
class EventRecord:
    """One event as recorded, what amends it, and how it reads now."""

    partnership: str
    knowledge: Knowledge
    event: RecordedEvent
    amendments: list[RecordedEvent]
    retracted: bool
    current: dict[str, Any] | None


@dataclass(frozen=True)
class Headlines:
    """The headline figures at each of some points (`{at, name, trust, invested, …}`)."""

    partnership: str
    knowledge: Knowledge
    points: list[dict[str, Any]]


@dataclass(frozen=True)
class Window:
    """The first and last day a series covers."""

    start: date
    end: date


@dataclass(frozen=True)
class Series:
    """One metric at each step from `start` to `end`: `{at, value}` records."""

    partnership: str
    knowledge: Knowledge
    metric: str
    step: Step
    start: date
    end: date
    points: list[dict[str, Any]]

    @property
    def currencies(self) -> list[str]:
        found: set[str] = set()
        for point in self.points:
            if isinstance(point["value"], dict):
                found |= set(point["value"])
        return sorted(found)


@dataclass(frozen=True)
class PartnershipSummary:
    """A partnership's headline figures now."""

    slug: str
    version: int
    position: int
    name: str | None
    parties: list[str]
    events: int
    trust: float
    open_disputes: int
    open_risks: int
    invested: dict[str, Any]


@dataclass(frozen=True)
class Investments:
    """Investments across partnerships (per investor and currency), and per partnership."""

    position: int
    as_of: date | None
    known_at: datetime | None
    by_investor: list[dict[str, Any]]
    totals: dict[str, Any]
    by_partnership: dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Dispute:
    """One dispute of one partnership, open or resolved, as `render_disputes` describes it."""

    partnership: str
    status: str
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"partnership": self.partnership, "status": self.status, **self.detail}


@dataclass(frozen=True)
class Disputes:
    position: int
    as_of: date | None
    known_at: datetime | None
    disputes: list[Dispute]
