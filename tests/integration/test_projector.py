"""The projector as a process would run it: subscribed on PostgreSQL, polling on SQLite."""

from __future__ import annotations

import threading

from service.pactlog import PactlogService
from service.projector import run_projector
from tests.builders import SLUG, draft, formed


def test_the_running_projector_keeps_the_view_up_to_date(database_url):
    writer = PactlogService(database_url, project_inline=False)
    stop = threading.Event()
    projector = threading.Thread(
        target=run_projector, args=(writer.env, writer.policy, stop), kwargs={"poll_interval": 0.1}
    )
    projector.start()
    try:
        writer.create_partnership(SLUG, formed())
        last = writer.append(SLUG, [draft("InvestmentMade"), draft("DisputeOpened")])
        assert writer.wait_for(last.position, timeout=30)
        later = writer.append(SLUG, [draft("DisputeResolved", "2024-01-01")])
        assert writer.wait_for(later.position, timeout=30)
    finally:
        stop.set()
        projector.join(timeout=30)
    assert not projector.is_alive()
    state = writer.state(SLUG).state
    assert state["events"] == 4
    assert state["disputes"]["resolved"][0]["dispute_id"] == "gov"
    writer.close()


def test_a_reader_that_does_not_project_waits_for_its_own_write_or_times_out(database_url):
    writer = PactlogService(database_url, project_inline=False)
    writer.create_partnership(SLUG, formed())
    assert not writer.wait_for(writer.last_position(), timeout=0.2)
    assert writer.status().lag == 1
    writer.catch_up()
    assert writer.wait_for(writer.last_position(), timeout=0.2)
    assert writer.status().lag == 0
    writer.close()


def test_a_rebuild_from_the_log_gives_the_same_view(database_url):
    service = PactlogService(database_url)
    service.create_partnership(SLUG, formed())
    service.append(SLUG, [draft("InvestmentMade", "2020"), draft("DisputeOpened", "2021")])
    service.append(SLUG, [draft("InvestmentMade", "2019-03")])  # late: refolds and checkpoints
    before = service.state(SLUG).state
    timeline = service.timeline(SLUG).events
    assert service.rebuild() == 4
    assert service.projected_position() == service.last_position()
    assert service.state(SLUG).state == before
    assert service.timeline(SLUG).events == timeline
    service.close()
