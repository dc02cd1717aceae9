"""The event store: an `eventsourcing` application holding one stream per partnership."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application

from events.dates import PartialDate
from events.envelope import RecordedEvent
from service.stream import Partnership


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
        "AGGREGATE_CACHE_FASTFORWARD": "n",  # see PactlogService._load
    }


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
