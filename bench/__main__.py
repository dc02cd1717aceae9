"""`python -m bench` (`make bench`): pactlog against the bare `eventsourcing` library, on SQLite
and PostgreSQL, every figure next to its baseline measured in the same run, as a ratio.

Prints a table and writes bench/RESULTS.md (machine, date, medians of several runs, spread).
`--quick` runs tiny sizes (the test suite's smoke test); `--million` adds the 1,000,000-event
memory figures on PostgreSQL too (SQLite always has them unless --quick) and the bulk load.
`--only GROUPS` runs only some groups of figures (comma-separated, of `GROUPS`: `appends`,
`history`, `order`, `rebuild`, `reads`, `streams` (on PostgreSQL when it is benched), `memory`,
`bulk`). `bulk` (`pactlog load` of a 1,000,000-line file, end to end: ~16 minutes on this
machine) runs with `--million`, `--only bulk` or `--quick`, not in `make bench`'s ten minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench import bulk, measure, reads, streams, write
from bench.processes import gunicorn, load, peak_rss_kib, projector
from bench.workload import last_day
from service.pactlog import PactlogService


@dataclass(frozen=True)
class Sizes:
    single_clients: int = 8
    single_seconds: float = 4
    batch_size: int = 1000
    batches: int = 3
    batch_seconds: float = 4
    library_single: int = 500
    small_history: int = 1_000
    big_history: int = 100_000
    appends: int = 200
    order_history: int = 10_000
    backdated: int = 20
    read_repeats: int = 20
    memory: tuple[int, ...] = (100_000, 1_000_000)
    bulk: int = 1_000_000
    runs: int = 3
    stream_clients: int = 2000
    stream_seconds: float = 4
    # Dashboard reads: more, shorter samples (each paired with its own /healthz sample): on
    # PostgreSQL's 2 workers a sample is slow when one worker happened to accept most of wrk's
    # connections, and the median of five pairs outvotes such a pair better than of three.
    dashboard_seconds: float = 1
    dashboard_runs: int = 5


# Two seconds for the wrk figures: on a loaded machine a fresh stack's first second can pass
# before an append is answered (the smoke test then saw 0 requests).
QUICK = Sizes(
    single_clients=4,
    single_seconds=2,
    batch_size=50,
    batches=2,
    batch_seconds=1,
    library_single=20,
    small_history=50,
    big_history=200,
    appends=10,
    order_history=300,
    backdated=3,
    read_repeats=3,
    memory=(100, 200),
    bulk=200,
    runs=1,
    stream_clients=20,
    stream_seconds=2,
    dashboard_seconds=1,
    dashboard_runs=1,
)
# Figure groups, for `--only` (all but `bulk` by default: see the module's note).
GROUPS = ("appends", "history", "order", "rebuild", "reads", "streams", "memory", "bulk")


@dataclass(frozen=True)
class Row:
    store: str
    figure: str
    ours: list[float]
    baseline: list[float]
    unit: str
    target: str
    higher_is_better: bool
    # Each of `ours` was measured right after its own baseline sample: the ratio is then the
    # median of the pairs' ratios, so a slow window of the machine slows both sides of a pair.
    paired: bool = False

    @property
    def ratio(self) -> float:
        if self.paired:
            pairs = zip(self.ours, self.baseline, strict=True)
            return statistics.median(ours / baseline for ours, baseline in pairs)
        return statistics.median(self.ours) / statistics.median(self.baseline)

    @property
    def met(self) -> bool | None:
        if not self.target:
            return None
        bound = float(self.target.split()[-1])
        return self.ratio >= bound if self.higher_is_better else self.ratio <= bound

    def spread(self, values: list[float]) -> str:
        if len(values) < 2:
            return ""
        return f" ({min(values):.4g}–{max(values):.4g})"


@contextlib.contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/bench.sqlite"


@contextlib.contextmanager
def postgres_url(base: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}?schema={schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def repeat(runs: int, work: Callable[[], float]) -> list[float]:
    return [work() for _ in range(runs)]


def bench_order(
    store: str,
    fresh: Callable[[], contextlib.AbstractContextManager[str]],
    sizes: Sizes,
    log: Callable[[str], None],
) -> list[Row]:
    """One partnership's history projected in a random date order vs in date order."""
    rows: list[Row] = []
    order = f"{sizes.order_history:,}"
    log(f"[{store}] {order} events of one partnership projected, in random vs in date order")
    in_order: list[float] = []
    shuffled: list[float] = []
    rows_per_event: list[float] = []
    for _ in range(sizes.runs):
        with fresh() as url:
            service = PactlogService(url)
            in_order.append(
                measure.projection_rate(service, "in-order", sizes.order_history, False)
            )
            service.close()
        with fresh() as url:
            service = PactlogService(url)
            shuffled.append(measure.projection_rate(service, "shuffled", sizes.order_history, True))
            rows_per_event.append(measure.rows_per_event(service))
            service.close()
    rows.append(
        Row(
            store,
            f"projecting {order} events of one partnership in random vs in date order (events/s)",
            shuffled,
            in_order,
            "events/s",
            "≥ 0.5",
            True,
        )
    )
    rows.append(
        Row(
            store,
            f"rows per event in the view's largest table, {order} events in random date order",
            rows_per_event,
            [1.0] * len(rows_per_event),
            "rows",
            "≤ 3",
            False,
        )
    )
    return rows


