"""Prometheus metrics at `GET /metrics`: requests, the log and projection lag, and each
partnership's headline figures.

Under gunicorn (`metrics_dir`, from `PROMETHEUS_MULTIPROC_DIR`, which gunicorn.conf.py sets up)
the request counters are prometheus-client's multiprocess ones: each worker writes its own file
and any worker's scrape sums them all. The figures read from the store are the same whichever
worker answers. No `_created` series: they only double what a scraper already knows."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from api.services import services
from api.web import operation

bp = Blueprint("metrics", __name__)


# --- Prometheus ----------------------------------------------------------------------------


@dataclass
class Instruments:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    # Each (endpoint, method, status)'s counter and histogram: `labels()` checks and converts
    # the labels under a lock on every call; the children it hands back never change.
    children: dict[tuple[str, str, str], tuple[Any, Any]] = field(default_factory=dict)

    def count(self, labels: tuple[str, str, str], seconds: float) -> None:
        """One request answered, in `seconds`."""
        pair = self.children.get(labels)
        if pair is None:
            pair = (self.requests.labels(*labels), self.latency.labels(*labels))
            self.children[labels] = pair
        pair[0].inc()
        pair[1].observe(seconds)


class _DomainCollector(Collector):
    """Figures read from the service at each scrape: the log, the lag, each partnership."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def describe(self) -> list[Metric]:
        return []  # nothing to read at registration

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("pactlog_store_up", "1 if the event store answered this scrape.")
        watch = services(self.app).existing_watch()
        if watch is not None:
            yield GaugeMetricFamily(
                "pactlog_streams_open", "Open /v1/stream responses here.", value=watch.streams
            )
        try:
            service = services(self.app).pactlog
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
            "pactlog_projection_lag_events",
            "Events (log positions) the read side trails the log by.",
            status.lag,
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
            "pactlog_invested_currency_units",
            "Invested totals, in units of the currency the `currency` label names.",
            labels=["partnership", "currency", "status"],
        )
        for p in partnerships:
            slug = p.slug
            if p.trust is not None:
                trust.add_metric([slug], float(p.trust))
            disputes.add_metric([slug], p.open_disputes)
            risks.add_metric([slug], p.open_risks)
            events.add_metric([slug], p.events)
            for currency, sums in p.invested.items():
                for kind in ("firm", "contingent", "paid"):
                    invested.add_metric([slug, currency, kind], float(sums[kind]))
        yield from (trust, disputes, risks, events, invested)


@bp.record_once
def _instrument(state: Any) -> None:
    """Each app gets its own registry (tests build many apps); with `metrics_dir` the request
    counters live in the shared files instead, and the registry reads them all."""
    app: Flask = state.app
    disable_created_metrics()  # type: ignore[no-untyped-call]
    registry = CollectorRegistry()
    shared = services(app).settings.metrics_dir
    if shared:
        MultiProcessCollector(registry, path=shared)  # type: ignore[no-untyped-call]
    own = None if shared else registry
    labels = ["endpoint", "method", "status"]
    app.extensions["pactlog.metrics"] = Instruments(
        registry,
        Counter("pactlog_http_requests", "HTTP requests answered.", labels, registry=own),
        Histogram(
            "pactlog_http_request_duration_seconds",
            "Time to answer (for a stream: to its first byte).",
            labels,
            registry=own,
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
        instruments.count(labels, time.perf_counter() - started)
    return response


@bp.get("/metrics")
@operation(response={"type": "string"}, media="text/plain", conditional=False)
def metrics() -> Response:
    """Prometheus metrics: requests and latencies, the log, the lag, each partnership."""
    instruments: Instruments = current_app.extensions["pactlog.metrics"]
    return current_app.response_class(
        generate_latest(instruments.registry), content_type=CONTENT_TYPE_LATEST
    )
