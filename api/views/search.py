"""Full-text search: `GET /v1/search` (every partnership, or one with `partnership=`) and
`GET /v1/partnerships/{slug}/search`, with the timeline's filters and cut-offs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from marshmallow import fields, validate

from api.schemas import Answer, Cited, QueryInteger, RecordedEventOut, TimelineQuery
from api.services import pactlog
from api.views._common import decode_cursor, encode_cursor, link
from api.web import operation
from events.fields import Slug
from service.read.search import SearchAnswer

bp = Blueprint("search", __name__)


class SearchQuery(TimelineQuery):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={
            "description": "Words to find (all of them; the last also as a prefix), in "
            "summaries, the names in events' data (parties, people) and sources (publisher, "
            "title, URL). Case and accents do not matter.",
            "example": "board altman",
        },
    )
    partnership = Slug(load_default=None, metadata={"description": "Only this partnership."})
    limit = QueryInteger(
        load_default=20,
        validate=validate.Range(min=1, max=200),
        metadata={"description": "Page size."},
    )


class HitOut(Answer):
    partnership = fields.String(required=True)
    id = fields.String(required=True)
    type = fields.String(required=True)
    occurred_on = fields.String(required=True)
    confidence = fields.String(required=True)
    summary = fields.String(required=True)
    rank = fields.Integer(
        required=True,
        metadata={
            "description": "1: every word in the summary; 2: in the names; 3: in a source; "
            "4: spread over several. Within a rank, the latest first."
        },
    )
    matched = fields.List(fields.String(), required=True, metadata={"description": "Where."})
    snippet = fields.String(
        required=True,
        metadata={"description": "HTML-escaped text with the words found in <mark>…</mark>."},
    )
    highlights = fields.Dict(
        keys=fields.String(), values=fields.String(), required=True,
        metadata={"description": "Each field where a word was found, highlighted alike."},
    )  # fmt: skip
    event = fields.Nested(RecordedEventOut, required=True)


class SearchOut(Cited):
    q = fields.String(required=True)
    terms = fields.List(fields.String(), required=True)
    partnership = fields.String(allow_none=True, required=True)
    hits = fields.List(fields.Nested(HitOut), required=True)
    next_cursor = fields.String(
        allow_none=True, required=True, metadata={"description": "Pass as `cursor` for more."}
    )
    next = fields.String(allow_none=True, required=True, metadata={"description": "Next page."})


@bp.get("/v1/search")
@operation(query=SearchQuery, response=SearchOut, errors=(404,))
def search(args: dict[str, Any]) -> Any:
    """Search the timelines: ranked hits with highlighted snippets, a page at a time.

    The timeline's filters (`type`, `from`, `to`, `confidence`) and cut-offs apply: `as_of`
    finds only events that had happened by then, `known_at` only what was recorded by then (as
    it read then: a later correction's words are not found, a later retraction's target is).
    """
    return _answer(_search(args["partnership"], args), ".search")


@bp.get("/v1/partnerships/<slug:slug>/search")
@operation(query=SearchQuery, response=SearchOut, errors=(404,))
def partnership_search(slug: str, args: dict[str, Any]) -> Any:
    """Search one partnership's timeline (as `/v1/search?partnership=`)."""
    return _answer(_search(slug, args), ".partnership_search")


def _search(slug: str | None, args: dict[str, Any]) -> SearchAnswer:
    return pactlog().search(
        args["q"], partnership=slug, as_of=args["as_of"], known_at=args["known_at"],
        types=args["type"], start=args["from_"], end=args["to"],
        min_confidence=args["confidence"], after=decode_cursor(args["cursor"]),
        limit=args["limit"],
    )  # fmt: skip


def _answer(answer: SearchAnswer, endpoint: str) -> dict[str, Any]:
    cursor = encode_cursor(answer.cursor)
    return {
        "q": answer.query,
        "terms": answer.terms,
        "partnership": answer.partnership,
        "position": answer.knowledge.position,
        "as_of": answer.knowledge.as_of,
        "known_at": answer.knowledge.known_at,
        "hits": [
            {
                **{k: hit.event[k] for k in ("partnership", "id", "type", "occurred_on")},
                "confidence": hit.event["confidence"],
                "summary": hit.event["summary"],
                "rank": hit.tier,
                "matched": hit.matched,
                "snippet": hit.snippet,
                "highlights": hit.highlights,
                "event": hit.event,
            }
            for hit in answer.hits
        ],
        "next_cursor": cursor,
        "next": _next(answer, endpoint, cursor),
    }


def _next(answer: SearchAnswer, endpoint: str, cursor: str | None) -> str | None:
    """The next page, pinned to what this page knew (as the timeline's `next` is)."""
    if cursor is None:
        return None
    if answer.knowledge.known_at is not None or answer.knowledge.position == 0:
        return link(endpoint, cursor=cursor)
    newest = pactlog().log(answer.knowledge.position - 1, limit=1)
    if not newest:
        return link(endpoint, cursor=cursor)
    return link(endpoint, cursor=cursor, known_at=newest[0].recorded_at.isoformat())
