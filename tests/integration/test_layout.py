"""The view records its layout; a process that finds an older one rebuilds the view by itself,
once: two processes starting at once on the same database, one rebuilds while the other waits,
and both then answer from the new layout."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from service.pactlog import PactlogService
from service.view.tables import LAYOUT_VERSION
from tests.upgrade import copy_store, load_store

SLUG = "openai-microsoft"


def start(url: str, barrier: Any, answers: Any) -> None:
    """One process starting: build the service (which checks the layout), then read."""
    barrier.wait(timeout=60)
    service = PactlogService(url, project_inline=False)
    try:
        totals = service.state(SLUG).state["investments"]["totals"]["USD"]
        answers.put((service.rebuilt_layout, service.view.layout_version(), totals["firm"]))
    finally:
        service.close()


def start_two_at_once(url: str) -> list[tuple[bool, int, str]]:
    context = multiprocessing.get_context("spawn")
    barrier, answers = context.Barrier(2), context.Queue()
    processes = [context.Process(target=start, args=(url, barrier, answers)) for _ in range(2)]
    for process in processes:
        process.start()
    found = [answers.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return found


@pytest.mark.postgres
def test_two_processes_starting_at_once_on_postgres_rebuild_an_old_layout_once(
    postgres_url: str,
) -> None:
    load_store(postgres_url)
    service = PactlogService(postgres_url)
    service.catch_up()
    service.view.stamp_layout(1)  # as a release with an older layout left it
    service.close()
    found = start_two_at_once(postgres_url)
    assert sorted(rebuilt for rebuilt, _, _ in found) == [False, True]
    assert {(layout, firm) for _, layout, firm in found} == {(LAYOUT_VERSION, "14000000000")}


def test_two_processes_starting_at_once_on_sqlite_rebuild_the_old_view_once(
    tmp_path: Path,
) -> None:
    found = start_two_at_once(copy_store(tmp_path))  # its view is the old release's
    assert sorted(rebuilt for rebuilt, _, _ in found) == [False, True]
    assert {(layout, firm) for _, layout, firm in found} == {(LAYOUT_VERSION, "14000000000")}


def test_a_new_store_is_stamped_with_the_current_layout_and_never_rebuilt(tmp_path: Path) -> None:
    service = PactlogService(f"sqlite:///{tmp_path}/new.sqlite")
    try:
        assert service.rebuilt_layout is False
        assert service.view.layout_version() == LAYOUT_VERSION
    finally:
        service.close()
