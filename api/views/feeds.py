"""Feeds for dashboards: the log live (Server-Sent Events), time series (JSON or CSV), and
Prometheus metrics.

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

import csv
import io
import json
import os
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from marshmallow import ValidationError, fields, validate, validates_schema
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from api import extensions
from api.errors import Problem, invalid
from api.schemas import MAX_POSITION, Instant, PeriodBound, StreamKnowledge, Strict
from api.views._common import knows
from api.views.log import cloud_event
from api.web import Header, operation
from events.dates import PartialDate
from events.fields import Slug
from service.pactlog import PactlogService
from service.steps import Step, TooManyPoints, steps

bp = Blueprint("feeds", __name__)

METRICS = ("trust", "invested", "open_disputes", "open_risks", "events")
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


# --- time series ---------------------------------------------------------------------------


class SeriesQuery(Strict):
    from_ = PeriodBound(
        edge="start",
        data_key="from",
        load_default=None,
        metadata={"description": "The first point (default: the partnership's first event)."},
    )
    to = PeriodBound(
        load_default=None,
        metadata={"description": "The last point at most (default: today, or `as_of`)."},
    )
    step = fields.String(
        load_default=Step.MONTH.value,
        validate=validate.OneOf([s.value for s in Step]),
        metadata={"description": "day, week, month or quarter (months: the 1st of each)."},
    )
    as_of = PeriodBound(
        load_default=None,
        metadata={"description": "Valid time: the series ends at this date."},
    )
    known_at = Instant(
        load_default=None,
        metadata={"description": "Transaction time: only events recorded by this instant."},
    )
    format = fields.String(
        load_default=None,
        validate=validate.OneOf(("json", "csv")),
        metadata={"description": "csv or json; default: by the Accept header, else JSON."},
    )
    min_position = fields.Integer(
        load_default=None,
        validate=validate.Range(min=0, max=MAX_POSITION),
        metadata={"description": "Wait until the answer reflects at least this log position."},
    )

    @validates_schema
    def _ordered(self, values: dict[str, Any], **kwargs: Any) -> None:
        start, end = values.get("from_"), values.get("to")
        if start and end and start > end:
            raise ValidationError("`from` is after `to`.", "from")


class SeriesOut(StreamKnowledge):
    metric = fields.String(required=True)
    step = fields.String(required=True)
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)
    points = fields.List(
        fields.Dict(),
        required=True,
        metadata={
            "description": "`{at, value}` per point; `invested` gives per currency "
            "`{committed, paid}` as decimal strings."
        },
    )


@dataclass(frozen=True)
class Series:
    """One metric at each point, computed in one pass; what the API and the page show."""

    slug: str
    metric: str
    step: Step
    start: date
    end: date
    knowledge: Any
    points: list[dict[str, Any]]

    @property
    def currencies(self) -> list[str]:
        found: set[str] = set()
        for point in self.points:
            if isinstance(point["value"], dict):
                found |= set(point["value"])
        return sorted(found)


def window(
    service: PactlogService,
    slug: str,
    start: date | None,
    end: date | None,
    as_of: date | None,
    known_at: Any,
) -> tuple[date, date]:
    """The first and last day a series covers: by default from the first event to today (or
    `as_of`); `as_of` caps `to`."""
    if end is None:
        end = as_of or service.clock().date()
    elif as_of is not None:
        end = min(end, as_of)
    if start is None:
        _, first, _ = service.timeline(slug, known_at=known_at, limit=1)
        start = PartialDate.parse(first[0]["occurred_on"]).start if first else end
        start = min(start, end)
    return start, end


def headline_series(
    service: PactlogService,
    slug: str,
    start: date,
    end: date,
    step: Step,
    known_at: Any = None,
) -> tuple[Any, list[dict[str, Any]]]:
    """Every headline figure at each step from `start` to `end`: one pass over the events."""
    try:
        points = steps(start, end, step)
    except TooManyPoints as error:
        raise invalid({"step": [str(error)]}) from None
    return service.series(slug, points, known_at)


def pick(metric: str, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One metric's `{at, value}` records from the headline rows (invested: every currency
    seen in the series at every point, "0" before its first investment)."""
    if metric != "invested":
        return [{"at": row["at"], "value": row[metric]} for row in rows]
    currencies = sorted({code for row in rows for code in row["invested"]})
    zero = {"committed": "0", "paid": "0"}
    return [
        {"at": row["at"], "value": {c: dict(row["invested"].get(c, zero)) for c in currencies}}
        for row in rows
    ]


@bp.get("/v1/partnerships/<slug:slug>/series/<metric>")
@operation(query=SeriesQuery, response=SeriesOut, errors=(404, 422))
def series(slug: str, metric: str, args: dict[str, Any]) -> Any:
    """A time series: trust, invested, open_disputes, open_risks or events (JSON or CSV).

    One value per step (`day`, `week`, `month`, `quarter`) from `from` to `to`, each the state
    as of that date (as known at `known_at`), all computed in one pass over the events.
    `invested` is cumulative, per currency, committed and paid. CSV with `Accept: text/csv` or
    `format=csv`: `at,<metric>` (invested: `at,USD_committed,USD_paid,…`).
    """
    if metric not in METRICS:
        raise Problem(
            "not-found", f"No metric {metric!r}; there are {', '.join(METRICS)}.", metric=metric
        )
    service = extensions.pactlog()
    start, end = window(service, slug, args["from_"], args["to"], args["as_of"], args["known_at"])
    step = Step(args["step"])
    knowledge, rows = headline_series(service, slug, start, end, step, args["known_at"])
    answer = Series(slug, metric, step, start, end, knowledge, pick(metric, rows))
    if _wants_csv(args["format"]):
        return _csv_response(answer)
    return {
        **knows(slug, knowledge),
        "as_of": args["as_of"],
        "metric": metric,
        "step": step.value,
        "from_": start,
        "to": end,
        "points": answer.points,
    }


