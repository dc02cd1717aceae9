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

from events.envelope import RecordedEvent
from service.export import cloud_event
from service.livelog import LogWatch
from service.pactlog import PactlogService

BATCH = 200


@dataclass(frozen=True)
class StreamLimits:
    max_seconds: float
    heartbeat: float
    retry_ms: int


def message(event: RecordedEvent) -> str:
    """One event as the stream sends it: its position as `id:`, its CloudEvent as `data:`."""
    payload = json.dumps(cloud_event(event), ensure_ascii=False)
    return f"id: {event.position}\ndata: {payload}\n\n"


def sse(
    service: PactlogService,
    watch: LogWatch,
    after: int,
    partnership: str | None,
    limits: StreamLimits,
) -> Generator[str, None, None]:
    """The stream's text: events strictly after `after`, for one slice of time.

    What is new comes from the watch's shared tail (rendered once for every stream of the
    process); a stream further behind than the tail reads the store, a page at a time."""
    start = time.monotonic()
    deadline = start + limits.max_seconds
    beat = start + limits.heartbeat
    yield f"retry: {limits.retry_ms}\n: pactlog log after {after}\n\n"
    scanned = marked = after
    while True:
        batch: list[tuple[int, str, str]] = []
        skipped = scanned if partnership is None else watch.skip(scanned, partnership)
        if skipped > scanned:
            scanned = skipped  # past others' events only: nothing to read
        else:
            batch = _next(service, watch, scanned)
        chunk = [text for _, owner, text in batch if partnership in (None, owner)]
        if chunk:
            yield "".join(chunk)
            marked = max(p for p, owner, _ in batch if partnership in (None, owner))
        if batch:
            scanned = batch[-1][0]
        now = time.monotonic()
        if now >= deadline:
            yield f"{_progress(scanned, marked)}: reconnect to go on\n\n"
            return
        if len(batch) == BATCH:
            continue
        if now >= beat:
            yield f"{_progress(scanned, marked)}: heartbeat\n\n"
            marked = scanned
            beat = now + limits.heartbeat
        watch.wait_past(scanned, max(0.0, min(deadline, beat) - now), partnership)


def _progress(scanned: int, marked: int) -> str:
    """A bare `id:` line when the stream has read past others' events since its last `id:`
    (a reconnection does not scan them again)."""
    return f"id: {scanned}\n\n" if scanned > marked else ""


def _next(service: PactlogService, watch: LogWatch, after: int) -> list[tuple[int, str, str]]:
    """The next events after `after` as (position, partnership, text): from the tail when it
    reaches back that far, else from the store."""
    shared = watch.after(after, BATCH)
    if shared is not None:
        return [(e.position, e.partnership, e.text) for e in shared]
    return [(e.position, e.partnership, message(e)) for e in service.log(after, BATCH)]


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
