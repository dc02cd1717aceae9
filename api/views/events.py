"""A partnership's events: append them, read the timeline, read one with its corrections."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.errors import invalid
from api.headers import already_kept, kept
from api.schemas import AppendedOut, EventBatch, EventDetail, ReadQuery, TimelinePage, TimelineQuery
from api.services import pactlog
from api.views._common import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    appended_response,
    decode_cursor,
    encode_cursor,
    expected_version,
    knows,
    next_page,
)
from api.web import header, json_body, operation
from events.envelope import EventDraft, EventInputSchema, parse_event
from events.errors import InvalidEvent

bp = Blueprint("events", __name__, url_prefix="/v1/partnerships/<slug:slug>/events")

MAX_BATCH = 10_000


@bp.post("")
@operation(
    scope="append",
    body={"oneOf": [EventInputSchema, EventBatch]},
    response=AppendedOut,
    status=201,
    headers=(IF_MATCH, IDEMPOTENCY_KEY),
    errors=(400, 404, 409, 412, 413, 415, 422),
)
def append(slug: str) -> Any:
    """Append one event, or `{"events": [...]}` atomically (all or none)."""
    answer = pactlog().append(
        slug,
        _drafts(json_body(), slug),
        expected_version=expected_version(),
        idempotency_key=header("Idempotency-Key"),
    )
    return appended_response(answer)


@bp.get("")
@operation(query=TimelineQuery, response=TimelinePage, errors=(404, 422), answered=already_kept)
def timeline(slug: str, args: dict[str, Any]) -> Any:
    """The timeline in valid-time order: filter by words (`q`), type, dates and confidence;
    page by cursor."""
    return kept(slug, lambda: _timeline(slug, args))


def _timeline(slug: str, args: dict[str, Any]) -> Any:
    page = pactlog().timeline(
        slug, as_of=args["as_of"], known_at=args["known_at"], types=args["type"],
        start=args["from_"], end=args["to"], min_confidence=args["confidence"],
        after=decode_cursor(args["cursor"]), limit=args["limit"], text=args["q"],
    )  # fmt: skip
    next_cursor = encode_cursor(page.cursor)
    return {
        **knows(slug, page.knowledge),
        "events": page.events,
        "next_cursor": next_cursor,
        "next": next_page(".timeline", page.knowledge, args, next_cursor),
    }


@bp.get("/<event_id>")
@operation(query=ReadQuery, response=EventDetail, errors=(404,))
def event(slug: str, event_id: str, args: dict[str, Any]) -> Any:
    """One event as recorded, the corrections and retractions aimed at it, and how it reads now."""
    found = pactlog().event(slug, event_id)
    return {
        **knows(slug, found.knowledge),
        "event": found.event.to_dict(),
        "amendments": [a.to_dict() for a in found.amendments],
        "retracted": found.retracted,
        "current": found.current,
    }


def _drafts(payload: Any, slug: str) -> list[EventDraft]:
    """One event or a batch, each validated; a 422 names every bad field of every event."""
    if isinstance(payload, dict) and "events" in payload and "type" not in payload:
        extra = sorted(set(payload) - {"events"})
        if extra:
            raise invalid({name: ["Unknown field."] for name in extra})
        items = payload["events"]
        if not isinstance(items, list) or not items:
            raise invalid({"events": ["Give a non-empty list of events."]})
        if len(items) > MAX_BATCH:
            raise invalid({"events": [f"At most {MAX_BATCH} events at once."]})
        prefix = "events."
    elif isinstance(payload, dict):
        items, prefix = [payload], ""
    else:
        raise invalid({"_schema": ['Send an event object or {"events": [...]}.']})
    drafts: list[EventDraft] = []
    errors: dict[str, Any] = {}
    for index, item in enumerate(items):
        try:
            drafts.append(parse_event(item, slug))
        except InvalidEvent as error:
            errors[f"{prefix}{index}" if prefix else "_schema"] = error.messages
    if errors:
        raise invalid(errors if prefix else errors["_schema"])
    return drafts
