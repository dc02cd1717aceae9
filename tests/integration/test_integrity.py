"""Tamper evidence, crash safety of the projector, and concurrent writers."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading

import psycopg
import pytest

from events.errors import StaleVersion
from service.pactlog import PactlogService
from service.projections.state import render_state
from service.projector import catch_up
from service.write.stream import stream_id
from tests.builders import SLUG, draft, formed
from tests.oracle import expected_state


def tamper(database_url: str, version: int, old: bytes, new: bytes) -> None:
    """Rewrite one stored event's bytes behind the service's back."""
    originator = stream_id(SLUG)
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            # The table refuses updates; whoever can write the file can drop the guard.
            conn.execute("DROP TRIGGER stored_events_append_only")
            (state,) = conn.execute(
                "SELECT state FROM stored_events WHERE originator_id=? AND originator_version=?",
                (originator.hex, version),
            ).fetchone()
            conn.execute(
                "UPDATE stored_events SET state=? WHERE originator_id=? AND originator_version=?",
                (bytes(state).replace(old, new), originator.hex, version),
            )
        return
    schema = database_url.split("schema=")[1]
    with psycopg.connect(database_url.split("?", maxsplit=1)[0], autocommit=True) as conn:
        # The table refuses updates; an intruder with superuser rights can go around that.
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            f'UPDATE "{schema}".pactlog_events SET state = %s '
            "WHERE originator_id = %s AND originator_version = %s",
            (
                bytes(
                    conn.execute(
                        f'SELECT state FROM "{schema}".pactlog_events '
                        "WHERE originator_id = %s AND originator_version = %s",
                        (originator, version),
                    ).fetchone()[0]
                ).replace(old, new),
                originator,
                version,
            ),
        )


def test_an_untouched_stream_verifies(service):
    service.create_partnership(SLUG, formed())
    service.append(SLUG, [draft("InvestmentMade"), draft("ModelReleased")])
    verification = service.verify(SLUG)
    assert verification.ok
    assert verification.checked == 3


def test_a_tampered_row_is_detected_by_verify(service, database_url):
    service.create_partnership(SLUG, formed())
    service.append(SLUG, [draft("InvestmentMade", amount="1000000000"), draft("ModelReleased")])
    tamper(database_url, 2, b"1000000000", b"9000000000")
    fresh = PactlogService(database_url)  # no cached aggregate
    verification = fresh.verify(SLUG)
    fresh.close()
    assert not verification.ok
    assert verification.version == 2
    assert verification.checked == 2


class Crash(Exception):
    """Stands in for the projector process dying."""


def test_a_projector_stopped_between_pages_resumes_to_a_full_replay(database_url, clock):
    writer = PactlogService(database_url, clock=clock, project_inline=False)
    writer.create_partnership(SLUG, formed())
    for year in range(2019, 2025):
        writer.append(SLUG, [draft("InvestmentMade", f"{year}"), draft("TrustSignal", f"{year}")])
    first = writer.log(limit=1)[0]
    writer.append(
        SLUG,
        [
            draft(
                "EventRetracted",
                "2026-01-01",
                target_id=writer.log(after=first.position, limit=1)[0].id,
                reason="x",
            )
        ],
    )

    projector = PactlogService(database_url, clock=clock, project_inline=False)
    original = projector.view.process
    pages = 0

    def dies_after_the_second_page(events, tracking):
        nonlocal pages
        original(events, tracking)  # the page and its tracking record commit together ...
        pages += 1
        if pages == 2:
            raise Crash  # ... and the process dies before the next one

    projector.view.process = dies_after_the_second_page
    with pytest.raises(Crash):
        catch_up(projector.app, projector.view, page_size=3)
    assert projector.projected_position() == 6
    projector.close()

    restarted = PactlogService(database_url, clock=clock, project_inline=False)
    restarted.catch_up()
    events = [e for e in restarted.log(limit=1000) if e.partnership == SLUG]
    current = restarted.state(SLUG)
    assert current.knowledge.version == events[-1].version
    assert current.state == render_state(
        expected_state(events, events[-1].version), clock.now.date()
    )
    assert current.state["events"] == 13 - 1  # each event applied once; the retracted one gone
    restarted.close()
    writer.close()


def append_with_expected_versions(database_url: str, writes: int, results: list) -> None:
    service = PactlogService(database_url, project_inline=False)
    done = 0
    while done < writes:
        version = service.stream_version(SLUG)
        try:
            appended = service.append(SLUG, [draft("ModelReleased")], expected_version=version)
        except StaleVersion:
            results.append("conflict")
            continue
        results.append(appended.version)
        done += 1
    service.close()


def check_stream_after_concurrent_writes(database_url: str, acknowledged: list[int]) -> None:
    service = PactlogService(database_url)
    events = [e for e in service.log(limit=10_000) if e.partnership == SLUG]
    versions = [e.version for e in events]
    assert versions == list(range(1, len(events) + 1)), "versions are gapless"
    assert sorted(acknowledged) == versions[1:], "every acknowledged event is there, once"
    positions = [e.position for e in events]
    assert len(set(positions)) == len(positions)
    assert service.verify(SLUG).ok
    service.catch_up()
    assert service.state(SLUG).state["events"] == len(events)
    service.close()


def test_threads_appending_with_expected_versions_lose_and_duplicate_nothing(database_url):
    setup = PactlogService(database_url)
    setup.create_partnership(SLUG, formed())
    setup.close()
    results: list = []
    threads = [
        threading.Thread(target=append_with_expected_versions, args=(database_url, 10, results))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    acknowledged = [r for r in results if r != "conflict"]
    assert len(acknowledged) == 40
    check_stream_after_concurrent_writes(database_url, acknowledged)


def _process_writer(database_url: str, writes: int, queue) -> None:
    results: list = []
    append_with_expected_versions(database_url, writes, results)
    queue.put(results)


@pytest.mark.postgres
def test_postgres_processes_appending_with_expected_versions_lose_and_duplicate_nothing(
    postgres_url,
):
    setup = PactlogService(postgres_url)
    setup.create_partnership(SLUG, formed())
    setup.close()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [
        context.Process(target=_process_writer, args=(postgres_url, 10, queue)) for _ in range(3)
    ]
    for process in processes:
        process.start()
    results = [item for _ in processes for item in queue.get(timeout=120)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    acknowledged = [r for r in results if r != "conflict"]
    assert len(acknowledged) == 30
    check_stream_after_concurrent_writes(postgres_url, acknowledged)


@pytest.mark.postgres
@pytest.mark.parametrize("statement", ["UPDATE {table} SET {column} = 'x'", "DELETE FROM {table}"])
@pytest.mark.parametrize(
    ("table", "column"), [("pactlog_events", "topic"), ("pactlog_event_index", "digest")]
)
def test_postgres_refuses_to_update_or_delete_what_was_recorded(
    postgres_url, statement, table, column
):
    service = PactlogService(postgres_url)
    service.create_partnership(SLUG, formed())
    schema = postgres_url.split("schema=")[1]
    sql = statement.format(table=f'"{schema}".{table}', column=column)
    with (
        psycopg.connect(postgres_url.split("?", maxsplit=1)[0], autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
    ):
        conn.execute(sql)
    assert service.verify(SLUG).ok
    assert len(service.log()) == 1
    service.close()


@pytest.mark.parametrize("statement", ["UPDATE {table} SET {column} = 'x'", "DELETE FROM {table}"])
@pytest.mark.parametrize(
    ("table", "column"), [("stored_events", "topic"), ("event_index", "digest")]
)
def test_sqlite_refuses_to_update_or_delete_what_was_recorded(tmp_path, statement, table, column):
    path = tmp_path / "pactlog.sqlite"
    service = PactlogService(f"sqlite:///{path}")
    service.create_partnership(SLUG, formed())
    with (
        sqlite3.connect(path) as conn,
        pytest.raises(sqlite3.IntegrityError, match="append-only"),
    ):
        conn.execute(statement.format(table=table, column=column))
    assert service.verify(SLUG).ok
    service.close()
