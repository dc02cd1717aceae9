"""The figures: pactlog's and the bare library's, measured on the same store in the same run."""

from __future__ import annotations

import functools
import http.client
import json
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg import sql

from bench import load
from bench.load import Load
from bench.processes import TOKEN
from bench.workload import (
    START,
    formed_payload,
    history_drafts,
    investment_payload,
    last_day,
)
from events.envelope import EventDraft, parse_event
from service.config import store_env
from service.pactlog import PactlogService
from service.steps import Step, steps


class Ledger(Aggregate):
    """The library's own aggregate, carrying the same payload as a pactlog event."""

    @event("Opened")
    def __init__(self, name: str) -> None:
        self.name = name

    @event("Recorded")
    def record(self, payload: dict[str, Any]) -> None:
        self.last = payload


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def median_latency(work: Callable[[], object], repeats: int) -> float:
    work()  # warm caches once
    return statistics.median(timed(work) for _ in range(repeats))


# --- the library ----------------------------------------------------------------------------


def library_app(database_url: str) -> Application[Any]:
    """The bare library on the same store as pactlog (its own application recorder)."""
    env = {k: v for k, v in store_env(database_url).items() if k != "APPLICATION_RECORDER_TOPIC"}
    return Application(env=env)


def library_single_rate(database_url: str, count: int) -> float:
    """Events per second of the library saving one event per save (`count` of them)."""
    app = library_app(database_url)
    payload = investment_payload(date(2020, 1, 1))
    ledger = Ledger(name="single")
    app.save(ledger)

    def one_per_save() -> None:
        for _ in range(count):
            ledger.record(payload=payload)
            app.save(ledger)

    rate = count / timed(one_per_save)
    app.close()
    return rate


def replay_and_decode(app: Application[Any]) -> int:
    count, start = 0, 0
    while page := app.recorder.select_notifications(start, 2000, inclusive_of_start=False):
        for notification in page:
            app.mapper.to_domain_event(notification)
        count += len(page)
        start = page[-1].id
    return count


# --- over HTTP ------------------------------------------------------------------------------


class Client:
    """One keep-alive connection, as a dashboard or a loader would hold."""

    def __init__(self, base: str) -> None:
        url = urlparse(base)
        self.connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=120)

    def post(self, path: str, body: object) -> dict[str, Any]:
        self.connection.request(
            "POST",
            path,
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        )
        response = self.connection.getresponse()
        raw = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{path}: {response.status} {raw[:300]!r}")
        answer: dict[str, Any] = json.loads(raw)
        return answer

    def close(self) -> None:
        self.connection.close()


def create_partnerships(base: str, slugs: list[str]) -> None:
    client = Client(base)
    for slug in slugs:
        client.post("/v1/partnerships", {"slug": slug, **_partnership_fields(slug)})
    client.close()


def _partnership_fields(slug: str) -> dict[str, Any]:
    formed = formed_payload(slug)
    return {
        "name": formed["data"]["name"],
        "parties": formed["data"]["parties"],
        "occurred_on": formed["occurred_on"],
    }


def http_single_rate(base: str, connections: int, seconds: float, prefix: str) -> Load:
    """Single-event appends from `connections` keep-alive connections (wrk, 2 threads), each
    thread's requests spread over its own partnerships (one per connection)."""
    threads = min(2, connections)
    per_thread = max(1, connections // threads)
    create_partnerships(
        base, [f"{prefix}-{t}-{n}" for t in range(threads) for n in range(per_thread)]
    )
    return _checked(
        load.appends(
            base,
            investment_payload(date(2020, 1, 1)),
            prefix=prefix,
            connections=connections,
            threads=threads,
            per_thread=per_thread,
            seconds=seconds,
        )
    )


def http_batch_rate(base: str, batch_size: int, seconds: float, prefix: str) -> float:
    """Events per second in batches of `batch_size`, one connection sending them in turn."""
    create_partnerships(base, [f"{prefix}-0-0"])
    body = {"events": [investment_payload(date(2020, 1, 1)) for _ in range(batch_size)]}
    done = _checked(
        load.appends(
            base, body, prefix=prefix, connections=1, threads=1, per_thread=1, seconds=seconds
        )
    )
    return done.rate * batch_size


def _checked(done: Load) -> Load:
    if done.errors or not done.requests:
        raise RuntimeError(f"{done.errors} of {done.requests} requests failed")
    return done


# --- history length -------------------------------------------------------------------------


def build_history(service: PactlogService, slug: str, events: int, chunk: int = 1000) -> None:
    """A partnership with `events` investments spread over 25 years, appended in batches."""
    service.create_partnership(slug, parse_event(formed_payload(slug)))
    drafts = dated_drafts(events)
    for start in range(0, events, chunk):
        service.append(slug, drafts[start : start + chunk])


def settle(url: str) -> None:
    """PostgreSQL: vacuum and analyze the tables of `url`'s schema, as autovacuum does a minute
    after a large write (a fixture just built, a view rebuilt three times): a store that is
    read is in that state, and autovacuum's pass would otherwise fall inside measured seconds."""
    if not url.startswith("postgresql"):
        return
    parts = urlparse(url)
    schema = parse_qs(parts.query).get("schema", ["public"])[0]
    with psycopg.connect(parts._replace(query="").geturl(), autocommit=True) as connection:
        tables = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall()
        for (table,) in tables:
            connection.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(schema, table)))


