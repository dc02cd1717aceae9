"""Load and faults against the production layout (gunicorn, 4 workers + the projector +
PostgreSQL, on loopback): nothing acknowledged is lost or duplicated, whatever dies."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Answer
from tests.production.conftest import (
    NO_ANSWER,
    Stack,
    Tally,
    abandon_append,
    append_until_acknowledged,
    call,
    check_the_log,
    create_partnerships,
    ensure_postgres_running,
    event_body,
    is_problem,
    pg_ctl,
    pg_is_ready,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CLIENTS = 8
APPENDS = int(os.environ.get("PACTLOG_LOAD_APPENDS", "300"))  # per client
MANY = [f"many-{n:02d}" for n in range(24)]
HOT = ["hot-a", "hot-b", "hot-c"]
ABANDONED = 5


def run_load(
    stack: Stack,
    appends: int,
    fault: Callable[[Tally], None] | None = None,
    deadline: float = 60.0,
) -> Tally:
    """8 clients, `appends` each: most over many partnerships, every fifth on a hot one with
    If-Match. `fault` runs once half of the appends are acknowledged."""
    tally = Tally()
    lock = threading.Lock()
    errors: list[BaseException] = []
    total = CLIENTS * appends

    def client(number: int) -> None:
        expected = dict.fromkeys(HOT, 1)
        chooser = random.Random(number)
        try:
            for index in range(appends):
                body = event_body(number * appends + index)
                if index % 5 == 0:
                    slug = chooser.choice(HOT)
                    version = append_until_acknowledged(
                        stack.server, tally, slug, body,
                        if_match=expected[slug], lock=lock, deadline=deadline,
                    )  # fmt: skip
                    expected[slug] = version
                else:
                    slug = MANY[(number * appends + index) % len(MANY)]
                    append_until_acknowledged(
                        stack.server, tally, slug, body, lock=lock, deadline=deadline
                    )
        except BaseException as error:  # reported by the test
            errors.append(error)

    def injector() -> None:
        assert fault is not None
        try:
            while len(tally.acknowledged) < total // 2 and not errors:
                time.sleep(0.01)
            fault(tally)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    if fault is not None:
        threads.append(threading.Thread(target=injector))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
        assert not thread.is_alive(), "a client hung"
    if errors:
        raise errors[0]
    assert len(tally.acknowledged) == total
    return tally


def report(name: str, tally: Tally, figures: dict[str, int], faults: int) -> None:
    print(
        f"\n[{name}] requests sent {tally.sent} (answers {dict(sorted(tally.statuses.items()))}, "
        f"no answer {tally.no_answer}, replayed {tally.replayed}); "
        f"acknowledged {len(tally.acknowledged)}; "
        f"faults injected {faults}; events checked {figures['events']} "
        f"in {figures['streams']} streams; lost 0, duplicated 0"
    )


def test_postgres_eight_clients_lose_and_duplicate_nothing(stack: Stack) -> None:
    create_partnerships(stack.server, MANY + HOT)
    tally = run_load(stack, APPENDS)
    stack.wait_ready()
    figures = check_the_log(stack, tally, setup=len(MANY + HOT))
    assert tally.statuses.get(201) == CLIENTS * APPENDS
    report("load", tally, figures, 0)


def test_postgres_killed_worker_and_projector_lose_nothing_acknowledged(stack: Stack) -> None:
    create_partnerships(stack.server, MANY + HOT)
    faults: list[str] = []

    def kill_workers_and_the_projector(tally: Tally) -> None:
        # Freeze a worker with requests in flight, then kill it: those requests were received
        # and perhaps committed, but never answered. Again until some client saw that.
        for _ in range(5):
            victim = stack.workers()[0]
            lost_before = tally.no_answer
            os.kill(victim, signal.SIGSTOP)
            time.sleep(0.2)
            os.kill(victim, signal.SIGKILL)
            faults.append(f"worker {victim}")
            time.sleep(0.5)
            if tally.no_answer > lost_before:
                break
        # Requests whose answers were lost: retried with the same key, stored once.
        for number in range(ABANDONED):
            key, body = str(uuid.uuid4()), event_body(number)
            abandon_append(stack.server, MANY[number], body, key)
            abandoned.append((key, MANY[number], body))
        stack.kill_projector()
        faults.append("projector")
        time.sleep(1.0)  # the load goes on with no projector at all
        stack.start_projector()

    abandoned: list[tuple[str, str, dict[str, Any]]] = []
    appends = APPENDS // 2
    tally = run_load(stack, appends, kill_workers_and_the_projector)
    time.sleep(0.5)
    lock = threading.Lock()
    before = len(tally.acknowledged)
    for key, slug, body in abandoned:
        append_until_acknowledged(stack.server, tally, slug, body, lock=lock, key=key)
    assert len(tally.acknowledged) == before + ABANDONED
    assert faults[-1] == "projector"
    assert tally.no_answer > 0, "no request was cut off by a killed worker"
    stack.wait_ready()
    figures = check_the_log(stack, tally, setup=len(MANY + HOT))
    report("kill -9", tally, figures, len(faults))


def test_postgres_restarted_under_load_answers_503_then_recovers(stack: Stack) -> None:
    create_partnerships(stack.server, MANY + HOT)
    down: list[Answer] = []

    def restart_postgres(_: Tally) -> None:
        pg_ctl("stop")
        try:
            assert not pg_is_ready()
            # While it is down, appends and reads are 503 problem+json with Retry-After.
            for path, method, body in (
                ("/v1/partnerships/hot-a/events", "POST", event_body(0)),
                ("/v1/partnerships/hot-a/state", "GET", None),
                ("/v1/events?after=0&limit=5", "GET", None),
            ):
                for _ in range(2):
                    with contextlib.suppress(*NO_ANSWER):
                        down.append(call(stack.server, method, path, body, timeout=60))
        finally:
            pg_ctl("start")
            ensure_postgres_running()

    try:
        tally = run_load(stack, APPENDS // 3, restart_postgres, deadline=120.0)
    finally:
        ensure_postgres_running()
    assert down, "no answer at all while PostgreSQL was down"
    for answer in down:
        assert is_problem(answer, 503), answer
        assert answer.headers.get("Retry-After"), answer
    # It recovered by itself: every append of the load was acknowledged after the restart.
    stack.wait_ready()
    figures = check_the_log(stack, tally, setup=len(MANY + HOT))
    statuses = tally.statuses
    print(f"\n[pg restart] probes while down: {len(down)}, all 503 problem+json")
    report("pg restart", tally, figures, 1)
    assert statuses.get(500) is None
