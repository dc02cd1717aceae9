"""The event store: an `eventsourcing` application holding one stream per partnership, and
`Streams`, what both sides read of it (aggregates, single events, the global log)."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import (
    IntegrityError,
    InternalError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)

from events.dates import PartialDate
from events.envelope import RecordedEvent
from events.errors import EventNotFound
from events.rules import amend
from service.write.locks import stream_locks
from service.write.recorders import IndexedRecorder
from service.write.stream import Partnership, stream_id

T = TypeVar("T")


def project_partnership(aggregate: Partnership | None, events: Iterable[Any]) -> Partnership | None:
    """The library's `project_aggregate` without its per-event protocol check (a hot path
    when snapshots are taken)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class PactlogApplication(Application[UUID]):
    name = "Pactlog"
    # Snapshots bound the cost of loading a stream that is not in the cache.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Partnership: 500}
    snapshotting_projectors: ClassVar[dict[type[Any], Any]] = {Partnership: project_partnership}
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "1000",
        "AGGREGATE_CACHE_FASTFORWARD": "n",  # see Streams.load
    }

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """A snapshot of each saved stream whose new events reached a multiple of its interval,
        taken of the aggregate just saved, at its version (the library's reads the stream back
        from its previous snapshot up to the multiple: a large batch paid for that read)."""
        if self.snapshots is None:
            return
        first: dict[UUID, int] = {}
        for event in processing_event.events:
            first.setdefault(event.originator_id, event.originator_version)
        for aggregate_id, aggregate in processing_event.aggregates.items():
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval is None or aggregate_id not in first:
                continue
            last = int(aggregate.version)
            if last // interval > (first[aggregate_id] - 1) // interval:
                snapshot_class: Any = getattr(type(aggregate), "Snapshot", self.snapshot_class)
                self.snapshots.put([snapshot_class.take(aggregate)])


def to_recorded(event: Any, position: int) -> RecordedEvent:
    """A stored domain event as pactlog's `RecordedEvent`."""
    return RecordedEvent(
        id=event.event_id,
        type=event.type,
        partnership=event.partnership,
        occurred_on=PartialDate.parse(event.occurred_on),
        summary=event.summary,
        sources=event.sources,
        confidence=event.confidence,
        data=event.data,
        version=event.originator_version,
        position=position,
        recorded_at=event.timestamp,
        hash=event.hash,
    )


def racing_schema_creation(build: Callable[[], T], attempts: int = 8) -> T:
    """Build `T`, whose construction creates tables if missing: processes starting together
    (gunicorn workers, the projector) race on PostgreSQL's catalog or SQLite's write lock, and
    the loser tries again.
    A database that cannot be reached at all is not a race: that fails at once (a 503)."""
    for attempt in range(attempts):
        try:
            return build()
        except (InternalError, IntegrityError, OperationalError, ProgrammingError) as error:
            # PostgreSQL answered (a race on its catalog), or SQLite was busy with another
            # process's write (its "database is locked" carries no SQLSTATE).
            answered = getattr(error.__cause__, "sqlstate", None) is not None or (
                "database is locked" in str(error)
            )
            if attempt == attempts - 1 or not answered:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


class Streams:
    """The event store as both sides use it: streams, single events, the global log."""

    def __init__(self, app: PactlogApplication) -> None:
        self.app = app
        self.locks = stream_locks(app)

    def close(self) -> None:
        self.locks.close()

    def cached_versions(self, slugs: Iterable[str]) -> dict[str, int | None]:
        """The version of each stream's cached copy (None: not cached)."""
        cache = self.app.repository.cache
        versions: dict[str, int | None] = {}
        for slug in slugs:
            try:
                versions[slug] = None if cache is None else int(cache.get(stream_id(slug)).version)
            except KeyError:
                versions[slug] = None
        return versions

    def catch_up(self, slug: str, missed: Sequence[StoredEvent]) -> None:
        """Apply to the cached copy of the stream the events stored since its version (read
        under the stream's lock). A copy another thread moved meanwhile skips what it has; one
        that does not line up is brought up to date from the store."""
        if not missed:
            return
        aggregate: Partnership = self.app.repository.get(stream_id(slug))  # a copy
        for stored in missed:
            if stored.originator_version <= aggregate.version:
                continue
            if stored.originator_version != aggregate.version + 1:
                self.load(slug, fresh=True)
                return
            self.app.mapper.to_domain_event(stored).mutate(aggregate)  # type: ignore[attr-defined]
        if self.app.repository.cache is not None:
            self.app.repository.cache.put(stream_id(slug), aggregate)

    @property
    def index(self) -> IndexedRecorder:
        recorder = self.app.recorder
        assert isinstance(recorder, IndexedRecorder)
        return recorder

    def load(self, slug: str, *, fresh: bool) -> Partnership:
        """The stream's aggregate, from the cache; `fresh` brings it up to date first.

        The cache is not fast-forwarded on every append (a round trip each): a stream moved by
        another process shows as a conflict at save time, and the retry asks for `fresh`,
        which reads only the events recorded since the cached version.
        """
        aggregate: Partnership = self.app.repository.get(stream_id(slug))
        if fresh:
            news: list[Any] = list(self.app.events.get(stream_id(slug), gt=aggregate.version))
            for event in news:
                event.mutate(aggregate)
            if self.app.repository.cache is not None:
                self.app.repository.cache.put(stream_id(slug), copy.deepcopy(aggregate))
        return aggregate

    def version(self, slug: str) -> int:
        """The stream's version as stored now (0: no such stream)."""
        try:
            return int(self.load(slug, fresh=True).version)
        except AggregateNotFoundError:
            return 0

    def exists(self, slug: str) -> bool:
        return bool(self.app.recorder.select_events(stream_id(slug), limit=1))

    def event_at(self, slug: str, version: int) -> Any:
        events = list(self.app.events.get(stream_id(slug), gt=version - 1, lte=version))
        if not events:
            raise EventNotFound(f"{slug}@{version}")
        return events[0]

    def current_content(self, event_id: str) -> dict[str, Any] | None:
        """An event's content with every correction and attached source recorded so far."""
        entry = self.index.find_events([event_id]).get(event_id)
        if entry is None:
            return None
        content: dict[str, Any] = self.event_at(entry.partnership, entry.version).content_now()
        for amendment in self.index.find_amendments(event_id):
            event = self.event_at(amendment.partnership, amendment.version)
            if event.type != "EventRetracted":
                content = amend(content, event.type, event.data)
        return content

    def log(self, after: int | None = None, limit: int = 100) -> list[RecordedEvent]:
        """The global log in position order, strictly after `after`."""
        notifications = self.app.recorder.select_notifications(
            start=after or 0, limit=limit, inclusive_of_start=False
        )
        return [to_recorded(self.app.mapper.to_domain_event(n), n.id) for n in notifications]

    def last_position(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)