def dated_drafts(count: int, span_days: int = 9000) -> list[EventDraft]:
    """`history_drafts(count)`, the same events, each day's draft validated once and reused
    for the other events of that day (a 1,000,000-event history has ~111 a day): the fixture
    is built at the append path's rate, not at the schema's."""
    step = span_days / max(count, 1)
    parsed: dict[int, EventDraft] = {}
    drafts = []
    for index in range(count):
        day = int(index * step) + 1
        draft = parsed.get(day)
        if draft is None:
            draft = parsed[day] = parse_event(investment_payload(START + timedelta(days=day)))
        drafts.append(draft)
    return drafts


def append_rate(service: PactlogService, slug: str, count: int) -> float:
    """Appends of news: dated after the history, as most appends are (one dated within it
    costs the projector about the same: see `backdated_cost`)."""
    draft = parse_event(investment_payload(last_day()))
    return count / timed(lambda: [service.append(slug, [draft]) for _ in range(count)])


def read_latencies(service: PactlogService, slug: str, repeats: int) -> dict[str, float]:
    middle = date(2000, 1, 1) + timedelta(days=4500)
    end = last_day()
    points = steps(end - timedelta(days=364), end, Step.DAY)
    return {
        "current": median_latency(lambda: service.state(slug), repeats),
        "as_of": median_latency(lambda: service.state(slug, as_of=middle), repeats),
        "as_of_end": median_latency(lambda: service.state(slug, as_of=end), repeats),
        "series": median_latency(lambda: service.series(slug, points), max(3, repeats // 4)),
        "points": float(len(points)),
    }


def projection_rate(service: PactlogService, slug: str, events: int, shuffled: bool) -> float:
    """Events per second the projector folds of one partnership's `events` investments,
    appended (then projected) in date order or in a random date order."""
    drafts = list(_validated(events))
    if shuffled:
        random.Random(events).shuffle(drafts)
    service.create_partnership(slug, parse_event(formed_payload(slug)))
    service.catch_up()
    for start in range(0, events, 1000):
        service.append(slug, drafts[start : start + 1000])
    return events / timed(service.catch_up)


@functools.cache
def _validated(events: int) -> tuple[EventDraft, ...]:
    """`history_drafts(events)`, validated once for every run of a figure (drafts are never
    changed: an append gives each an id of its own)."""
    return tuple(history_drafts(events))


def rows_per_event(service: PactlogService) -> float:
    """The most rows any table of the view holds, per event projected."""
    view = service.view
    events = service.last_position()
    counts = [
        int(view.read(f"SELECT COUNT(*) FROM {{{name}}}")[0][0])
        for name in ("rows", "changes", "checkpoints", "days", "current", "arrivals")
    ]
    return max(counts) / max(events, 1)


def backdated_cost(service: PactlogService, slug: str, count: int) -> tuple[float, float]:
    """The projector's median time for one event dated after the history and for one dated
    at random within it (each appended, then projected alone)."""
    rng = random.Random(count)
    today = parse_event(investment_payload(last_day()))

    def projected(draft: Any) -> float:
        service.append(slug, [draft])
        return timed(service.catch_up)

    after = [projected(today) for _ in range(count)]
    within = [
        projected(parse_event(investment_payload(date(2000, 1, 2) + timedelta(days=day))))
        for day in (rng.randrange(8990) for _ in range(count))
    ]
    return statistics.median(within), statistics.median(after)
