"""Headers every answer gets on its way out: security headers on HTML, CORS for the origins the
configuration allows, and one `Date` (the server's); and the answers a process keeps for
conditional and repeated reads of a partnership (`kept`).

Settings: `cors_origins` (default none): the origins (`https://portal.example`) whose pages may
call the API from a browser; `*` allows any. Preflights (`OPTIONS`) are answered for them.

Kept answers: a dashboard asks the same questions again and again (the state, a series, the
latest page of the timeline), and the answer changes only when the partnership's stream does
(or the day does: a current state fades). Each process keeps the answers it gave, keyed by the
request (path, query, `Accept`) and the partnership's stamp in the view (version, position,
today: `PactlogService.read_stamp`, one indexed read): a new event projected changes the stamp,
so the kept answer is never served again. A repeated read is then that one read, and its
`ETag` (the same content hash as ever, so every process agrees) answers `If-None-Match` with a
304 without folding or encoding anything. What-if reads (`policy=`) are not kept.

Where a separate projector keeps the view (production), the view trails the log anyway; there
a process reads a partnership's stamp at most every `STAMP_SECONDS` (the view it answers from
is at most that much older than it would be), except for a read that asks for a position
(`min_position`: read your own write), which always reads it. A process that projects inline
(one process, SQLite) reads it every time, after projecting what is pending.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, json, request

from api.services import pactlog, settings
from api.web import Operation, instance

# Nothing inline, nothing from elsewhere: the page's script and styles are files of the app.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HTML_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# What a page elsewhere may send and read.
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "Last-Event-ID",
    "X-Request-ID",
)
EXPOSED_HEADERS = (
    "ETag",
    "Location",
    "Pactlog-Position",
    "Idempotent-Replayed",
    "Retry-After",
    "X-Request-ID",
)
PREFLIGHT_MAX_AGE = 600


def register(app: Flask) -> None:
    app.after_request(_finish)


def _finish(response: Response) -> Response:
    # Werkzeug's conditional answers set a Date and every server adds its own: keep the server's.
    del response.headers["Date"]
    if response.mimetype == "text/html":
        for name, value in HTML_HEADERS.items():
            response.headers.setdefault(name, value)
    else:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    _cors(response)
    return response


def _cors(response: Response) -> None:
    origin = request.headers.get("Origin")
    if not origin:
        return
    allowed = settings().cors_origins
    response.vary.add("Origin")
    if origin.rstrip("/") not in allowed and "*" not in allowed:
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
        response.headers["Access-Control-Allow-Methods"] = ", ".join(
            sorted(set(response.allow) - {"OPTIONS"}) or ["GET"]
        )
        response.headers["Access-Control-Allow-Headers"] = ", ".join(ALLOWED_HEADERS)
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    else:
        response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)


# --- kept answers -----------------------------------------------------------------------------

STAMP_SECONDS = 0.05
KEPT_STAMPS = 10_000  # partnerships whose stamps a process remembers
KEPT_BYTES = 8 * 1024 * 1024  # per process, all answers together
KEPT_LARGEST = 1024 * 1024  # a larger answer is not kept
_EXTENSION = "pactlog.kept_answers"


@dataclass(frozen=True)
class Kept:
    """An answer as the view gave it (before the headers every answer gets on its way out)."""

    body: bytes
    mimetype: str
    headers: tuple[tuple[str, str], ...]
    etag: str = ""  # unquoted, strong (its `ETag` header is among `headers`)


class KeptAnswers:
    """The answers one process gave, least recently used first out, within `limit` bytes."""

    def __init__(self, limit: int = KEPT_BYTES) -> None:
        self.limit = limit
        self.size = 0
        self._answers: OrderedDict[Hashable, Kept] = OrderedDict()
        self._lock = threading.Lock()
        # By partnership: its stamp, and when it was read (time.monotonic()).
        self.stamps: dict[str, tuple[tuple[Any, ...] | None, float]] = {}
        # Held by the one thread reading a stamp that has aged (`_stamp`).
        self.refreshing = threading.Lock()

    def get(self, key: Hashable) -> Kept | None:
        with self._lock:
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
            return found

    def put(self, key: Hashable, answer: Kept) -> None:
        if len(answer.body) > min(KEPT_LARGEST, self.limit):
            return
        with self._lock:
            old = self._answers.pop(key, None)
            if old is not None:
                self.size -= len(old.body)
            self._answers[key] = answer
            self.size += len(answer.body)
            while self.size > self.limit:
                _, dropped = self._answers.popitem(last=False)
                self.size -= len(dropped.body)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self.stamps.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._answers)


def kept_answers() -> KeptAnswers:
    """This app's kept answers (one per app: an app is one store, one clock)."""
    found: KeptAnswers | None = current_app.extensions.get(_EXTENSION)
    if found is None:
        found = current_app.extensions.setdefault(_EXTENSION, KeptAnswers())
    return found


