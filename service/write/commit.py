"""Group commit: appends that arrive together are written in one transaction.

Each caller queues its request and then waits for the commit lock. Whoever holds it takes every
queued request and commits them together; a caller whose request was taken by another finds it
finished when its turn comes. Under no concurrency a batch is one request, so nothing waits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

Result = TypeVar("Result")


@dataclass(eq=False)
class Pending(Generic[Result]):
    """One caller's request and, once committed, its result or its error."""

    request: Any
    result: Result | None = None
    error: BaseException | None = None
    finished: bool = False

    def succeed(self, result: Result) -> None:
        self.result, self.finished = result, True

    def fail(self, error: BaseException) -> None:
        self.error, self.finished = error, True

    def outcome(self) -> Result:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


@dataclass
class GroupCommit(Generic[Result]):
    """Feeds queued requests to `commit`, which must finish every `Pending` it is given."""

    commit: Callable[[list[Pending[Result]]], None]
    _queue: list[Pending[Result]] = field(default_factory=list)
    _queue_lock: threading.Lock = field(default_factory=threading.Lock)
    _commit_lock: threading.Lock = field(default_factory=threading.Lock)

    def waiting(self) -> int:
        """How many requests are queued, not yet taken into a commit."""
        with self._queue_lock:
            return len(self._queue)

    def take_more(self, wanted: Callable[[Any], bool]) -> list[Pending[Result]]:
        """Take from the queue, in order, the requests `wanted` accepts: a commit that waited
        (for another process's lock on its streams) adds those that queued meanwhile for the
        same streams. Its `commit` adds them to the batch it was given (in place), and so
        finishes them too."""
        with self._queue_lock:
            taken = [pending for pending in self._queue if wanted(pending.request)]
            if taken:
                self._queue = [pending for pending in self._queue if not wanted(pending.request)]
        return taken

    def submit(self, request: Any) -> Result:
        pending: Pending[Result] = Pending(request)
        with self._queue_lock:
            self._queue.append(pending)
        with self._commit_lock:
            if not pending.finished:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._run(batch)
        return pending.outcome()

    def _run(self, batch: list[Pending[Result]]) -> None:
        """Commit `batch` (and whatever `take_more` adds to it), failing what is left over."""
        try:
            self.commit(batch)
        except BaseException as error:
            for item in batch:
                if not item.finished:
                    item.fail(error)
