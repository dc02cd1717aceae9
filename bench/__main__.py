"""`python -m bench`: pactlog's write and rebuild rates next to the bare library's, same run.

Each figure is events per second; the ratio is pactlog / library. Sizes are small by default
(`--events N` to change); the full benchmark of the design's targets builds on this.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from service.config import store_env
from service.pactlog import PactlogService
from tests.builders import draft, formed


class Ledger(Aggregate):
    """The library's own kind of aggregate, carrying a payload like pactlog's."""

    @event("Opened")
    def __init__(self, name: str) -> None:
        self.name = name

    @event("Recorded")
    def record(self, payload: dict[str, Any]) -> None:
        self.last = payload


PAYLOAD = draft("InvestmentMade").content("bench")


def rate(count: int, work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def library_rates(url: str, events: int) -> dict[str, float]:
    env = {k: v for k, v in store_env(url).items() if k != "APPLICATION_RECORDER_TOPIC"}
    app: Application[Any] = Application(env=env)
    ledger = Ledger(name="bench")
    app.save(ledger)

    def one_per_save() -> None:
        for _ in range(events):
            ledger.record(payload=PAYLOAD)
            app.save(ledger)

    def batches() -> None:
        for _ in range(events // 100):
            for _ in range(100):
                ledger.record(payload=PAYLOAD)
            app.save(ledger)

    def replay() -> None:
        start = 0
        while page := app.recorder.select_notifications(start, 500, inclusive_of_start=False):
            for notification in page:
                app.mapper.to_domain_event(notification)
            start = page[-1].id

    figures = {
        "single": rate(events, one_per_save),
        "batch100": rate(events - events % 100, batches),
    }
    figures["single x8"] = figures["single"]  # the library's one-event-per-save rate
    figures["replay"] = rate(2 * events, replay)
    app.close()
    return figures


def pactlog_rates(url: str, events: int) -> dict[str, float]:
    service = PactlogService(url, project_inline=False)
    service.create_partnership("bench", formed())

    def one_per_append() -> None:
        for _ in range(events):
            service.append("bench", [draft("InvestmentMade")])

    def batches() -> None:
        for _ in range(events // 100):
            service.append("bench", [draft("InvestmentMade") for _ in range(100)])

    def eight_writers() -> None:
        def writer() -> None:
            for _ in range(events // 8):
                service.append("bench", [draft("InvestmentMade")])

        threads = [threading.Thread(target=writer) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    figures = {
        "single": rate(events, one_per_append),
        "single x8": rate(events - events % 8, eight_writers),
        "batch100": rate(events - events % 100, batches),
    }
    figures["replay"] = rate(3 * events, service.catch_up)
    service.close()
    return figures


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/bench.sqlite"


@contextmanager
def postgres_url(base: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}?schema={schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "PACTLOG_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/test"
        ),
    )
    options = parser.parse_args()
    print(f"{'store':<10} {'figure':<10} {'library/s':>10} {'pactlog/s':>10} {'ratio':>6}")
    stores: list[tuple[str, Any]] = [("sqlite", sqlite_url())]
    if options.postgres:
        stores.append(("postgres", postgres_url(options.postgres)))
    for name, context in stores:
        with context as url:
            library = library_rates(url, options.events)
        with sqlite_url() if name == "sqlite" else postgres_url(options.postgres) as url:
            ours = pactlog_rates(url, options.events)
        for figure in ("single", "single x8", "batch100", "replay"):
            print(
                f"{name:<10} {figure:<10} {library[figure]:>10.0f} {ours[figure]:>10.0f} "
                f"{ours[figure] / library[figure]:>6.2f}"
            )


if __name__ == "__main__":
    main()
