"""Each request, as operators see it: a request id (`X-Request-ID`, taken from the client or made
here, and echoed), one structured log line when it is answered, and gzip for the JSON and CSV
answers of clients that accept it.

Settings:
- `log_format` (default `json`): `json` writes one JSON object per line on stderr (`time`,
  `level`, `logger`, `message`, and for requests `request_id`, `method`, `route`, `path`,
  `status`, `duration_ms`, `bytes`, `pid`); `text` leaves logging as it is.
- `log_level` (default `INFO`).
- `compress_min_bytes` (default 1024): smaller answers are sent as they are.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from flask import Flask, Response, g, request

from api.services import services, settings

REQUEST_ID = "X-Request-ID"
ACCESS_LOGGER = "pactlog.access"
_ACCESS_LOG = logging.getLogger(ACCESS_LOGGER)
_MAX_ID = 200
COMPRESSIBLE = frozenset(
    (
        "application/json",
        "application/problem+json",
        "application/cloudevents-batch+json",
        "text/csv",
    )
)


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object on one line; `extra={"fields": {...}}` adds members."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        try:  # orjson: the same JSON (UTF-8, not escaped; compact), a tenth of the cost
            return orjson.dumps(line, default=str, option=_AS_JSON_DUMPS).decode()
        except TypeError:  # what orjson refuses (an integer beyond 64 bits) json.dumps writes
            return json.dumps(line, ensure_ascii=False, default=str)


# Values as `json.dumps(default=str)` writes them: dates and dataclasses through `str`, keys
# that are not strings as strings.
_AS_JSON_DUMPS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def configure_logging(log_format: str, level: str = "INFO") -> None:
    """Route pactlog's, Flask's and gunicorn's loggers through one JSON handler on stderr (or
    leave logging alone for `text`). Idempotent: tests build many apps."""
    if log_format != "json":
        return
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(JsonFormatter())
        root.addHandler(stream)
    root.setLevel(level.upper())
    for name in ("pactlog", "gunicorn.error"):
        logger = logging.getLogger(name)
        for handler in logger.handlers:
            handler.setFormatter(JsonFormatter())
    # Werkzeug's own line per request would repeat ours.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def register(app: Flask) -> None:
    configure_logging(services(app).settings.log_format, services(app).settings.log_level)
    app.before_request(_start)
    app.after_request(_finish)


def request_id() -> str:
    """This request's id: the client's `X-Request-ID` when it is sane, else a new one."""
    given = g.get("request_id")
    if given is None:
        given = request.headers.get(REQUEST_ID, "").strip()
        if not given or len(given) > _MAX_ID or not given.isprintable():
            given = uuid.uuid4().hex
        g.request_id = given
    return str(given)


def _start() -> None:
    g.access_started = time.perf_counter()
    request_id()


def _finish(response: Response) -> Response:
    given = request_id()
    response.headers[REQUEST_ID] = given
    _compress(response)
    status = response.status_code
    level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
    if not _ACCESS_LOG.isEnabledFor(level):  # nothing to build for a line nobody writes
        return response
    started = g.get("access_started")
    duration = time.perf_counter() - started if started is not None else 0.0
    method, path, rule = request.method, request.path, request.url_rule
    _ACCESS_LOG.log(
        level,
        "%s %s %s",
        method,
        path,
        status,
        extra={
            "fields": {
                "request_id": given,
                "method": method,
                "route": rule.rule if rule is not None else None,
                "path": path,
                "status": status,
                "duration_ms": round(duration * 1000, 2),
                "bytes": None if response.is_streamed else response.content_length,
                "pid": os.getpid(),
            }
        },
    )
    return response


def _compress(response: Response) -> None:
    """gzip a JSON or CSV answer for a client that accepts it; a strong ETag becomes weak (the
    bytes differ, the content does not: `If-None-Match` still matches)."""
    if response.mimetype not in COMPRESSIBLE:
        return
    response.vary.add("Accept-Encoding")
    if (
        response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
        or response.status_code < 200
        or response.status_code in (204, 304)
        or request.method == "HEAD"
    ):
        return
    body = response.get_data()
    # The size first: most answers (an append's) are small, and reading Accept-Encoding is not.
    if len(body) < settings().compress_min_bytes or request.accept_encodings["gzip"] <= 0:
        return
    response.set_data(gzip.compress(body, compresslevel=5))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)
