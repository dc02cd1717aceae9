"""gunicorn's API workers keep to one core each, spread over the cores the stack may use
(gunicorn.conf.py: `pre_fork` chooses, `post_fork` applies), also after a worker is replaced;
`PACTLOG_PIN_WORKERS=false` leaves them to the scheduler."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Server
from tests.production.conftest import call, running_stack

CORES = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
pytestmark = pytest.mark.skipif(len(CORES) < 2, reason="needs Linux and two cores")


def cores_of(pids: list[int]) -> list[set[int]]:
    """Every thread's cores, by worker (the pool threads inherit the worker's)."""
    found = []
    for pid in pids:
        threads = [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
        found.append(set().union(*(frozenset(os.sched_getaffinity(t)) for t in threads)))
    return found


def answered(server: Server) -> None:
    for _ in range(8):  # wake the pool threads
        assert call(server, "GET", "/healthz", token=None).status == 200


def pinned(pids: list[int]) -> list[int]:
    """The cores of the workers that keep to one, in order."""
    return sorted(next(iter(cores)) for cores in cores_of(pids) if len(cores) == 1)


def test_each_worker_keeps_to_its_own_core_also_when_one_is_replaced(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cores.sqlite"
    workers = min(len(CORES), 4)
    with running_stack(url, tmp_path, projector=False, WEB_CONCURRENCY=str(workers)) as stack:
        answered(stack.server)
        before = stack.workers()
        assert pinned(before) == CORES[:workers]

        os.kill(before[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:  # until the replacement has started and taken the core left free
            now = stack.workers()
            if len(now) == workers and before[0] not in now and pinned(now) == CORES[:workers]:
                break
            assert time.monotonic() < deadline, f"workers {now} on cores {cores_of(now)}"
            time.sleep(0.1)
        answered(stack.server)
        assert pinned(stack.workers()) == CORES[:workers]


def test_pinning_can_be_turned_off(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/free.sqlite"
    with running_stack(
        url, tmp_path, projector=False, WEB_CONCURRENCY="2", PACTLOG_PIN_WORKERS="false"
    ) as stack:
        answered(stack.server)
        assert cores_of(stack.workers()) == [set(CORES)] * 2
