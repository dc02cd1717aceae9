"""The cut a read reflects: which stream version (by `known_at`) and which state (by `as_of`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from events.errors import PartnershipNotFound
from service.projections.state import State
from service.read.answers import Knowledge
from service.view import ViewReader
from service.view.tables import Current
from service.write.store import Streams


class Cuts:
    """Resolves (`as_of`, `known_at`) to a `Knowledge` and the state folded for it."""

    def __init__(self, view: ViewReader, streams: Streams, fresh: Callable[[], None]) -> None:
        self.view = view
        self.streams = streams
        self.fresh = fresh

    def knowledge(self, slug: str, as_of: date | None, known_at: datetime | None) -> Knowledge:
        """The stream version and position a read at (`as_of`, `known_at`) reflects."""
        self.fresh()
        return self.cut(slug, as_of, known_at, self.view.current(slug))

    def stamp(self, slug: str) -> tuple[int, int] | None:
        """What a read of `slug` depends on in the view, cheaply: its (version, position) now
        (after projecting what is pending, when this process projects). Equal stamps, equal
        answers to the same question on the same day (see `PactlogService.read_stamp`)."""
        self.fresh()
        return self.view.stamp(slug)

    def read(
        self, slug: str, as_of: date | None, known_at: datetime | None
    ) -> tuple[Knowledge, State]:
        """The cut a read reflects and the state folded for it, reading the current row once."""
        self.fresh()
        current = self.view.current(slug)
        knowledge = self.cut(slug, as_of, known_at, current)
        return knowledge, self.state(slug, knowledge, current)

    def cut(
        self, slug: str, as_of: date | None, known_at: datetime | None, current: Current | None
    ) -> Knowledge:
        if current is None:
            if not self.streams.exists(slug):
                raise PartnershipNotFound(slug)
            return Knowledge(0, 0, as_of, known_at)
        if known_at is None:
            return Knowledge(current.version, current.position, as_of, known_at)
        version, position = self.view.known_at(slug, known_at)
        return Knowledge(version, position, as_of, known_at)

    def state(self, slug: str, knowledge: Knowledge, current: Current | None) -> State:
        """The state for `knowledge`: the current row when it is the answer, else a fold."""
        if knowledge.as_of is None and current is not None and current.version == knowledge.version:
            return current.state
        return self.view.state_at(slug, knowledge.version, knowledge.as_of)
