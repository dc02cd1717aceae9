"""Group commit: requests that queue while a commit runs are committed together next."""

from __future__ import annotations

import threading
import time

import pytest

from service.write.commit import GroupCommit


def test_requests_arriving_during_a_commit_are_committed_together_next():
    batches: list[list[str]] = []
    first_started, release = threading.Event(), threading.Event()

    def commit(batch):
        batches.append([pending.request for pending in batch])
        if len(batches) == 1:
            first_started.set()
            release.wait(10)
        for pending in batch:
            pending.succeed(f"done {pending.request}")

    committer: GroupCommit[str] = GroupCommit(commit)
    results: dict[str, str] = {}

    def submit(name: str) -> None:
        results[name] = committer.submit(name)

    first = threading.Thread(target=submit, args=("a",))
    first.start()
    first_started.wait(10)
    others = [threading.Thread(target=submit, args=(name,)) for name in "bcd"]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 10
    while committer.waiting() < 3 and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert batches[0] == ["a"]
    assert sorted(batches[1]) == ["b", "c", "d"]
    assert len(batches) == 2
    assert results == {name: f"done {name}" for name in "abcd"}


def test_a_failed_request_fails_alone_and_an_unexpected_error_fails_the_rest():
    def commit(batch):
        for pending in batch:
            if pending.request == "bad":
                pending.fail(ValueError("refused"))
            elif pending.request == "boom":
                raise RuntimeError("store down")
            else:
                pending.succeed("ok")

    committer: GroupCommit[str] = GroupCommit(commit)
    assert committer.submit("good") == "ok"
    with pytest.raises(ValueError, match="refused"):
        committer.submit("bad")
    with pytest.raises(RuntimeError, match="store down"):
        committer.submit("boom")


def test_a_commit_takes_in_what_queued_for_its_streams_while_it_waited():
    """A commit that waits (for another process's lock on its streams) takes, once it holds
    it, the requests that queued meanwhile for the same streams, in order; others wait."""
    batches: list[list[str]] = []
    first_started, release = threading.Event(), threading.Event()
    committer: GroupCommit[str]

    def commit(batch):
        if not batches:
            first_started.set()
            release.wait(10)  # "waiting for the lock"
            streams = {request[0] for request in (pending.request for pending in batch)}
            batch += committer.take_more(lambda request: request[0] in streams)
        batches.append([pending.request for pending in batch])
        for pending in batch:
            pending.succeed(f"done {pending.request}")

    committer = GroupCommit(commit)
    results: dict[str, str] = {}

    def submit(name: str) -> None:
        results[name] = committer.submit(name)

    first = threading.Thread(target=submit, args=("a1",))
    first.start()
    first_started.wait(10)
    others = []
    for name in ("a2", "b1", "a3"):
        others.append(threading.Thread(target=submit, args=(name,)))
        others[-1].start()
        deadline = time.monotonic() + 10
        while committer.waiting() < len(others) and time.monotonic() < deadline:
            time.sleep(0.001)
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert batches == [["a1", "a2", "a3"], ["b1"]]
    assert results == {name: f"done {name}" for name in ("a1", "a2", "b1", "a3")}


def test_requests_taken_in_fail_with_the_commit_that_took_them():
    committer: GroupCommit[str]
    first_started, release = threading.Event(), threading.Event()

    def commit(batch):
        first_started.set()
        release.wait(10)
        batch += committer.take_more(lambda request: True)
        raise RuntimeError("the store went away")

    committer = GroupCommit(commit)
    errors: dict[str, str] = {}

    def submit(name: str) -> None:
        try:
            committer.submit(name)
        except RuntimeError as error:
            errors[name] = str(error)

    first = threading.Thread(target=submit, args=("a",))
    first.start()
    first_started.wait(10)
    second = threading.Thread(target=submit, args=("b",))
    second.start()
    deadline = time.monotonic() + 10
    while committer.waiting() < 1 and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    for thread in (first, second):
        thread.join(10)
    assert errors == {"a": "the store went away", "b": "the store went away"}