def bench_store(
    store: str,
    fresh: Callable[[], contextlib.AbstractContextManager[str]],
    sizes: Sizes,
    million: bool,
    log: Callable[[str], None],
    only: tuple[str, ...] = GROUPS,
) -> list[Row]:
    rows: list[Row] = []
    if "appends" in only:
        rows += [Row(store, *astuple(f)) for f in write.http_figures(store, fresh, sizes, log)]
        rows += [Row(store, *astuple(f)) for f in write.hot_figures(store, fresh, sizes, log)]
    if {"history", "order", "rebuild", "reads"} & set(only):
        # One long history serves the history figures, the rebuild and the dashboard reads:
        # building it is a minute of the bench's ten on PostgreSQL.
        with fresh() as url:
            rows += bench_history(store, url, fresh, sizes, log, only)
            if "reads" in only:
                measure.settle(url)
                figures = reads.bench_reads(
                    store,
                    url,
                    "big",
                    sizes.big_history,
                    sizes.dashboard_seconds,
                    sizes.dashboard_runs,
                    log,
                )
                rows += [Row(store, *figure) for figure in figures]
    if "memory" in only:
        rows += bench_memory(store, fresh, sizes, million, log)
    if "bulk" in only:
        rows += bench_bulk(store, fresh, sizes, log)
    return rows


