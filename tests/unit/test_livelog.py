"""The log watch's shared tail (service/livelog.py): what streams read instead of the store, and
which of them an event wakes. A fake log stands in for the store; nothing waits on time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from events.envelope import RecordedEvent
from service.livelog import LogWatch


@dataclass
class Fake:
    position: int
    partnership: str


class FakeLog:
    def __init__(self) -> None:
        self.events: list[Fake] = []
        self.reads = 0

    def add(self, partnership: str, count: int = 1) -> None:
        for _ in range(count):
            self.events.append(Fake(len(self.events) + 1, partnership))

    def last(self) -> int:
        return len(self.events)

    def log(self, after: int, limit: int) -> Sequence[RecordedEvent]:
        self.reads += 1
        return cast(Sequence[RecordedEvent], self.events[after : after + limit])


def render(event: Any) -> str:
    return f"id: {event.position}\n\n"


def watch_of(log: FakeLog, tail: int = 2000) -> LogWatch:
    return LogWatch(log.last, 0.01, read_log=log.log, render=render, tail=tail)


def test_the_tail_holds_what_came_after_the_first_look_rendered_once() -> None:
    log = FakeLog()
    log.add("a", 5)
    watch = watch_of(log)
    watch.poke()  # the first look: the tail starts at the end of the log
    assert watch.after(5, 100) == []
    assert watch.after(4, 100) is None  # before the tail: read the store
    log.add("b", 3)
    watch.poke()
    assert [(e.position, e.partnership, e.text) for e in watch.after(5, 100) or []] == [
        (6, "b", "id: 6\n\n"),
        (7, "b", "id: 7\n\n"),
        (8, "b", "id: 8\n\n"),
    ]
    assert [e.position for e in watch.after(6, 1) or []] == [7]
    assert watch.after(9, 100) is None  # beyond what the watch has seen


def test_one_read_serves_every_stream() -> None:
    log = FakeLog()
    watch = watch_of(log)
    watch.poke()
    log.add("a", 10)
    watch.poke()
    reads = log.reads
    for _ in range(1000):
        assert len(watch.after(0, 200) or []) == 10
    assert log.reads == reads


def test_a_partnerships_stream_skips_the_others_events_without_reading_them() -> None:
    log = FakeLog()
    log.add("a")
    watch = watch_of(log)
    watch.poke()
    log.add("b", 50)
    watch.poke()
    assert watch.skip(1, "a") == 51  # none of them a's
    log.add("a")
    log.add("b")
    watch.poke()
    assert watch.skip(1, "a") == 1  # a has news at 52: read it
    assert watch.skip(52, "a") == 53
    assert watch.skip(0, "a") == 0  # from before the watch began: it cannot tell


def test_the_tail_keeps_only_the_latest_events() -> None:
    log = FakeLog()
    watch = watch_of(log, tail=10)
    watch.poke()
    log.add("a", 25)
    watch.poke()
    assert watch.after(14, 100) is None
    assert [e.position for e in watch.after(15, 100) or []] == list(range(16, 26))
    assert watch.skip(3, "b") == 25  # the partnerships' latest positions outlive the tail


def test_a_wait_for_a_partnership_ends_on_its_events_not_on_others() -> None:
    log = FakeLog()
    watch = watch_of(log)
    watch.poke()
    log.add("b", 3)
    watch.poke()
    assert watch.wait_past(0, 0, "a") is False
    assert watch.wait_past(0, 0) is True  # a stream of the whole log: it moved
    log.add("a")
    watch.poke()
    assert watch.wait_past(3, 0, "a") is True
    assert watch.wait_past(4, 0, "a") is False
