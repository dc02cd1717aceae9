"""The domain's errors. Each names what was wrong, so that callers can point at the field.

DomainError
├── InvalidEvent          the input does not describe a valid event (fields -> messages)
├── RuleViolated          a write rule refuses the event (field -> message)
├── PartnershipNotFound   no stream for this slug
├── PartnershipExists     the slug is taken
├── EventNotFound         no event with this id in this partnership
└── Conflict
    ├── StaleVersion            the stream moved past the expected version
    ├── DuplicateEventId        an event id is already used by other content
    └── IdempotencyKeyReused    the key was used for another request
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of everything pactlog refuses on purpose."""


class InvalidEvent(DomainError):
    def __init__(self, messages: dict[str, Any]) -> None:
        self.messages = messages
        super().__init__(f"invalid event: {messages}")


class RuleViolated(DomainError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class PartnershipNotFound(DomainError):
    def __init__(self, slug: str) -> None:
        self.slug = slug
        super().__init__(f"no partnership {slug!r}")


class PartnershipExists(DomainError):
    def __init__(self, slug: str) -> None:
        self.slug = slug
        super().__init__(f"partnership {slug!r} already exists")


class EventNotFound(DomainError):
    def __init__(self, event_id: str) -> None:
        self.event_id = event_id
        super().__init__(f"no event {event_id}")


class Conflict(DomainError):
    """The request could be right, but the store has moved or remembers otherwise."""


class StaleVersion(Conflict):
    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"expected stream version {expected}, but it is at {actual}")


class DuplicateEventId(Conflict):
    def __init__(self, event_id: str) -> None:
        self.event_id = event_id
        super().__init__(f"event id {event_id} is already recorded with other content")


class IdempotencyKeyReused(Conflict):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"idempotency key {key!r} was used for another request")
