"""The write paths' figures (issue 13, items 2–4), each against its floor in the same run.

- the batch floor: validating the same 1,000 events with pactlog's own marshmallow schemas
  (`parse_event`) plus the library's batched save of the same payload, in-process, same store;
- hot streams: 8 connections appending to 1 partnership through 2 gunicorn workers, against 8
  connections over 8 partnerships (PostgreSQL: on SQLite one writer at a time serialises).

`python -m bench.write` runs only these figures (and the HTTP appends beside them) and prints
them; `python -m bench` includes them in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bench import load
from bench.load import Load
from bench.measure import (
    Ledger,
    create_partnerships,
    http_batch_rate,
    http_single_rate,
    library_app,
    library_single_rate,
    timed,
)
from bench.processes import gunicorn, projector
from bench.workload import investment_payload
from events.envelope import parse_event


@dataclass(frozen=True)
class Figure:
    """One row of the results, without its store (bench/__main__.py's `Row` adds it)."""

    figure: str
    ours: list[float]
    baseline: list[float]
    unit: str
    target: str
    higher_is_better: bool


def floor_rate(database_url: str, batches: int, batch_size: int) -> dict[str, float]:
    """Events per second of the work a batch append cannot skip: validating each event with
    pactlog's schemas, then the library's batched save of the same payload (and, apart, the
    bare library's batched save and the validation alone)."""
    app = library_app(database_url)
    payload = investment_payload(date(2020, 1, 1))
    payloads = [dict(payload) for _ in range(batch_size)]
    ledger = Ledger(name="floor")
    app.save(ledger)

    def validated_and_saved() -> None:
        for _ in range(batches):
            drafts = [parse_event(p, "floor") for p in payloads]
            for _ in drafts:
                ledger.record(payload=payload)
            app.save(ledger)

    def saved() -> None:
        for _ in range(batches):
            for _ in range(batch_size):
                ledger.record(payload=payload)
            app.save(ledger)

    def validated() -> None:
        for _ in range(batches):
            [parse_event(p, "floor") for p in payloads]

    events = batches * batch_size
    saved()  # warm the store and the schemas once
    rates = {
        "floor": events / timed(validated_and_saved),
        "library": events / timed(saved),
        "validate": events / timed(validated),
    }
    app.close()
    return rates


def hot_rates(base: str, connections: int, seconds: float, prefix: str) -> tuple[float, float]:
    """Single appends from `connections` connections (one wrk thread): over as many
    partnerships, then all to one partnership. Events per second of each."""
    spread_slugs = [f"{prefix}s-0-{n}" for n in range(connections)]
    create_partnerships(base, [*spread_slugs, f"{prefix}h-0-0"])
    body = investment_payload(date(2020, 1, 1))

    def run(name: str, partnerships: int) -> Load:
        done = load.appends(
            base,
            body,
            prefix=name,
            connections=connections,
            threads=1,
            per_thread=partnerships,
            seconds=seconds,
        )
        if done.errors or not done.requests:
            raise RuntimeError(f"{done.errors} of {done.requests} requests failed")
        return done

    spread = run(f"{prefix}s", connections)
    hot = run(f"{prefix}h", 1)
    return hot.rate, spread.rate


def http_figures(
    store: str,
    fresh: Callable[[], contextlib.AbstractContextManager[str]],
    sizes: Any,
    log: Callable[[str], None],
    batches: bool = True,
) -> list[Figure]:
    """Single and batch appends over HTTP (wrk), and the floors they are measured against
    (`batches=False`: single appends only).

    Each HTTP figure alternates with its baseline, run after run (the machine is shared: a
    baseline measured minutes apart from its figure says little). Batches are measured with
    the projector stopped (the floor projects nothing; on 2 cores a projector folding the
    batches takes the CPU the worker would use) and again with it running.
    """
    workers = 1 if store == "sqlite" else 2
    floors: dict[str, list[float]] = {"floor": [], "library": [], "validate": [], "single": []}
    batch: list[float] = []
    if batches:
        log(f"[{store}] batches over HTTP (gunicorn {workers} worker(s) x 8 threads) vs the floor")
        with fresh() as url, gunicorn(url, workers=workers) as api:
            for run in range(sizes.runs):
                with fresh() as floor_url:
                    for name, value in floor_rate(
                        floor_url, sizes.batches, sizes.batch_size
                    ).items():
                        floors[name].append(value)
                batch.append(
                    http_batch_rate(api.base, sizes.batch_size, sizes.batch_seconds, f"batch-{run}")
                )
    log(f"[{store}] appends over HTTP (gunicorn {workers} worker(s) x 8 threads, projector on)")
    single: list[float] = []
    batch_projected: list[float] = []
    for run in range(sizes.runs):
        with fresh() as floor_url:
            floors["single"].append(library_single_rate(floor_url, sizes.library_single))
        with fresh() as url, gunicorn(url, workers=workers) as api, projector(url):
            single.append(
                http_single_rate(
                    api.base, sizes.single_clients, sizes.single_seconds, f"single-{run}"
                ).rate
            )
            if batches:
                batch_projected.append(
                    http_batch_rate(
                        api.base, sizes.batch_size, sizes.batch_seconds, f"pbatch-{run}"
                    )
                )
    size = sizes.batch_size
    single_figure = Figure(
        f"single appends, {sizes.single_clients} HTTP connections, wrk (events/s)",
        single,
        floors["single"],
        "events/s",
        "≥ 1.0" if store == "postgres" else "≥ 0.5",
        True,
    )
    if not batches:
        return [single_figure]
    return [
        single_figure,
        Figure(
            f"{size}-event batches over HTTP, wrk, vs their floor: validating + the library's "
            "batched save (events/s)",
            batch,
            floors["floor"],
            "events/s",
            "≥ 0.7",
            True,
        ),
        Figure(
            f"{size}-event batches over HTTP, projector on, vs their floor (events/s)",
            batch_projected,
            floors["floor"],
            "events/s",
            "",
            True,
        ),
        Figure(
            f"{size}-event batches over HTTP, wrk, vs the bare library's batched save (events/s)",
            batch,
            floors["library"],
            "events/s",
            "",
            True,
        ),
        Figure(
            f"validating {size} events with pactlog's schemas vs the batch floor (events/s)",
            floors["validate"],
            floors["floor"],
            "events/s",
            "",
            True,
        ),
    ]


def hot_figures(
    store: str,
    fresh: Callable[[], contextlib.AbstractContextManager[str]],
    sizes: Any,
    log: Callable[[str], None],
) -> list[Figure]:
    """PostgreSQL only: one hot partnership across 2 workers vs the same load spread out."""
    if store != "postgres":
        return []
    log(f"[{store}] hot stream: {sizes.single_clients} connections, 1 vs 8 partnerships")
    hot: list[float] = []
    spread: list[float] = []
    for run in range(sizes.runs):
        with fresh() as url, gunicorn(url, workers=2) as api, projector(url):
            one, many = hot_rates(api.base, sizes.single_clients, sizes.single_seconds, f"hot{run}")
            hot.append(one)
            spread.append(many)
    connections = sizes.single_clients
    return [
        Figure(
            f"single appends, {connections} connections to 1 partnership vs to {connections}, "
            "2 workers (events/s)",
            hot,
            spread,
            "events/s",
            "≥ 0.8",
            True,
        )
    ]


def main(argv: list[str] | None = None) -> int:
    # Imported here: bench/__main__.py imports this module.
    from bench.__main__ import QUICK, Sizes, postgres_url, sqlite_url  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m bench.write", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=0)
    parser.add_argument(
        "--only", default="http,hot", help="http, hot, or single (the single appends of http)"
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/perfwrite")
    options = parser.parse_args(argv)
    sizes = QUICK if options.quick else Sizes()
    if options.runs:
        sizes = replace(sizes, runs=options.runs)
    clock = time.monotonic()

    def log(message: str) -> None:
        print(f"{time.monotonic() - clock:6.0f}s {message}", file=sys.stderr, flush=True)

    only = options.only.split(",")
    for store in options.stores.split(","):

        def fresh(store: str = store) -> contextlib.AbstractContextManager[str]:
            return sqlite_url() if store == "sqlite" else postgres_url(options.postgres)

        figures: list[Figure] = []
        if "http" in only:
            figures += http_figures(store, fresh, sizes, log)
        elif "single" in only:
            figures += http_figures(store, fresh, sizes, log, batches=False)
        if "hot" in only:
            figures += hot_figures(store, fresh, sizes, log)
        for f in figures:
            ours, base = statistics.median(f.ours), statistics.median(f.baseline)
            print(
                f"| {store} | {f.figure} | {ours:.4g} ({min(f.ours):.4g}–{max(f.ours):.4g}) "
                f"| {base:.4g} ({min(f.baseline):.4g}–{max(f.baseline):.4g}) "
                f"| {ours / base:.2f} | {f.target} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
