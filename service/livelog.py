"""Watching the log for live feeds: one thread per process reads the log's new events while
streams wait, keeps the latest of them (rendered once) in a shared tail, and wakes the streams
when the log moves. Idle streams cost no queries of their own, and a woken stream reads what is
new from the tail, not from the store: one query per process per move of the log, however many
streams are open (thousands, under the stream process's gevent worker)."""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from events.envelope import RecordedEvent

#: How many of the latest events the tail keeps (a stream further behind reads the store).
TAIL = 2000
PAGE = 500


@dataclass(frozen=True)
class Entry:
    """One event of the tail: its position, partnership and its text, rendered once."""

    position: int
    partnership: str
    text: str


class LogWatch:
    """One per process (build it after forking, like the service).

    `read_position` gives the log's last position; with `read_log` (the service's `log`) and
    `render` (an event's text, as streams send it), the watch also keeps the tail, and knows
    for every partnership the position of its latest event since the watch began: a stream
    of one partnership is woken only by that partnership's events, and skips the others'
    without reading them."""

    def __init__(
        self,
        read_position: Callable[[], int],
        poll: float,
        read_log: Callable[[int, int], Sequence[RecordedEvent]] | None = None,
        render: Callable[[RecordedEvent], str] | None = None,
        tail: int = TAIL,
    ) -> None:
        self._read_position = read_position
        self._read_log = read_log
        self._render = render
        self._poll = poll
        self._size = tail
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # every move of the log
        self._followers: dict[str, threading.Condition] = {}  # one partnership's events
        self._wanted = threading.Condition(self._lock)  # the poller: someone waits
        self._reading = threading.Lock()  # one reader of the store at a time
        self._position = -1
        self._waiting = 0
        self._thread: threading.Thread | None = None
        # Every event strictly after `_origin` up to `_position` has been seen: the latest
        # position of each partnership's events among them is in `_latest`, and the tail holds
        # those strictly after `_start`, in log order.
        self._origin = -1
        self._latest: dict[str, int] = {}
        self._start = -1
        self._entries: list[Entry] = []
        self._positions: list[int] = []
        self.streams = 0  # open streams in this process (a gauge for /metrics)

    @property
    def keeps_tail(self) -> bool:
        return self._read_log is not None and self._render is not None

    def poke(self) -> None:
        """Read what is new now (after an append in this process) and wake who waits."""
        try:
            if self.keeps_tail:
                self._read_tail()
            else:
                position = self._read_position()
                with self._lock:
                    if position != self._position:
                        self._position = position
                        self._changed.notify_all()
        except Exception:  # the poller will try again; a stream must not fail an append
            return

    def _read_tail(self) -> None:
        assert self._read_log is not None
        assert self._render is not None
        with self._reading:
            last = self._read_position()
            if last == self._position:
                return
            if self._origin < 0 or last < self._position or last - self._position > 4 * self._size:
                # A first look, or so far behind (the watch sleeps while no stream waits) that
                # reading it all would cost more than the streams reading what they need.
                with self._lock:
                    self._origin = self._start = self._position = last
                    self._latest.clear()
                    self._entries, self._positions = [], []
                    self._wake(None)
                return
            new: list[Entry] = []
            after = self._position
            while True:
                page = self._read_log(after, PAGE)
                new += [Entry(e.position, e.partnership, self._render(e)) for e in page]
                if len(page) < PAGE:
                    break
                after = page[-1].position
            if not new:
                return
            with self._lock:
                moved: set[str] = set()
                for entry in new:
                    self._latest[entry.partnership] = entry.position
                    moved.add(entry.partnership)
                self._entries += new
                self._positions += [e.position for e in new]
                if len(self._entries) > self._size:
                    cut = len(self._entries) - self._size
                    self._start = self._positions[cut - 1]
                    del self._entries[:cut], self._positions[:cut]
                self._position = self._positions[-1]
                self._wake(moved)

    def _wake(self, partnerships: set[str] | None) -> None:
        """Wake the streams of the whole log, and those of `partnerships` (None: all)."""
        self._changed.notify_all()
        for name, followers in self._followers.items():
            if partnerships is None or name in partnerships:
                followers.notify_all()

    def after(self, position: int, limit: int) -> list[Entry] | None:
        """The tail's events strictly after `position` (at most `limit`); None when the tail
        does not reach back that far, or forward that far (then read the store)."""
        with self._lock:
            if not self.keeps_tail or self._start < 0:
                return None
            if position < self._start or position > self._position:
                return None
            first = bisect.bisect_right(self._positions, position)
            return self._entries[first : first + limit]

    def skip(self, position: int, partnership: str) -> int:
        """How far a stream of `partnership` that has seen the log up to `position` may move
        on without reading: past every event the watch saw after it, none of them this
        partnership's (or `position` itself when the watch cannot tell)."""
        with self._lock:
            if self._knows(position) and self._latest.get(partnership, -1) <= position:
                return max(position, self._position)
            return position

    def _knows(self, position: int) -> bool:
        return self.keeps_tail and 0 <= self._origin <= position

    def wait_past(self, position: int, timeout: float, partnership: str | None = None) -> bool:
        """Until the log moves past `position` (with `partnership`: until that partnership's
        events do), or `timeout` seconds; whether it moved."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="pactlog-logwatch", daemon=True
                )
                self._thread.start()
            if partnership is None:
                waiting, moved = self._changed, lambda: self._position > position
            else:
                waiting = self._followers.get(partnership) or self._followers.setdefault(
                    partnership, threading.Condition(self._lock)
                )

                def moved() -> bool:
                    if self._knows(position):
                        return self._latest.get(partnership, -1) > position
                    return self._position > position

            self._waiting += 1
            if self._waiting == 1:
                self._wanted.notify()
            try:
                return waiting.wait_for(moved, timeout)
            finally:
                self._waiting -= 1

    def _run(self) -> None:
        while True:
            with self._lock:
                self._wanted.wait_for(lambda: self._waiting > 0)
            self.poke()
            time.sleep(self._poll)

    def enter(self, limit: int) -> bool:
        """Take a place among at most `limit` open streams; False when none is free."""
        with self._lock:
            if self.streams >= limit:
                return False
            self.streams += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.streams -= 1
