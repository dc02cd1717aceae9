"""Export → load round trip: the log of any timeline, exported as JSON Lines and loaded into
another store, gives the same answers (both stores); a streamed export keeps memory flat."""

from __future__ import annotations

import gc
import itertools
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings

from api.app import create_app
from api.services import services
from events.envelope import EventDraft, parse_event
from service.export import log_lines
from service.importing import import_events, records_of
from service.pactlog import PactlogService
from tests.builders import payload
from tests.conftest import POSTGRES_URL, Clock, postgres_schema_url
from tests.integration.test_bitemporal import as_of_dates, operations, perform, stream

_slugs = (f"trip-{n}" for n in itertools.count())
_RECORDED = ("recorded_at", "position", "hash")


@pytest.fixture
def target(database_url: str, tmp_path: Path) -> Iterator[PactlogService]:
    """A second, empty store of the same kind as `service`'s."""
    if database_url.startswith("sqlite"):
        url, schema = f"sqlite:///{tmp_path}/target.sqlite", None
    else:
        assert POSTGRES_URL
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = postgres_schema_url(POSTGRES_URL, schema)
    svc = PactlogService(url, clock=Clock(datetime(2026, 11, 15, tzinfo=UTC)))
    yield svc
    svc.close()
    if schema is not None:
        with psycopg.connect(str(POSTGRES_URL), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _plain(events: list[dict]) -> list[dict]:
    return [{k: v for k, v in e.items() if k not in _RECORDED} for e in events]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_an_exported_log_loads_into_another_store_and_answers_the_same(service, target, steps):
    slug = next(_slugs)
    start = service.last_position()
    perform(service, slug, steps)
    lines = [line.decode() for line in log_lines(service, after=start)]
    report = import_events(target, records_of(lines, "jsonl"))
    assert report.refused == []
    assert report.appended == len(lines)
    source_events, target_events = stream(service, slug), stream(target, slug)
    assert [e.id for e in source_events] == [e.id for e in target_events]
    # The same cut of knowledge in each store: after the same event of the stream.
    cuts = [(None, None), *((s.recorded_at, t.recorded_at) for s, t in
                            zip(source_events[::3], target_events[::3], strict=True))]  # fmt: skip
    for known_here, known_there in cuts:
        for as_of in as_of_dates(source_events):
            here = service.state(slug, as_of, known_here)
            there = target.state(slug, as_of, known_there)
            assert here.knowledge.version == there.knowledge.version
            if as_of is not None:
                assert here.state == there.state
                assert here.not_yet_counted == there.not_yet_counted
            trust_here = service.trust(slug, as_of or source_events[-1].occurred_on.end)
            trust_there = target.trust(slug, as_of or source_events[-1].occurred_on.end)
            assert (trust_here.trust, trust_here.contributions) == (
                trust_there.trust,
                trust_there.contributions,
            )
    assert _plain(service.timeline(slug, limit=1000).events) == _plain(
        target.timeline(slug, limit=1000).events
    )
    again = import_events(target, records_of(lines, "jsonl"))
    assert (again.appended, again.already_there) == (0, len(lines)), "a second load adds nothing"


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _investments(count: int) -> Iterator[EventDraft]:
    body = payload("InvestmentMade", "2021-03-04", amount="12.50")
    for n in range(count):
        yield parse_event({**body, "summary": f"investment number {n}, with some words"})


def test_a_streamed_export_of_100000_events_keeps_memory_flat(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/big.sqlite"
    service = PactlogService(url)
    service.create_partnership("big", parse_event(payload("PartnershipFormed", "2020-01-01")))
    drafts = _investments(100_000)
    while batch := list(itertools.islice(drafts, 5_000)):
        service.append("big", batch)
    service.close()
    app = create_app({"DATABASE_URL": url, "ANONYMOUS_READS": True})  # a worker, as served
    response = app.test_client().get("/v1/export/log", buffered=False)
    assert response.status_code == 200
    assert response.is_streamed
    gc.collect()
    samples: dict[int, int] = {}
    size, started = 0, time.perf_counter()
    for count, line in enumerate(response.response, start=1):
        size += len(line)
        if count in (10_000, 50_000, 100_001):
            samples[count] = _rss_kib()
    elapsed = time.perf_counter() - started
    response.close()
    services(app).close()
    grown = samples[100_001] - samples[10_000]
    print(
        f"\n[export] 100,001 events, {size / 1e6:.1f} MB of JSON Lines; RSS {samples} KiB, "
        f"{100_001 / elapsed:,.0f} events/s"
    )
    assert size > 50_000_000
    assert grown < 16 * 1024, f"RSS grew {grown} KiB from 10,000 to 100,001 events exported"
