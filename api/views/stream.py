"""The log live: `GET /v1/stream`, Server-Sent Events, resumable by `Last-Event-ID`.

Config keys (all optional):
- `STREAM_MAX_SECONDS` (default 25): one `/v1/stream` response lasts at most this long, then ends;
  the browser's EventSource reconnects by itself after `retry:` and resumes with `Last-Event-ID`.
  So an idle client holds a thread for one slice at a time, never forever.
- `STREAM_HEARTBEAT_SECONDS` (default 10): a comment line this often, so proxies keep it open.
- `STREAM_POLL_SECONDS` (default 0.5): how often one thread per process looks for new events
  (appends served by this process wake the streams at once).
- `STREAM_RETRY_MS` (default 500): the reconnection delay the stream asks for.
- `STREAM_MAX_CLIENTS` (default 1000): more concurrent streams in one process get a 503.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from marshmallow import fields, validate

from api import extensions
from api.errors import Problem, invalid
from api.schemas import MAX_POSITION, Strict
from api.views.log import cloud_event
from api.web import Header, operation
from events.fields import Slug
from service.pactlog import PactlogService

bp = Blueprint("stream", __name__)

STREAM_DEFAULTS: dict[str, Any] = {
    "STREAM_MAX_SECONDS": 25.0,
    "STREAM_HEARTBEAT_SECONDS": 10.0,
    "STREAM_POLL_SECONDS": 0.5,
    "STREAM_RETRY_MS": 500,
    "STREAM_MAX_CLIENTS": 1000,
}
_BATCH = 200
LAST_EVENT_ID = Header(
    "Last-Event-ID",
    "The `id:` of the last event received: the stream resumes strictly after it (wins over "
    "`after`). EventSource sends it by itself when it reconnects.",
)


# --- the live log: Server-Sent Events ------------------------------------------------------


class StreamQuery(Strict):
    after = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_POSITION),
        metadata={"description": "Start strictly after this log position (0: from the start)."},
    )
    partnership = Slug(load_default=None, metadata={"description": "Only this partnership."})


class LogWatch:
    """One per process: a single thread reads the log's last position every `poll` seconds while
    streams wait, and wakes them when it moves; idle streams cost no queries of their own."""

    def __init__(self, read_position: Callable[[], int], poll: float) -> None:
        self._read_position = read_position
        self._poll = poll
        self._changed = threading.Condition()
        self._position = -1
        self._waiting = 0
        self._thread: threading.Thread | None = None
        self.streams = 0  # open streams in this process (a gauge for /metrics)

    def poke(self) -> None:
        """Read the position now (after an append in this process) and wake who waits."""
        try:
            position = self._read_position()
        except Exception:  # the poller will try again; a stream must not fail an append
            return
        with self._changed:
            if position != self._position:
                self._position = position
                self._changed.notify_all()

    def wait_past(self, position: int, timeout: float) -> None:
        """Until the log moves past `position`, or `timeout` seconds."""
        with self._changed:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="pactlog-logwatch", daemon=True
                )
                self._thread.start()
            self._waiting += 1
            try:
                self._changed.wait_for(lambda: self._position > position, timeout)
            finally:
                self._waiting -= 1

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._waiting > 0)
            self.poke()
            time.sleep(self._poll)

    def enter(self, limit: int) -> bool:
        with self._changed:
            if self.streams >= limit:
                return False
            self.streams += 1
            return True

    def leave(self) -> None:
        with self._changed:
            self.streams -= 1


def log_watch(app: Flask) -> LogWatch:
    """This process's watch (built after a fork, like the service)."""
    pid = os.getpid()
    watch = app.extensions.get("pactlog.logwatch")
    if watch is not None and app.extensions.get("pactlog.logwatch.pid") == pid:
        return watch  # type: ignore[no-any-return]
    with app.extensions["pactlog.lock"]:
        if app.extensions.get("pactlog.logwatch.pid") != pid:
            service = extensions.pactlog(app)
            app.extensions["pactlog.logwatch"] = LogWatch(
                service.last_position, float(_setting(app, "STREAM_POLL_SECONDS"))
            )
            app.extensions["pactlog.logwatch.pid"] = pid
        return app.extensions["pactlog.logwatch"]  # type: ignore[no-any-return]


