"""The log live: `GET /v1/stream`, Server-Sent Events, resumable by `Last-Event-ID` (the
text: `api.sse`; the stream settings: `api.settings.Settings`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from marshmallow import validate

from api.errors import Problem, invalid
from api.schemas import MAX_POSITION, QueryInteger, Strict
from api.services import services, settings
from api.sse import Slice, StreamLimits, sse
from api.web import Header, operation
from events.fields import Slug

bp = Blueprint("stream", __name__)

LAST_EVENT_ID = Header(
    "Last-Event-ID",
    "The `id:` of the last event received: the stream resumes strictly after it (wins over "
    "`after`). EventSource sends it by itself when it reconnects.",
)


# --- the live log: Server-Sent Events ------------------------------------------------------


class StreamQuery(Strict):
    after = QueryInteger(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_POSITION),
        metadata={"description": "Start strictly after this log position (0: from the start)."},
    )
    partnership = Slug(load_default=None, metadata={"description": "Only this partnership."})


SSE_MESSAGE = {
    "type": "object",
    "description": "One Server-Sent Event.",
    "properties": {
        "id": {"type": "string", "description": "The log position (send it as Last-Event-ID)."},
        "data": {"type": "string", "description": "The CloudEvents JSON, as in /v1/events."},
        "event": {"type": "string"},
        "retry": {"type": "integer", "description": "Reconnect after this many ms."},
    },
}


@bp.get("/v1/stream")
@operation(
    query=StreamQuery,
    response=SSE_MESSAGE,
    media="text/event-stream",
    conditional=False,
    headers=(LAST_EVENT_ID,),
    errors=(503,),
)
def stream(args: dict[str, Any]) -> Response:
    """The global log live, as Server-Sent Events (`id:` = log position).

    Each event's `data:` is the CloudEvents JSON of `/v1/events`. A response lasts at most a few
    seconds (`STREAM_MAX_SECONDS`) and then ends: EventSource reconnects after the `retry:` delay
    with `Last-Event-ID`, and the stream resumes strictly after it, nothing skipped or repeated.
    Comment lines (`: heartbeat`) keep proxies from closing a quiet stream. With `partnership`,
    a bare `id:` line marks progress past other partnerships' events. A client that does not
    send `Accept: text/event-stream` (EventSource does) gets what the log holds now, at once.
    """
    after = _last_event_id()
    if after is None:
        after = args["after"]
    process, config = services(), settings()
    watch = process.watch
    live = "text/event-stream" in request.headers.get("Accept", "")
    limits = StreamLimits(
        config.stream_max_seconds if live else 0.0,
        config.stream_heartbeat_seconds,
        config.stream_retry_ms,
    )
    if not watch.enter(config.stream_max_clients):
        raise Problem(
            "not-ready",
            "This process serves as many streams as it may; try again shortly.",
            headers={"Retry-After": str(max(1, round(limits.max_seconds)))},
        )
    return Response(
        Slice(sse(process.pactlog, watch, after, args["partnership"], limits), watch.leave),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _last_event_id() -> int | None:
    given = request.headers.get("Last-Event-ID")
    if given is None or not given.strip():
        return None
    text = given.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_POSITION:
        raise invalid(
            {"Last-Event-ID": ["Not a log position."]}, "Last-Event-ID must be a log position."
        )
    return int(text)


@bp.after_app_request
def _wake_streams(response: Response) -> Response:
    """An append served here wakes this process's streams at once (others poll)."""
    if request.method == "POST" and response.status_code == 201:
        watch = services().existing_watch()
        if watch is not None:
            watch.poke()
    return response