def bench_history(
    store: str,
    url: str,
    fresh: Callable[[], contextlib.AbstractContextManager[str]],
    sizes: Sizes,
    log: Callable[[str], None],
    only: tuple[str, ...],
) -> list[Row]:
    """A partnership of `big_history` events in `url` (and one of `small_history`), and the
    figures of the groups history, order and rebuild that are asked for."""
    rows: list[Row] = []
    runs = {group: sizes.runs if group in only else 0 for group in GROUPS}
    small, big = f"{sizes.small_history:,}", f"{sizes.big_history:,}"
    log(f"[{store}] history of {sizes.small_history:,} vs {sizes.big_history:,} events")
    service = PactlogService(url)
    try:
        measure.build_history(service, "small", sizes.small_history)
        measure.build_history(service, "big", sizes.big_history)
        service.catch_up()
        measure.settle(url)
        append_small = repeat(
            runs["history"], lambda: measure.append_rate(service, "small", sizes.appends)
        )
        append_big = repeat(
            runs["history"], lambda: measure.append_rate(service, "big", sizes.appends)
        )
        service.catch_up()
        reads_small = [
            measure.read_latencies(service, "small", sizes.read_repeats)
            for _ in range(runs["history"])
        ]
        reads_big = [
            measure.read_latencies(service, "big", sizes.read_repeats)
            for _ in range(runs["history"])
        ]
        backdated = [
            measure.backdated_cost(service, "big", sizes.backdated) for _ in range(runs["history"])
        ]
        total = service.last_position()
        rebuild = repeat(runs["rebuild"], lambda: total / measure.timed(service.rebuild))
        replay = repeat(
            runs["rebuild"],
            lambda: total / measure.timed(lambda: measure.replay_and_decode(service.app)),
        )
    finally:
        service.close()
    rows.append(
        Row(
            store,
            f"append cost at {big} vs {small} history (s/event)",
            [1 / r for r in append_big],
            [1 / r for r in append_small],
            "s",
            "≤ 1.5",
            False,
        )
    )
    rows.append(
        Row(
            store,
            f"current-state read at {big} vs {small} history (s)",
            [r["current"] for r in reads_big],
            [r["current"] for r in reads_small],
            "s",
            "≤ 1.5",
            False,
        )
    )
    rows.append(
        Row(
            store,
            f"as_of read on {big} vs {small} history (s)",
            [r["as_of"] for r in reads_big],
            [r["as_of"] for r in reads_small],
            "s",
            "≤ 5",
            False,
        )
    )
    points = int(reads_big[0]["points"]) if reads_big else 0
    rows.append(
        Row(
            store,
            f"{points}-point series vs one as_of answer, {big} history (s)",
            [r["series"] for r in reads_big],
            [r["as_of_end"] for r in reads_big],
            "s",
            "≤ 2",
            False,
        )
    )
    rows.append(
        Row(
            store,
            f"projector time of one event dated within a {big} history vs one dated after it (s)",
            [within for within, _ in backdated],
            [after for _, after in backdated],
            "s",
            "≤ 2",
            False,
        )
    )
    if "order" in only:
        rows += bench_order(store, fresh, sizes, log)
    rows.append(
        Row(
            store,
            f"rebuild all projections, {total:,} events (events/s)",
            rebuild,
            replay,
            "events/s",
            "≥ 0.5",
            True,
        )
    )

    return [row for row in rows if row.ours]


def bench_memory(
    store: str,
    fresh: Callable[[], contextlib.AbstractContextManager[str]],
    sizes: Sizes,
    million: bool,
    log: Callable[[str], None],
) -> list[Row]:
    """Peak RSS of an API worker and of the projector at the largest history vs the smallest
    (PostgreSQL: only with --million when the largest is 1,000,000 events)."""
    if store == "postgres" and not million and max(sizes.memory) >= 1_000_000:
        return []
    log(f"[{store}] peak memory at {', '.join(f'{e:,}' for e in sizes.memory)} events")

    def peak(events: int) -> tuple[int, int]:
        with fresh() as url:
            return memory_at(url, events)

    # Side by side, each on its own store: peak RSS does not depend on the time it takes, and
    # the largest is bound by its projector (one core), which leaves room for the others.
    with ThreadPoolExecutor(len(sizes.memory)) as pool:
        peaks = dict(zip(sizes.memory, pool.map(peak, sizes.memory), strict=True))
    small, big = min(peaks), max(peaks)
    return [
        Row(
            store,
            f"peak RSS at {big:,} vs {small:,} events: {name} (MiB)",
            [peaks[big][index] / 1024],
            [peaks[small][index] / 1024],
            "MiB",
            "≤ 1.2",
            False,
        )
        for index, name in enumerate(("API worker", "projector"))
    ]


