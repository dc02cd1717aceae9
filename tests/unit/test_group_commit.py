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
