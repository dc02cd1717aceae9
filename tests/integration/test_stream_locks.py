"""A stream's writers in several processes are serialised (issue 13, item 4): on PostgreSQL by
a per-stream advisory lock taken before staging, so that a process appending after another one
brings its cached copy up to date instead of conflicting at insert."""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from typing import Any

import psycopg
import pytest

from service.pactlog import PactlogService
from service.write.locks import LOCK_CLASS, PostgresStreamLocks, lock_key, stream_locks
from service.write.store import Streams
from tests.builders import SLUG, draft, formed


def test_lock_keys_are_stable_32_bit_integers_per_schema_and_stream():
    key = lock_key("public", SLUG)
    assert key == lock_key("public", SLUG)
    assert -(2**31) <= key < 2**31
    assert key != lock_key("other", SLUG)
    assert key != lock_key("public", SLUG + "-2")


def test_sqlite_needs_no_stream_locks(tmp_path):
    service = PactlogService(f"sqlite:///{tmp_path}/pactlog.sqlite")
    with stream_locks(service.app).hold({SLUG: 1}) as missed:
        assert missed == {}
    service.close()


def _writer(database_url: str, slug: str, count: int, threads: int, queue: Any) -> None:
    """Append `count` events from each of `threads` threads; report what was acknowledged."""
    service = PactlogService(database_url, project_inline=False)
    answers: list[tuple[str, int, int]] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(count):
            appended = service.append(slug, [draft("ModelReleased")])
            with lock:
                answers.extend((e.id, e.version, e.position) for e in appended.events)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    service.close()
    queue.put(answers)


def test_processes_appending_to_one_stream_all_land_gapless(database_url):
    setup = PactlogService(database_url, project_inline=False)
    setup.create_partnership(SLUG, formed())
    setup.close()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [
        context.Process(target=_writer, args=(database_url, SLUG, 8, 3, queue)) for _ in range(2)
    ]
    for process in processes:
        process.start()
    answers = [answer for _ in processes for answer in queue.get(timeout=180)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert len(answers) == 2 * 8 * 3
    assert sorted(version for _, version, _ in answers) == list(range(2, 2 + 48))
    assert len({position for _, _, position in answers}) == 48
    check = PactlogService(database_url, project_inline=False)
    stored = check.log(limit=1000)
    assert len(stored) == 49
    assert {e.id for e in stored} >= {event_id for event_id, _, _ in answers}
    assert [e.version for e in stored if e.partnership == SLUG] == list(range(1, 50))
    assert check.verify(SLUG).ok
    check.close()


@pytest.mark.postgres
def test_a_second_process_waits_for_the_stream_lock_then_sees_the_first_ones_events(
    postgres_url,
):
    first = PactlogService(postgres_url, project_inline=False)
    first.create_partnership(SLUG, formed())
    other = PactlogService(postgres_url, project_inline=False)
    other.append(SLUG, [draft("ModelReleased")])  # `other` caches the stream at version 2
    first.append(SLUG, [draft("ModelReleased")])  # and `first` moves it to 3
    locks = stream_locks(first.app)
    assert isinstance(locks, PostgresStreamLocks)
    entered = threading.Event()
    seen: dict[str, list[int]] = {}

    def second() -> None:
        with stream_locks(other.app).hold({SLUG: 2}) as missed:
            seen.update({slug: [e.originator_version for e in got] for slug, got in missed.items()})
            entered.set()

    with locks.hold({SLUG: None}) as missed:
        assert missed == {}
        waiter = threading.Thread(target=second)
        waiter.start()
        _until_a_lock_is_awaited(postgres_url)
        assert not entered.is_set()
    waiter.join(timeout=30)
    assert entered.is_set()
    assert seen == {SLUG: [3]}  # what `first` appended, read under the lock
    # `other` appends on top of the stream `first` moved: no conflict, no gap.
    appended = other.append(SLUG, [draft("ModelReleased")])
    assert appended.version == 4
    assert Streams(other.app).version(SLUG) == 4
    locks.close()
    first.close()
    other.close()


def _until_a_lock_is_awaited(postgres_url: str) -> None:
    """Until some session waits for one of pactlog's stream locks."""
    base = postgres_url.split("?", maxsplit=1)[0]
    with psycopg.connect(base, autocommit=True) as conn:
        for _ in range(10_000):
            waiting = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND classid = %s::oid",
                (LOCK_CLASS,),
            ).fetchone()
            if waiting and waiting[0]:
                return
            conn.execute("SELECT pg_sleep(0.01)")
    raise AssertionError("no session waited for the stream lock")


@pytest.mark.postgres
def test_events_caught_up_twice_are_applied_once(postgres_url):
    first = PactlogService(postgres_url, project_inline=False)
    first.create_partnership(SLUG, formed())
    other = PactlogService(postgres_url, project_inline=False)
    other.append(SLUG, [draft("ModelReleased")])  # `other` caches version 2
    first.append(SLUG, [draft("ModelReleased"), draft("ModelReleased")])  # the stream is at 4
    streams = Streams(other.app)
    assert streams.cached_versions([SLUG, "nobody"]) == {SLUG: 2, "nobody": None}
    with streams.locks.hold({SLUG: 2}) as missed:
        assert [e.originator_version for e in missed[SLUG]] == [3, 4]
        streams.catch_up(SLUG, missed[SLUG])
        streams.catch_up(SLUG, missed[SLUG])  # another thread's copy got there first
    assert streams.cached_versions([SLUG]) == {SLUG: 4}
    assert other.append(SLUG, [draft("ModelReleased")]).version == 5
    assert other.verify(SLUG).ok
    streams.close()
    first.close()
    other.close()


@pytest.mark.postgres
def test_a_lock_connection_the_server_dropped_is_made_again(postgres_url):
    tag = f"locks{uuid.uuid4().hex[:8]}"
    service = PactlogService(f"{postgres_url}&application_name={tag}", project_inline=False)
    service.create_partnership(SLUG, formed())
    base = postgres_url.split("?", maxsplit=1)[0]
    with psycopg.connect(base, autocommit=True) as conn:
        dropped = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name LIKE %s AND pid <> pg_backend_pid()",
            (f"{tag}%stream-locks",),
        ).fetchone()
    assert dropped is not None
    assert dropped[0] >= 1
    assert service.append(SLUG, [draft("ModelReleased")]).version == 2
    assert service.verify(SLUG).ok
    service.close()