def bench_bulk(
    store: str,
    fresh: Callable[[], contextlib.AbstractContextManager[str]],
    sizes: Sizes,
    log: Callable[[str], None],
) -> list[Row]:
    """`pactlog load` of a `sizes.bulk`-line JSON Lines file in a process of its own, the
    projector beside it, timed until every event is projected; against the batch floor measured
    right before and right after it."""
    log(f"[{store}] pactlog load of {sizes.bulk:,} events, end to end with projection")

    def floor() -> float:
        with fresh() as url:
            return write.floor_rate(url, sizes.batches, sizes.batch_size)["floor"]

    floors = [floor()]
    with fresh() as url, tempfile.TemporaryDirectory() as folder:
        history = Path(folder) / "history.jsonl"
        bulk.write_history(history, "bulk", sizes.bulk)
        service = PactlogService(url, project_inline=False)
        with projector(url) as process:
            started = time.monotonic()
            loader_kib = load(url, history)
            target = service.last_position()
            while service.projected_position() < target:
                if process.poll() is not None:
                    raise RuntimeError("the projector exited")
                time.sleep(0.2)
            seconds = time.monotonic() - started
        service.close()
    floors.append(floor())
    log(f"[{store}] loaded in {seconds:.0f} s, loader peak RSS {loader_kib / 1024:.0f} MiB")
    return [
        Row(
            store,
            f"`pactlog load` of {sizes.bulk:,} events from JSON Lines, end to end with "
            f"projection ({seconds:.0f} s; loader peak RSS {loader_kib / 1024:.0f} MiB) vs the "
            "batch floor (events/s)",
            [(sizes.bulk + 1) / seconds],
            floors,
            "events/s",
            "≥ 0.7",
            True,
        )
    ]


def bench_streams(
    store: str,
    fresh: Callable[[], contextlib.AbstractContextManager[str]],
    sizes: Sizes,
    log: Callable[[str], None],
) -> list[Row]:
    """Idle live streams in the production layout (bench/streams.py)."""
    clients = f"{sizes.stream_clients:,}"
    log(f"[{store}] {clients} idle streams behind nginx, one append; appends beside them")
    workers = 1 if store == "sqlite" else 2
    with fresh() as url:
        figures = streams.stream_figures(
            url, sizes.stream_clients, workers, sizes.stream_seconds, sizes.runs
        )
    return [
        Row(
            store,
            f"live streams: one append reaches {clients} idle streams, p99 (s)",
            figures.delivery_p99,
            [1.0] * len(figures.delivery_p99),
            "s",
            "≤ 2",
            False,
        ),
        Row(
            store,
            f"live streams: single appends with {clients} streams open vs none (events/s)",
            figures.rate_with,
            figures.rate_without,
            "events/s",
            "≥ 0.8",
            True,
        ),
    ]


def memory_at(url: str, events: int) -> tuple[int, int]:
    """Peak RSS (KiB) of the projector projecting `events` (as they are appended, as in
    production: the fixture is built beside it, on the other core), then of an API worker
    reading."""
    service = PactlogService(url, project_inline=False)
    with projector(url) as process:
        measure.build_history(service, "memory", events, chunk=5000)
        target = service.last_position()
        while service.projected_position() < target:
            if process.poll() is not None:
                raise RuntimeError("the projector exited")
            time.sleep(0.2)
        projector_kib = peak_rss_kib(process.pid)
    service.close()
    with gunicorn(url, workers=1, threads=4) as api:
        client = measure.Client(api.base)
        end = last_day().isoformat()
        for path in (
            "/v1/partnerships/memory/state",
            f"/v1/partnerships/memory/state?as_of={end}",
            "/v1/partnerships/memory/events?limit=100",
            "/v1/partnerships",
            "/v1/events?after=0&limit=100",
        ):
            client.connection.request("GET", path)
            client.connection.getresponse().read()
        client.close()
        api_kib = max(peak_rss_kib(pid) for pid in api.worker_pids())
    return api_kib, projector_kib


