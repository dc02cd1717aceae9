"""Server-Sent Events of the global log: the text of one `/v1/stream` response (not a view).

A response lasts one slice of time (`StreamLimits.max_seconds`) and then ends; the browser's
EventSource reconnects after `retry:` and resumes with `Last-Event-ID`. The process's `LogWatch`
wakes waiting streams when the log moves, so idle streams cost no queries of their own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

from service.export import cloud_event
from service.livelog import LogWatch
from service.pactlog import PactlogService

BATCH = 200


@dataclass(frozen=True)
class StreamLimits:
    max_seconds: float
    heartbeat: float
    retry_ms: int


def sse(
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
        batch = service.log(scanned, BATCH)
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
        if len(batch) == BATCH:
            continue
        if now >= beat:
            yield ": heartbeat\n\n"
            beat = now + limits.heartbeat
        watch.wait_past(scanned, max(0.0, min(deadline, beat) - now))


class Slice:
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
