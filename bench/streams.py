"""Live streams at scale: the production layout (nginx in front of the API's gunicorn and the
stream process, deploy/nginx.conf; the projector beside them) holding thousands of idle
`/v1/stream` clients.

The clients are dashboards of one partnership (`?partnership=news`), opened by one asyncio
loop in a thread of this process (a socket and a small buffer each: the client is cheap). The
figures: how long after one append to that partnership every client has its event (p99 over
the clients), and the single-append rate (wrk, to other partnerships, as the append figure)
with the streams open over the same stack's rate without them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import resource
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from urllib.parse import urlparse

from bench import measure
from bench.processes import TOKEN, gunicorn, nginx, projector
from bench.workload import investment_payload, last_day
from service.pactlog import PactlogService

FOLLOWED = "news"
OPEN_AT_ONCE = 100  # connections being opened at the same time
ID_LINE = re.compile(rb"(?:^|\n)id: (\d+)\n")
END = re.compile(rb"\r\n0\r\n\r\n$")  # the last chunk of a response


@dataclass
class Client:
    """One open stream: what it has read, and when it saw the position it waits for."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    seen: dict[int, float] = field(default_factory=dict)


class Streams:
    """`count` idle streams of one partnership, read by an asyncio loop in its own thread."""

    def __init__(self, base: str, count: int, after: int, partnership: str = FOLLOWED) -> None:
        url = urlparse(base)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.count = count
        self.partnership = partnership
        self.after = after
        self.clients: list[Client] = []
        self.refused = 0
        self.reconnections = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.tasks: list[asyncio.Task[None]] = []

    def __enter__(self) -> Streams:
        _enough_files(self.count + 200)
        self.thread.start()
        self._run(self._open_all()).result(timeout=300)
        return self

    def __exit__(self, *_: object) -> None:
        with contextlib.suppress(Exception):
            self._run(self._close_all()).result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def _run(self, work: object) -> Future[None]:
        return asyncio.run_coroutine_threadsafe(work, self.loop)  # type: ignore[arg-type]

    async def _open_all(self) -> None:
        gate = asyncio.Semaphore(OPEN_AT_ONCE)

        async def one() -> None:
            async with gate:
                client = await self._open()
            if client is not None:
                self.clients.append(client)
                self.tasks.append(asyncio.ensure_future(self._read(client)))

        await asyncio.gather(*(one() for _ in range(self.count)))

    async def _open(self) -> Client | None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.write(self._request(None))
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            self.refused += 1
            writer.close()
            return None
        await reader.readuntil(b"retry:")  # the stream has begun
        return Client(reader, writer)

    def _request(self, last_event_id: int | None) -> bytes:
        resume = "" if last_event_id is None else f"Last-Event-ID: {last_event_id}\r\n"
        return (
            f"GET /v1/stream?partnership={self.partnership}&after={self.after} HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\n"
            "Accept: text/event-stream\r\n"
            f"Authorization: Bearer {TOKEN}\r\n{resume}\r\n"
        ).encode()

    async def _read(self, client: Client) -> None:
        """Read whatever comes; note when each position's `id:` line first arrives; when a
        response ends (its slice is over), ask again on the same connection with the last id,
        as EventSource does."""
        window = b""
        last: int | None = None
        with contextlib.suppress(Exception):
            while chunk := await client.reader.read(65536):
                now = time.monotonic()
                window = window[-32:] + chunk
                for found in ID_LINE.findall(window):
                    client.seen.setdefault(int(found), now)
                    last = max(last or 0, int(found))
                if END.search(window):
                    client.writer.write(self._request(last))
                    self.reconnections += 1
                    window = b""

    async def _close_all(self) -> None:
        for task in self.tasks:
            task.cancel()
        for client in self.clients:
            client.writer.close()

    def delivery(self, position: int, appended_at: float, deadline: float = 30) -> list[float]:
        """Seconds from the append to each client's seeing `position` (inf: not within
        `deadline`)."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if all(position in c.seen for c in self.clients):
                break
            time.sleep(0.02)
        return [c.seen.get(position, float("inf")) - appended_at for c in self.clients]


def _enough_files(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(needed, soft), hard), hard))


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


@dataclass(frozen=True)
class StreamFigures:
    clients: int
    delivery_p99: list[float]  # seconds, one per run
    rate_with: list[float]  # single appends/s with the streams open
    rate_without: list[float]  # the same without them


@contextlib.contextmanager
def production(url: str, api_workers: int) -> Iterator[str]:
    """The production layout on `url`: nginx's base URL in front of it all."""
    with (
        gunicorn(url, workers=api_workers) as api,
        gunicorn(url, workers=1, role="stream") as stream,
        projector(url),
        nginx(api.base, stream.base) as base,
    ):
        yield base


def stream_figures(
    url: str, clients: int, api_workers: int, seconds: float, runs: int, connections: int = 8
) -> StreamFigures:
    delivery: list[float] = []
    rate_with: list[float] = []
    rate_without: list[float] = []
    with production(url, api_workers) as base:
        measure.create_partnerships(base, [FOLLOWED])
        poster = measure.Client(base)
        for run in range(runs):
            rate_without.append(
                measure.http_single_rate(base, connections, seconds, f"alone-{run}").rate
            )
            # Dashboards that have read the state follow from where it is.
            with Streams(base, clients, _last_position(url)) as streams:
                if streams.refused or len(streams.clients) != clients:
                    raise RuntimeError(f"{streams.refused} of {clients} streams were refused")
                time.sleep(1)  # every stream waiting
                body = investment_payload(last_day())
                appended_at = time.monotonic()
                latencies = streams.delivery(_append(poster, body), appended_at)
                delivery.append(p99(latencies))
                rate_with.append(
                    measure.http_single_rate(base, connections, seconds, f"beside-{run}").rate
                )
        poster.close()
    return StreamFigures(clients, delivery, rate_with, rate_without)


def _last_position(url: str) -> int:
    service = PactlogService(url, project_inline=False)
    try:
        return service.last_position()
    finally:
        service.close()


def _append(poster: measure.Client, body: dict[str, object]) -> int:
    """Append one event to the followed partnership: its position."""
    return int(poster.post(f"/v1/partnerships/{FOLLOWED}/events", body)["position"])


def summary(figures: StreamFigures) -> str:
    return json.dumps(
        {
            "clients": figures.clients,
            "delivery_p99_s": [round(v, 3) for v in figures.delivery_p99],
            "rate_with": [round(v) for v in figures.rate_with],
            "rate_without": [round(v) for v in figures.rate_without],
            "ratio": round(
                statistics.median(figures.rate_with) / statistics.median(figures.rate_without), 2
            ),
        }
    )