def machine() -> str:
    cpus = os.cpu_count()
    memory = ""
    with contextlib.suppress(OSError):
        total = next(
            line
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f", {int(total.split()[1]) // 1024 // 1024} GiB"
    postgres = subprocess.run(
        ["psql", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return (
        f"{platform.machine()}, {cpus} cores{memory}; Python {platform.python_version()}; "
        f"SQLite {__import__('sqlite3').sqlite_version}; {postgres}"
    )


def render(rows: list[Row], sizes: Sizes, started: datetime, seconds: float) -> str:
    lines = [
        "# pactlog benchmark",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC, {seconds:.0f} s",
        f"- machine: {machine()}",
        f"- runs per figure: {sizes.runs}, dashboard reads {sizes.dashboard_runs} of "
        f"{sizes.dashboard_seconds:g} s (medians; the spread is min–max in brackets)",
        "- every ratio is pactlog's figure over the baseline measured in the same run",
        "",
        "| store | figure | pactlog | baseline | ratio | target | met |",
        "| --- | --- | ---: | ---: | ---: | ---: | :---: |",
    ]
    for row in rows:
        baseline = f"{statistics.median(row.baseline):.4g}{row.spread(row.baseline)}"
        ratio = f"{row.ratio:.2f}"
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        lines.append(
            f"| {row.store} | {row.figure} | {statistics.median(row.ours):.4g}"
            f"{row.spread(row.ours)} | {baseline} | {ratio} | {row.target} | {met} |"
        )
    lines += [
        "",
        "Baselines: the library's one-event-per-save and batched rates (`Application.save` of",
        "an aggregate carrying the same payload, in-process, same store); a batch's floor",
        "(validating its events with pactlog's schemas + the library's batched save, alternated",
        "with the batches over HTTP); 8 connections over 8 partnerships for the hot one (2",
        "workers, PostgreSQL); its replay-and-decode",
        "rate over pactlog's own log; and for the history figures, the same pactlog figure on a",
        "1,000-event partnership (or one `as_of` answer, for the series). Out of date order:",
        "the projector's time for one event dated within the history over one dated after it;",
        "the same events projected in date order (the rate's baseline); rows per event is the",
        "largest of the view's tables over the events projected (baseline: one row). Live",
        "streams: the p99 over the idle clients of an append's delivery, in seconds (baseline",
        "1 s), and the single-append rate with them open over the same stack's rate without;",
        "memory: peak RSS at the largest history over the smallest. Bulk load: the batch floor",
        "right before and right after the load. Dashboard reads: each",
        "sample right after its own `GET /healthz` sample; their ratio is the median of the",
        "pairs' ratios.",
        "",
        "How the figures are made, the profiles of those not met and what was tried:",
        "docs/performance.md.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--million", action="store_true", help="1M-event memory on PostgreSQL too")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument(
        "--only", default=",".join(GROUPS), help=f"figure groups, of {','.join(GROUPS)}"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "PACTLOG_BENCH_DATABASE_URL",
            os.environ.get(
                "PACTLOG_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
            ),
        ),
    )
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "RESULTS.md")
    options = parser.parse_args(argv)
    only = tuple(options.only.split(","))
    if options.only == parser.get_default("only") and not (options.quick or options.million):
        only = tuple(group for group in only if group != "bulk")
    unknown = sorted(set(only) - set(GROUPS))
    if unknown:
        parser.error(f"--only: unknown group(s) {', '.join(unknown)}; of {', '.join(GROUPS)}")
    sizes = QUICK if options.quick else Sizes()
    started, clock = datetime.now(UTC), time.monotonic()

    def log(message: str) -> None:
        print(f"{time.monotonic() - clock:6.0f}s {message}", file=sys.stderr, flush=True)

    rows: list[Row] = []
    stores = options.stores.split(",")
    # Live streams on the production store (PostgreSQL) when it is benched.
    stream_store = "postgres" if "postgres" in stores else stores[0]
    for store in stores:

        def fresh(store: str = store) -> contextlib.AbstractContextManager[str]:
            return sqlite_url() if store == "sqlite" else postgres_url(options.postgres)

        if "streams" in only and store == stream_store:
            rows += bench_streams(store, fresh, sizes, log)
        rows += bench_store(store, fresh, sizes, options.million, log, only)
    report = render(rows, sizes, started, time.monotonic() - clock)
    print(report)
    options.output.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
