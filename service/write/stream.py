"""The partnership stream: an `eventsourcing` aggregate whose events are pactlog's events.

One aggregate per partnership, its id derived from the slug. The aggregate keeps only what the
write rules and the hash chain need (small, so cached copies are cheap); everything a reader sees
comes from the projections.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from events.envelope import EventDraft
from events.integrity import GENESIS, chain_hash, chain_hash_of_json
from events.rules import StreamFacts
from events.versions import upgrade_data

_NAMESPACE = uuid5(NAMESPACE_URL, "https://pactlog.example/partnerships")


@lru_cache(maxsize=65_536)  # a SHA-1 and a UUID per call, asked several times per append
def stream_id(slug: str) -> UUID:
    return uuid5(_NAMESPACE, slug)


class _Envelope(Aggregate.Event):
    """The fields every stored pactlog event carries (the client's content plus its hash).

    Version 2 (issue 12): `data` reads in the catalog's version-2 shape (`events.versions`).
    A version-1 event is upcast when it is read, and keeps the data it was recorded with in
    `as_recorded`, which is what its hash covers.
    """

    class_version = 2

    partnership: str
    event_id: str
    type: str
    occurred_on: str
    summary: str
    sources: list[dict[str, Any]]
    confidence: str
    data: dict[str, Any]
    hash: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        upgraded = upgrade_data(state["type"], state["data"])
        if upgraded != state["data"]:
            state["as_recorded"] = state["data"]
            state["data"] = upgraded

    def content(self) -> dict[str, Any]:
        """What the event says, as it was recorded (what its hash covers)."""
        return self.content_now() | {"data": self.__dict__.get("as_recorded", self.data)}

    def content_now(self) -> dict[str, Any]:
        """What the event says, in today's catalog shape."""
        return {
            "id": self.event_id,
            "type": self.type,
            "partnership": self.partnership,
            "occurred_on": self.occurred_on,
            "summary": self.summary,
            "sources": self.sources,
            "confidence": self.confidence,
            "data": self.data,
        }


class Partnership(Aggregate):
    """A partnership's stream of events."""

    class Formed(_Envelope, Aggregate.Created):
        """The stream's first event: a `PartnershipFormed`."""

    class Recorded(_Envelope):
        """Any later event of the catalog."""

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Partnership)
            aggregate.absorb(self)

    def __init__(
        self,
        partnership: str,
        event_id: str,
        type: str,
        occurred_on: str,
        summary: str,
        sources: list[dict[str, Any]],
        confidence: str,
        data: dict[str, Any],
        hash: str,
    ) -> None:
        self.slug = partnership
        self.name: str = data["name"]
        self.parties: list[str] = list(data["parties"])
        self.last_hash = hash
        self.entities: dict[str, list[list[str]]] = {}
        self.retracted: list[str] = []

    def __deepcopy__(self, memo: dict[int, Any]) -> Partnership:
        """A copy for one command (the repository hands out copies of cached streams): the
        containers the rules change are copied, everything else is immutable."""
        copied = object.__new__(type(self))
        copied.__dict__.update(self.__dict__)
        copied.__dict__["_pending_events"] = list(self._pending_events)
        copied.entities = {
            key: [list(pair) for pair in pairs] for key, pairs in self.entities.items()
        }
        copied.retracted = list(self.retracted)
        copied.parties = list(self.parties)
        return copied

    @property
    def facts(self) -> StreamFacts:
        """The write rules' view of this stream (sharing the aggregate's containers)."""
        return StreamFacts(self.entities, self.retracted)

    @classmethod
    def form(cls, slug: str, draft: EventDraft, timestamp: datetime) -> Partnership:
        content = _dated(draft.content(slug), timestamp)
        return cls._create(
            cls.Formed,
            id=stream_id(slug),
            timestamp=timestamp,
            **_stored_fields(content),
            hash=chain_hash(GENESIS, content, cls.INITIAL_VERSION, timestamp.isoformat()),
        )

    def record(self, draft: EventDraft, timestamp: datetime) -> None:
        content = _dated(draft.content(self.slug), timestamp)
        link = draft.content_json(self.slug, content["occurred_on"])
        self.trigger_event(
            self.Recorded,
            timestamp=timestamp,
            **_stored_fields(content),
            hash=chain_hash_of_json(self.last_hash, link, self.version + 1, timestamp.isoformat()),
        )

    def absorb(self, event: Partnership.Recorded) -> None:
        self.last_hash = event.hash
        if event.type == "EventRetracted":
            self.facts.retract(event.data["target_id"])
        else:
            self.facts.record(event.event_id, event.type, event.data)


def _dated(content: dict[str, Any], timestamp: datetime) -> dict[str, Any]:
    """An amendment left undated is dated by the day it is recorded (transaction time)."""
    if content["occurred_on"] is None:
        return content | {"occurred_on": timestamp.date().isoformat()}
    return content


def _stored_fields(content: dict[str, Any]) -> dict[str, Any]:
    fields = dict(content)
    fields["event_id"] = fields.pop("id")
    return fields


# Events and snapshots recorded before the write side moved to `service.write` (issue 11) name
# the old module in their topics; they still resolve.
register_topic("service.stream:Partnership", Partnership)
