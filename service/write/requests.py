"""An append as the write side carries it, and what it answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from events.catalog import AMENDING_TYPES
from events.envelope import EventDraft
from events.errors import InvalidEvent
from events.integrity import digest_of_json, request_digest_of_json
from service.write.recorders import IdempotencyRecord, IndexEntry


@dataclass(frozen=True)
class AppendedEvent:
    id: str
    version: int
    position: int


@dataclass(frozen=True)
class Appended:
    """What an append wrote (or, for a faithful retry, what the original wrote)."""

    partnership: str
    events: list[AppendedEvent]
    replayed: bool = False

    @property
    def position(self) -> int:
        return self.events[-1].position

    @property
    def version(self) -> int:
        return self.events[-1].version


@dataclass(frozen=True)
class AppendRequest:
    """An append as it waits to be committed: its drafts with ids, and what identifies it."""

    slug: str
    drafts: list[EventDraft]
    expected_version: int | None
    idempotency_key: str | None
    request_digest: str
    client_ids: bool

    @classmethod
    def of(
        cls,
        slug: str,
        drafts: Sequence[EventDraft],
        expected_version: int | None,
        idempotency_key: str | None,
    ) -> AppendRequest:
        if not drafts:
            raise InvalidEvent({"events": ["Give at least one event."]})
        # The request as the client sent it (ids it left out are not part of it).
        request_digest = request_digest_of_json(
            [draft.content_json(slug) for draft in drafts], expected_version
        )
        with_ids = [draft.with_id() for draft in drafts]
        return cls(
            slug=slug,
            drafts=with_ids,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            request_digest=request_digest,
            client_ids=any(draft.id is not None for draft in drafts),
        )

    @cached_property
    def contents(self) -> list[dict[str, Any]]:
        """Its events' contents (with their ids): what a retry is compared with."""
        return [draft.content(self.slug) for draft in self.drafts]

    def index_entries(self, last_version: int) -> list[IndexEntry]:
        """The id index rows of its events, the last of which gets `last_version`."""
        first_version = last_version - len(self.drafts) + 1
        return [
            IndexEntry(
                event_id=str(draft.id),
                partnership=self.slug,
                version=first_version + offset,
                digest=digest_of_json(draft.content_json(self.slug)),
                target_id=draft.data.get("target_id") if draft.type in AMENDING_TYPES else None,
            )
            for offset, draft in enumerate(self.drafts)
        ]

    def idempotency_record(self, first: int) -> IdempotencyRecord:
        assert self.idempotency_key is not None
        return IdempotencyRecord(
            self.slug,
            self.idempotency_key,
            self.request_digest,
            first=first,
            count=len(self.drafts),
        )