def _wants_csv(format_: str | None) -> bool:
    if format_ is not None:
        return format_ == "csv"
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv"


def series_csv(answer: Series) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if answer.metric == "invested":
        currencies = answer.currencies
        writer.writerow(["at", *(f"{c}_{s}" for c in currencies for s in ("committed", "paid"))])
        for point in answer.points:
            value = point["value"]
            writer.writerow(
                [point["at"], *(value[c][s] for c in currencies for s in ("committed", "paid"))]
            )
    else:
        writer.writerow(["at", answer.metric])
        for point in answer.points:
            writer.writerow([point["at"], point["value"]])
    return out.getvalue()


def _csv_response(answer: Series) -> Response:
    response = current_app.response_class(series_csv(answer), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'inline; filename="{answer.slug}-{answer.metric}.csv"'
    )
    response.headers["Pactlog-Position"] = str(answer.knowledge.position)
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    response.make_conditional(request)
    return response


# --- Prometheus ----------------------------------------------------------------------------


@dataclass
class Instruments:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram


class _DomainCollector(Collector):
    """Figures read from the service at each scrape: the log, the lag, each partnership."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def describe(self) -> list[Metric]:
        return []  # nothing to read at registration

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("pactlog_store_up", "1 if the event store answered this scrape.")
        watch = self.app.extensions.get("pactlog.logwatch")
        if watch is not None and self.app.extensions.get("pactlog.logwatch.pid") == os.getpid():
            yield GaugeMetricFamily(
                "pactlog_streams_open", "Open /v1/stream responses here.", value=watch.streams
            )
        try:
            service = extensions.pactlog(self.app)
            status = service.status()
            partnerships = service.partnerships()
        except Exception as error:
            self.app.logger.warning("metrics: the store did not answer: %s", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "pactlog_log_position", "The last position of the global log.", status.log_position
        )
        yield GaugeMetricFamily(
            "pactlog_projected_position",
            "The last log position the read side reflects.",
            status.projected_position,
        )
        yield GaugeMetricFamily(
            "pactlog_projection_lag", "Positions the read side trails the log by.", status.lag
        )
        trust = GaugeMetricFamily(
            "pactlog_trust_level", "Trust level now (0-100).", labels=["partnership"]
        )
        disputes = GaugeMetricFamily(
            "pactlog_open_disputes", "Disputes open now.", labels=["partnership"]
        )
        risks = GaugeMetricFamily("pactlog_open_risks", "Risks open now.", labels=["partnership"])
        events = GaugeMetricFamily(
            "pactlog_partnership_events", "Events folded.", labels=["partnership"]
        )
        invested = GaugeMetricFamily(
            "pactlog_invested",
            "Invested totals, in units of the currency.",
            labels=["partnership", "currency", "status"],
        )
        for p in partnerships:
            slug = p["slug"]
            if p["trust"] is not None:
                trust.add_metric([slug], float(p["trust"]))
            disputes.add_metric([slug], p["open_disputes"])
            risks.add_metric([slug], p["open_risks"])
            events.add_metric([slug], p["events"])
            for currency, sums in p["invested"].items():
                for kind in ("committed", "paid"):
                    invested.add_metric([slug, currency, kind], float(sums[kind]))
        yield from (trust, disputes, risks, events, invested)


@bp.record_once
def _instrument(state: Any) -> None:
    """Each app gets its own registry (tests build many apps; nothing is global)."""
    app: Flask = state.app
    registry = CollectorRegistry()
    labels = ["endpoint", "method", "status"]
    app.extensions["pactlog.metrics"] = Instruments(
        registry,
        Counter("pactlog_http_requests", "HTTP requests answered.", labels, registry=registry),
        Histogram(
            "pactlog_http_request_duration_seconds",
            "Time to answer (for a stream: to its first byte).",
            labels,
            registry=registry,
        ),
    )
    registry.register(_DomainCollector(app))


@bp.before_app_request
def _started() -> None:
    g.pactlog_started = time.perf_counter()


@bp.after_app_request
def _count(response: Response) -> Response:
    instruments: Instruments | None = current_app.extensions.get("pactlog.metrics")
    started = g.get("pactlog_started")
    if instruments is not None and started is not None:
        rule = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
        labels = (rule, request.method, str(response.status_code))
        instruments.requests.labels(*labels).inc()
        instruments.latency.labels(*labels).observe(time.perf_counter() - started)
    return response


@bp.get("/metrics")
@operation(response={"type": "string"}, media="text/plain", conditional=False)
def metrics() -> Response:
    """Prometheus metrics: requests and latencies, the log, the lag, each partnership."""
    instruments: Instruments = current_app.extensions["pactlog.metrics"]
    return current_app.response_class(
        generate_latest(instruments.registry), content_type=CONTENT_TYPE_LATEST
    )