def kept(slug: str, answer: Callable[[], Any]) -> Any:
    """The answer to this read of partnership `slug`: the one kept for the same request and
    stamp if there is one, else `answer()` (a payload the view's `@operation` dumps, or a
    ready `Response`), kept. Either way `If-None-Match` is answered (304)."""
    if "policy" in request.args:
        return _conditional(answer())  # what-if: folded with a policy given with the request
    stamp = _stamp(slug)
    if stamp is None:
        return _conditional(answer())  # nothing projected of it (yet): nothing to keep
    key = _request_key(stamp)
    answers = kept_answers()
    found = answers.get(key)
    if found is None:
        result = answer()
        found = _keep(result)
        if found is None:
            return _conditional(result)
        answers.put(key, found)
    return _send(found)


def already_kept(slug: str, **_: Any) -> Response | None:
    """This very request's kept answer, if there is one, looked up before its query is parsed
    (`@operation(answered=...)`): an answer is kept only for a request that parsed, and the
    same path, query and `Accept` parse the same way again. None for a what-if read and for
    one that waits for a position first (`min_position`): `kept` answers those."""
    if "policy" in request.args or "min_position" in request.args:
        return None
    stamp = _stamp(slug)
    if stamp is None:
        return None
    found = kept_answers().get(_request_key(stamp))
    return None if found is None else _send(found)


def _request_key(stamp: tuple[Any, ...]) -> Hashable:
    return (
        request.endpoint,
        request.script_root,  # the timeline's `next` link carries it
        request.path,
        request.query_string,
        request.headers.get("Accept", ""),
        stamp,
    )


def _send(found: Kept) -> Response:
    """A kept answer as a response to this request: a 304 if its `If-None-Match` matches."""
    if _unchanged(found):
        # What `make_conditional` answers, without the body it would drop.
        return current_app.response_class(
            status=304, mimetype=found.mimetype, headers=found.headers
        )
    response = current_app.response_class(found.body, mimetype=found.mimetype)
    response.headers.extend(found.headers)
    response.make_conditional(request)
    return response


def _unchanged(found: Kept) -> bool:
    """Whether this request's `If-None-Match` (weakly) matches the kept answer, and nothing
    else conditional (a range, `If-Match`) asks for Werkzeug's full treatment."""
    environ = request.environ
    if (
        not found.etag
        or "HTTP_IF_NONE_MATCH" not in environ
        or "HTTP_RANGE" in environ
        or "HTTP_IF_MATCH" in environ
        or request.method not in ("GET", "HEAD")
    ):
        return False
    return request.if_none_match.contains_weak(found.etag)


def _stamp(slug: str) -> tuple[Any, ...] | None:
    """The partnership's stamp (`PactlogService.read_stamp`), read at most every
    `STAMP_SECONDS` where a separate projector keeps the view (see the module's note)."""
    service = pactlog()
    if service.projections.inline or "min_position" in request.args:
        return service.read_stamp(slug)
    answers = kept_answers()
    stamps = answers.stamps
    now = time.monotonic()
    found = stamps.get(slug)
    if found is not None and now - found[1] < STAMP_SECONDS:
        return found[0]
    # One thread reads the aged stamp; the others answer meanwhile from the one they have (one
    # round trip older). Otherwise every thread whose request came in as the stamp aged read it
    # at once, each waiting for one of the pool's few connections.
    if found is not None and not answers.refreshing.acquire(blocking=False):
        return found[0]
    try:
        stamp = service.read_stamp(slug)
    finally:
        if found is not None:
            answers.refreshing.release()
    if len(stamps) >= KEPT_STAMPS:
        stamps.clear()
    stamps[slug] = (stamp, now)
    return stamp


def _conditional(result: Any) -> Any:
    """A ready response answers `If-None-Match` too (a payload does in `@operation`)."""
    if isinstance(result, Response) and result.status_code == 200 and not result.is_streamed:
        result.make_conditional(request)
    return result


def _keep(result: Any) -> Kept | None:
    """`result` as the view's `@operation` would send it (unconditionally), to keep; None
    for what is not kept (a stream, or an answer that is not a 200)."""
    if isinstance(result, Response):
        if result.status_code != 200 or result.is_streamed:
            return None
        response = result
    else:
        if isinstance(result, tuple):
            return None
        view: Any = current_app.view_functions[request.endpoint or ""]
        spec: Operation = view.operation
        body = instance(spec.response).dump(result) if isinstance(spec.response, type) else result
        response = current_app.response_class(json.dumps(body), mimetype="application/json")
        if isinstance(body, dict) and isinstance(body.get("position"), int):
            response.headers["Pactlog-Position"] = str(body["position"])
        response.headers["Cache-Control"] = "no-cache"  # cache, but ask with the ETag first
        response.add_etag()
    headers = tuple((k, v) for k, v in response.headers.items() if k != "Content-Length")
    etag, weak = response.get_etag()
    return Kept(
        response.get_data(),
        response.mimetype or "application/json",
        tuple((k, v) for k, v in headers if k != "Content-Type"),
        "" if etag is None or weak else etag,
    )
