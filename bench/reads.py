"""Dashboard reads under load (issue 13, item 6): `wrk` with 32 connections on the reads a
dashboard makes of a long history, each beside the same server's `GET /healthz` rate measured
in the same run (the stack's floor); and conditional GETs (`If-None-Match`) answering 304.

Also the memory figure's ratio (item 8): peak RSS at the largest size over the smallest.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from bench import measure
from bench.load import wrk_path
from bench.processes import gunicorn
from bench.workload import last_day

CONNECTIONS = 32
THREADS = 2


class Figure(NamedTuple):
    """One row of the table, but its store (`bench.__main__.Row`)."""

    figure: str
    ours: list[float]
    baseline: list[float]
    unit: str
    target: str
    higher_is_better: bool
    paired: bool


@dataclass(frozen=True)
class Rate:
    requests: int
    rate: float
    errors: int


def wrk_get(base: str, path: str, seconds: float, headers: dict[str, str] | None = None) -> Rate:
    """GET `path` from `CONNECTIONS` keep-alive connections for `seconds` (wrk, 2 threads)."""
    command = [
        wrk_path(),
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    finished = subprocess.run([*command, base + path], capture_output=True, text=True, check=True)
    return parse_wrk(finished.stdout)


def parse_wrk(output: str) -> Rate:
    """Requests, requests/s and failures (non-2xx/3xx answers, socket errors) of wrk's text."""
    requests = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    if requests is None or rate is None:
        raise RuntimeError(f"wrk gave no result: {output}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket is not None:
        errors += sum(int(n) for n in socket.groups())
    return Rate(int(requests.group(1)), float(rate.group(1)), errors)


def dashboard_paths(slug: str, points: int) -> dict[str, str]:
    """The reads a dashboard makes of one partnership, by figure name."""
    end = last_day()
    first = end - timedelta(days=points - 1)
    base = f"/v1/partnerships/{slug}"
    return {
        "GET …/state": f"{base}/state",
        "GET …/state?as_of=": f"{base}/state?as_of={(end - timedelta(days=4500)).isoformat()}",
        f"a {points}-point series": (
            f"{base}/series/trust?from={first.isoformat()}&to={end.isoformat()}&step=day"
        ),
        "a 50-event timeline page": f"{base}/events?limit=50",
    }


def _etag(base: str, path: str) -> str:
    """The answer's ETag, checked to give a 304 when sent back."""
    client = measure.Client(base)
    try:
        client.connection.request("GET", path)
        response = client.connection.getresponse()
        response.read()
        etag = response.getheader("ETag")
        if response.status != 200 or not etag:
            raise RuntimeError(f"{path}: {response.status}, ETag {etag}")
        client.connection.request("GET", path, headers={"If-None-Match": etag})
        again = client.connection.getresponse()
        again.read()
        if again.status != 304:
            raise RuntimeError(f"{path}: {again.status} to If-None-Match {etag}")
        return etag
    finally:
        client.close()


def _warm(base: str, path: str, connections: int) -> None:
    """Answer `path` once on each of `connections` new connections, one after the other, so
    that every worker has kept its answer. (A burst from wrk's 32 connections instead had each
    worker fold the same first answer many times over, and the queue it left behind outlasted
    the burst: the next figure's first seconds answered nothing.)"""
    for _ in range(connections):
        client = measure.Client(base)
        try:
            client.connection.request("GET", path)
            response = client.connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status}")
        finally:
            client.close()


def bench_reads(
    store: str,
    url: str,
    slug: str,
    history: int,
    seconds: float,
    runs: int,
    log: Callable[[str], None],
) -> list[Figure]:
    """The figures of dashboard reads of partnership `slug` in `url`, of `history` events."""
    points = 365
    paths = dashboard_paths(slug, points)
    log(f"[{store}] dashboard reads, {CONNECTIONS} connections, {history:,}-event partnership")
    ours: dict[str, list[float]] = {name: [] for name in paths}
    conditional: dict[str, list[float]] = {name: [] for name in paths}
    # The floor is measured right before each sample (the machine's load drifts, and some of
    # its seconds are much slower than others: compare neighbours, pair by pair).
    floor: dict[str, list[float]] = {name: [] for name in paths}
    conditional_floor: dict[str, list[float]] = {name: [] for name in paths}
    workers = 1 if store == "sqlite" else 2
    with gunicorn(url, workers=workers) as api:
        for path in paths.values():
            _warm(api.base, path, 4 * workers)
        for _ in range(runs):
            for name, path in paths.items():
                floor[name].append(_checked(wrk_get(api.base, "/healthz", seconds)))
                ours[name].append(_checked(wrk_get(api.base, path, seconds)))
                etag = _etag(api.base, path)
                conditional_floor[name].append(_checked(wrk_get(api.base, "/healthz", seconds)))
                conditional[name].append(
                    _checked(wrk_get(api.base, path, seconds, {"If-None-Match": etag}))
                )
    rows = []
    size = f"{history:,}"
    for name in paths:
        rows.append(
            Figure(
                f"{name} of a {size}-event partnership, {CONNECTIONS} connections, "
                "vs GET /healthz (requests/s)",
                ours[name],
                floor[name],
                "requests/s",
                "≥ 0.5",
                True,
                True,
            )
        )
    for name in paths:
        rows.append(
            Figure(
                f"{name}, conditional (304), {CONNECTIONS} connections, "
                "vs GET /healthz (requests/s)",
                conditional[name],
                conditional_floor[name],
                "requests/s",
                "≥ 0.8",
                True,
                True,
            )
        )
    return rows


def _checked(done: Rate) -> float:
    if done.errors or not done.requests:
        raise RuntimeError(f"{done.errors} of {done.requests} requests failed")
    return done.rate
