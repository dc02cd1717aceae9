"""A rebuild decodes the whole log its own, faster way, and writes in larger pages: the same
events, the same view, the same answers."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from events.envelope import parse_event
from service.pactlog import PactlogService
from service.projector import recorded
from service.steps import Step
from service.write.store import to_recorded
from tests.api.helpers import SLUG, example_lines
from tests.upgrade import copy_store, load_store


def load_example(service: PactlogService) -> None:
    lines = example_lines()
    service.create_partnership(SLUG, parse_event(lines[0], SLUG))
    for line in lines[1:]:
        service.append(SLUG, [parse_event(line, SLUG)])


def every_notification(service: PactlogService) -> list:  # type: ignore[type-arg]
    return service.app.recorder.select_notifications(0, 100_000, inclusive_of_start=False)


def test_the_projector_decodes_each_event_as_the_library_mapper_does(database_url: str) -> None:
    service = PactlogService(database_url)
    load_example(service)
    notifications = every_notification(service)
    assert len(notifications) == len(example_lines())
    for notification in notifications:
        expected = to_recorded(service.app.mapper.to_domain_event(notification), notification.id)
        assert recorded(service.app, notification) == expected
    service.close()


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_version_1_events_are_upcast_as_the_library_mapper_does(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if store == "sqlite":
        url = copy_store(tmp_path)
    else:
        url = str(request.getfixturevalue("postgres_url"))
        load_store(url)
    service = PactlogService(url, project_inline=False)
    notifications = every_notification(service)
    assert notifications
    for notification in notifications:
        expected = to_recorded(service.app.mapper.to_domain_event(notification), notification.id)
        assert recorded(service.app, notification) == expected
    service.close()


def test_a_rebuild_gives_the_same_answers(database_url: str) -> None:
    service = PactlogService(database_url)
    load_example(service)

    def answers() -> list[object]:
        return [
            service.state(SLUG),
            service.state(SLUG, as_of=date(2023, 11, 20)),
            service.trust(SLUG, as_of=date(2024, 6, 30)),
            service.timeline(SLUG, limit=1000),
            service.metric_series(
                SLUG, "invested", start=date(2019, 1, 1), end=date(2024, 12, 31), step=Step.MONTH
            ),
            service.metric_series(
                SLUG, "trust", start=date(2023, 1, 1), end=date(2023, 12, 31), step=Step.DAY
            ),
            *(service.search(words, partnership=SLUG) for words in ("microsoft", "open", "az")),
        ]

    before = answers()
    assert service.rebuild() == len(example_lines())
    assert answers() == before
    assert service.rebuild() == len(example_lines())  # the search table emptied again
    assert answers() == before
    service.close()


def test_a_page_large_enough_to_be_copied_projects_and_rebuilds_the_same(
    database_url: str,
) -> None:
    """On PostgreSQL a page of 50 rows or more is sent by COPY: the same view, and a page
    projected twice is refused as before (the projector then leaves the other's work)."""
    service = PactlogService(database_url, project_inline=False)
    load_example(service)
    service.append(SLUG, [parse_event(investment_line(day), SLUG) for day in range(1, 121)])
    assert service.catch_up() == len(example_lines()) + 120
    before = [service.state(SLUG), service.timeline(SLUG, limit=1000)]
    assert service.rebuild() == len(example_lines()) + 120
    assert [service.state(SLUG), service.timeline(SLUG, limit=1000)] == before
    view, app = service.view, service.app
    page = [recorded(app, n) for n in every_notification(service)[-100:]]
    with pytest.raises(IntegrityError):
        view.process(page, Tracking(app.name, page[-1].position + 1000))
    service.close()


def investment_line(day: int) -> dict[str, object]:
    return {
        "type": "InvestmentMade",
        "occurred_on": (date(2019, 1, 1) + timedelta(days=day * 3)).isoformat(),
        "summary": f"Tranche {day}",
        "confidence": "reported",
        "data": {
            "investor": "Microsoft",
            "amount": str(1000 + day),
            "currency": "USD",
            "instrument": "equity",
            "status": "paid",
        },
    }
