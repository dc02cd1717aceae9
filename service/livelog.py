"""Watching the log for live feeds: one thread per process reads the log's last position while
streams wait, and wakes them when it moves; idle streams cost no queries of their own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class LogWatch:
    """One per process (build it after forking, like the service)."""

    def __init__(self, read_position: Callable[[], int], poll: float) -> None:
        self._read_position = read_position
        self._poll = poll
        self._changed = threading.Condition()
        self._position = -1
        self._waiting = 0
        self._thread: threading.Thread | None = None
        self.streams = 0  # open streams in this process (a gauge for /metrics)

    def poke(self) -> None:
        """Read the position now (after an append in this process) and wake who waits."""
        try:
            position = self._read_position()
        except Exception:  # the poller will try again; a stream must not fail an append
            return
        with self._changed:
            if position != self._position:
                self._position = position
                self._changed.notify_all()

    def wait_past(self, position: int, timeout: float) -> None:
        """Until the log moves past `position`, or `timeout` seconds."""
        with self._changed:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="pactlog-logwatch", daemon=True
                )
                self._thread.start()
            self._waiting += 1
            try:
                self._changed.wait_for(lambda: self._position > position, timeout)
            finally:
                self._waiting -= 1

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._waiting > 0)
            self.poke()
            time.sleep(self._poll)

    def enter(self, limit: int) -> bool:
        """Take a place among at most `limit` open streams; False when none is free."""
        with self._changed:
            if self.streams >= limit:
                return False
            self.streams += 1
            return True

    def leave(self) -> None:
        with self._changed:
            self.streams -= 1