def _setting(app: Flask, name: str) -> Any:
    return app.config.get(name, STREAM_DEFAULTS[name])


@dataclass(frozen=True)
class StreamLimits:
    max_seconds: float
    heartbeat: float
    retry_ms: int


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
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    after = _last_event_id()
    if after is None:
        after = args["after"]
    service = extensions.pactlog()
    watch = log_watch(app)
    live = "text/event-stream" in request.headers.get("Accept", "")
    limits = StreamLimits(
        float(_setting(app, "STREAM_MAX_SECONDS")) if live else 0.0,
        float(_setting(app, "STREAM_HEARTBEAT_SECONDS")),
        int(_setting(app, "STREAM_RETRY_MS")),
    )
    if not watch.enter(int(_setting(app, "STREAM_MAX_CLIENTS"))):
        raise Problem(
            "not-ready",
            "This process serves as many streams as it may; try again shortly.",
            headers={"Retry-After": str(max(1, round(limits.max_seconds)))},
        )
    return Response(
        _Slice(_sse(service, watch, after, args["partnership"], limits), watch.leave),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _last_event_id() -> int | None:
    given = request.headers.get("Last-Event-ID")
    if given is None or not given.strip():
        return None
    text = given.strip()
    if not text.isdigit() or int(text) > MAX_POSITION:
        raise invalid(
            {"Last-Event-ID": ["Not a log position."]}, "Last-Event-ID must be a log position."
        )
    return int(text)


def _sse(
    service: PactlogService,
    watch: LogWatch,
    after: int,
    partnership: str | None,
    limits: StreamLimits,
) -> Generator[str, None, None]:
    """The stream's text: events strictly after `after`, for one slice of time."""
    start = time.monotonic()
    deadline = start + limits.max_seconds
    beat = start + limits.heartbeat
    yield f"retry: {limits.retry_ms}\n: pactlog log after {after}\n\n"
    scanned = after
    while True:
        batch = service.log(scanned, _BATCH)
        for event in batch:
            if partnership is None or event.partnership == partnership:
                payload = json.dumps(cloud_event(event), ensure_ascii=False)
                yield f"id: {event.position}\ndata: {payload}\n\n"
            elif event is batch[-1]:
                yield f"id: {event.position}\n\n"  # progress past others' events
        if batch:
            scanned = batch[-1].position
        now = time.monotonic()
        if now >= deadline:
            yield ": reconnect to go on\n\n"
            return
        if len(batch) == _BATCH:
            continue
        if now >= beat:
            yield ": heartbeat\n\n"
            beat = now + limits.heartbeat
        watch.wait_past(scanned, max(0.0, min(deadline, beat) - now))


class _Slice:
    """The stream's body: closing it (the client left, or the slice ended) frees its place,
    even when it never started."""

    def __init__(self, body: Generator[str, None, None], leave: Callable[[], None]) -> None:
        self._body = body
        self._leave = leave
        self._left = False

    def __iter__(self) -> Iterator[str]:
        return self._body

    def close(self) -> None:
        try:
            self._body.close()
        finally:
            if not self._left:
                self._left = True
                self._leave()


@bp.after_app_request
def _wake_streams(response: Response) -> Response:
    """An append served here wakes this process's streams at once (others poll)."""
    if request.method == "POST" and response.status_code == 201:
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        watch = app.extensions.get("pactlog.logwatch")
        if watch is not None and app.extensions.get("pactlog.logwatch.pid") == os.getpid():
            watch.poke()
    return response
