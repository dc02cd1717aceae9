"""Small helpers the views share: echoing what an answer reflects, appends' answers."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import orjson
from flask import Response, current_app, request, url_for

from api.errors import Problem, invalid
from api.services import pactlog
from api.web import Header
from service.read.answers import Knowledge
from service.write.requests import Appended

IF_MATCH = Header(
    "If-Match",
    'The stream version you expect (e.g. "12"): 412 if the partnership has moved on.',
)
IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    "Retry safely: the same key and body answer the original; another body is a 422.",
)
# An entity-tag (RFC 9110 §8.8.3): optionally weak (`W/`), then a quoted opaque tag. Ours are
# the stream's version, `"12"`.
_ENTITY_TAG = re.compile(r'(?P<weak>W/)?"(?P<tag>[\x21\x23-\x7e]*)"', re.ASCII)
_VERSION = re.compile(r"[0-9]{1,18}", re.ASCII)


def knows(slug: str, knowledge: Knowledge) -> dict[str, Any]:
    """The part of every answer that says what it reflects."""
    return {
        "partnership": slug,
        "position": knowledge.position,
        "version": knowledge.version,
        "as_of": knowledge.as_of,
        "known_at": knowledge.known_at,
    }


def event_location(slug: str, event_id: str) -> str:
    """`url_for("events.event", slug=slug, event_id=event_id)`, written out: an append's
    answer needs it every time, and the URL map's build is a tenth of the append's Flask work.
    A slug and an event id (a UUID) need no quoting."""
    return f"{request.script_root}/v1/partnerships/{slug}/events/{event_id}"


def appended(answer: Appended) -> tuple[dict[str, Any], dict[str, str]]:
    """An append's 201 body and headers (Location of the last event)."""
    last = answer.events[-1]
    body = {
        "partnership": answer.partnership,
        "id": last.id,
        "position": answer.position,
        "version": answer.version,
        "events": [
            {"id": e.id, "position": e.position, "version": e.version} for e in answer.events
        ],
    }
    headers = {
        "Location": event_location(answer.partnership, last.id),
        "ETag": f'"{answer.version}"',
    }
    if answer.replayed:
        headers["Idempotent-Replayed"] = "true"
    return body, headers


def appended_response(answer: Appended, headers: dict[str, str] | None = None) -> Response:
    """An append's 201, as `respond` writes it, without dumping the body through
    `AppendedOut`: `appended` builds it in that shape already (the dump is the identity, and a
    batch's answer lists every event)."""
    body, own = appended(answer)
    response = current_app.response_class(
        orjson.dumps(body), status=201, mimetype="application/json"
    )
    response.headers.update({**own, **(headers or {})})
    response.headers["Pactlog-Position"] = str(body["position"])
    return response


def expected_version() -> int | None:
    """`If-Match` as a stream version; `*` or none: no expectation.

    One strong entity-tag, `"12"`: anything that is not an entity-tag (`12`, `"12`) is a 400.
    If-Match compares strongly (RFC 9110 §13.1.1), so a weak tag (`W/"12"`) never matches: a
    412, whatever the stream's version."""
    given = request.headers.get("If-Match")
    if given is None or given.strip(" \t") == "*":
        return None
    match = _ENTITY_TAG.fullmatch(given.strip(" \t"))
    if match is None or not _VERSION.fullmatch(match["tag"]):
        raise Problem(
            "malformed-request",
            'If-Match must be a stream version as an entity-tag, e.g. "12" (with the quotes).',
            errors=[{"field": "If-Match", "pointer": "", "detail": "Not a stream version."}],
        )
    if match["weak"]:
        raise Problem(
            "stale-version",
            "A weak entity-tag never matches: If-Match compares strongly (RFC 9110 §13.1.1).",
            errors=[{"field": "If-Match", "pointer": "", "detail": "A weak entity-tag."}],
        )
    return int(match["tag"])


def encode_cursor(key: str | None) -> str | None:
    return None if key is None else base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    if not cursor:
        return ""
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        key = ""
    if not key or not key.isprintable():
        raise invalid({"cursor": ["Not a cursor from a previous page."]})
    return key


def link(endpoint: str, **changes: Any) -> str:
    """This request's URL with some query parameters changed."""
    args: dict[str, Any] = dict(request.args.lists())
    args.update(changes)
    return url_for(endpoint, **(request.view_args or {}), **args)


def next_page(
    endpoint: str, knowledge: Knowledge, args: dict[str, Any], cursor: str | None
) -> str | None:
    """The next page's URL, pinned to what this page knew (`known_at`): following `next`
    pages one snapshot, however busy the writers."""
    if cursor is None:
        return None
    if args["known_at"] is not None or knowledge.position == 0:
        return link(endpoint, cursor=cursor)
    newest = pactlog().log(knowledge.position - 1, limit=1)
    if not newest:
        return link(endpoint, cursor=cursor)
    return link(endpoint, cursor=cursor, known_at=newest[0].recorded_at.isoformat())
