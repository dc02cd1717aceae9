"""Partnerships: create and list them; read one's state, trust, diff and hash chain."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, current_app, json, stream_with_context, url_for

from api.errors import invalid
from api.headers import already_kept, kept
from api.schemas import (
    AppendedOut,
    CreatePartnership,
    DiffOut,
    DiffQuery,
    ListQuery,
    PartnershipList,
    StateOut,
    StateQuery,
    TrustOut,
    TrustQuery,
    VerificationOut,
    VerifyQuery,
)
from api.services import pactlog
from api.views._common import (
    IDEMPOTENCY_KEY,
    appended_response,
    decode_cursor,
    encode_cursor,
    knows,
    next_page,
)
from api.views.whatif import what_if
from api.web import header, instance, operation
from events.envelope import EventDraft, parse_event
from events.errors import InvalidEvent

bp = Blueprint("partnerships", __name__, url_prefix="/v1/partnerships")


@bp.post("")
@operation(
    scope="append",
    body=CreatePartnership,
    response=AppendedOut,
    status=201,
    headers=(IDEMPOTENCY_KEY,),
    errors=(400, 409, 413, 415, 422),
)
def create(body: dict[str, Any]) -> Any:
    """Create a partnership (records its PartnershipFormed event)."""
    answer = pactlog().create_partnership(
        body["slug"], _formed(body), idempotency_key=header("Idempotency-Key")
    )
    return appended_response(answer, {"Location": url_for(".state", slug=answer.partnership)})


@bp.get("")
@operation(query=ListQuery, response=PartnershipList)
def list_(args: dict[str, Any]) -> Any:
    """Every partnership, with its headline state now."""
    partnerships = pactlog().partnerships(args["min_confidence"])
    return {
        "position": max((p.position for p in partnerships), default=0),
        "partnerships": partnerships,
    }


@bp.get("/<slug:slug>/state")
@operation(query=StateQuery, response=StateOut, errors=(404, 422), answered=already_kept)
def state(slug: str, args: dict[str, Any]) -> Any:
    """Investments, trust, disputes and risks: now, or as of a date, as known at an instant.

    Investment totals per currency: firm, contingent, paid, total (firm + paid, never
    contingent), the low–high range the sources' figures span, and how many amounts were
    undisclosed; `min_confidence` counts only figures at least that certain. Asked before the
    formation date, the state says the partnership was not yet formed. With `policy=`,
    `what_if` adds the trust score under that policy (see /trust).
    """
    return kept(slug, lambda: _state(slug, args))


def _state(slug: str, args: dict[str, Any]) -> Any:
    answer = pactlog().state(slug, args["as_of"], args["known_at"], args["min_confidence"])
    return {
        **knows(slug, answer.knowledge),
        "state": answer.state,
        "not_yet_counted": answer.not_yet_counted,
        **what_if(slug, args, contributions=False),
    }


@bp.get("/<slug:slug>/trust")
@operation(query=TrustQuery, response=TrustOut, errors=(404, 422))
def trust(slug: str, args: dict[str, Any]) -> Any:
    """The trust score and a page of the contributions that make it (`contributions=all`:
    every one, streamed).

    With `policy=` (a name, or inline JSON), `what_if` adds the same events folded with that
    policy: its score, its contributions, and those that differ from the stored answer's (not
    with `contributions=all`).
    """
    if args["contributions"] == "all":
        return _every_contribution(slug, args)
    answer = pactlog().trust(
        slug, args["as_of"], args["known_at"], after=decode_cursor(args["cursor"]),
        limit=args["limit"],
    )  # fmt: skip
    next_cursor = encode_cursor(answer.cursor)
    return {
        **knows(slug, answer.knowledge),
        "trust": answer.trust,
        "contributions": answer.contributions,
        "next_cursor": next_cursor,
        "next": next_page(".trust", answer.knowledge, args, next_cursor),
        **what_if(slug, args),
    }


def _every_contribution(slug: str, args: dict[str, Any]) -> Response:
    """The same answer with every contribution, written as it is read (a page of the view at a
    time): memory stays flat however long the history."""
    answer = pactlog().trust_stream(slug, args["as_of"], args["known_at"])
    head = {**knows(slug, answer.knowledge), "trust": answer.trust}
    opening = json.dumps(instance(TrustOut).dump({**head, "contributions": []}))
    opening = opening[: opening.rindex('"contributions"')] + '"contributions": ['

    def body() -> Iterator[str]:
        yield opening
        for index, contribution in enumerate(answer.contributions):
            yield ("," if index else "") + json.dumps(contribution)
        yield '], "next_cursor": null, "next": null}'

    response = current_app.response_class(stream_with_context(body()), mimetype="application/json")
    response.headers["Pactlog-Position"] = str(answer.knowledge.position)
    return response


@bp.get("/<slug:slug>/diff")
@operation(query=DiffQuery, response=DiffOut, errors=(404, 422))
def diff(slug: str, args: dict[str, Any]) -> Any:
    """What changed between two dates (`from`, `to`), and the events that explain it."""
    answer = pactlog().diff(slug, args["from_"], args["to"], args["known_at"])
    return {
        **knows(slug, answer.knowledge),
        "as_of": answer.end,
        "from_": answer.start,
        "to": answer.end,
        "before": answer.before,
        "after": answer.after,
        "trust_change": answer.trust_change,
        "events": answer.events,
    }


@bp.get("/<slug:slug>/verify")
@operation(scope="admin", query=VerifyQuery, response=VerificationOut, errors=(401, 403, 404, 422))
def verify(slug: str, args: dict[str, Any]) -> Any:
    """Recompute the partnership's hash chain from the stored events (admin): all of it, or
    only what came after a previous answer (`after_version` = its `head_version`, `head`)."""
    if args["head"] is None:
        answer = pactlog().verify(slug)
    else:
        answer = pactlog().verify(slug, args["after_version"], args["head"])
    return {**asdict(answer), "position": pactlog().knowledge(slug, None, None).position}


def _formed(body: dict[str, Any]) -> EventDraft:
    """The PartnershipFormed event a create request describes (errors name its own fields)."""
    event = {
        "type": "PartnershipFormed",
        "occurred_on": str(body["occurred_on"]),
        "summary": body["summary"] or f"{body['name']} is formed",
        "sources": body["sources"],
        "confidence": body["confidence"],
        "data": {"name": body["name"], "parties": body["parties"]},
    }
    if body["id"] is not None:
        event["id"] = str(body["id"])
    try:
        return parse_event(event, body["slug"])
    except InvalidEvent as error:
        data = error.messages.pop("data", {})
        raise invalid({**error.messages, **(data if isinstance(data, dict) else {})}) from None
