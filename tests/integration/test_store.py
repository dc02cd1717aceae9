"""Appending: atomic batches, optimistic concurrency, idempotency, write rules, the log."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from events.errors import (
    DuplicateEventId,
    IdempotencyKeyReused,
    PartnershipExists,
    PartnershipNotFound,
    RuleViolated,
    StaleVersion,
)
from tests.builders import SLUG, draft, formed


def test_a_partnership_starts_with_its_formation(service):
    appended = service.create_partnership(SLUG, formed())
    assert appended.version == 1
    assert appended.position >= 1
    with pytest.raises(PartnershipExists):
        service.create_partnership(SLUG, formed())


def test_appending_to_an_unknown_partnership_is_refused(service):
    with pytest.raises(PartnershipNotFound):
        service.append("nobody", [draft("ModelReleased")])


def test_a_batch_is_stored_whole_with_consecutive_versions(service):
    service.create_partnership(SLUG, formed())
    appended = service.append(
        SLUG, [draft("InvestmentMade"), draft("DisputeOpened"), draft("DisputeEscalated")]
    )
    assert [e.version for e in appended.events] == [2, 3, 4]
    positions = [e.position for e in appended.events]
    assert positions == sorted(set(positions))


def test_a_batch_with_one_bad_event_stores_nothing(service):
    service.create_partnership(SLUG, formed())
    before = service.last_position()
    with pytest.raises(RuleViolated) as caught:
        service.append(SLUG, [draft("InvestmentMade"), draft("DisputeResolved")])
    assert caught.value.field == "data.dispute_id"
    assert service.last_position() == before
    assert service.state(SLUG).state["investments"]["totals"] == {}


def test_an_expected_version_that_is_stale_is_a_conflict(service):
    service.create_partnership(SLUG, formed())
    service.append(SLUG, [draft("ModelReleased")], expected_version=1)
    with pytest.raises(StaleVersion) as caught:
        service.append(SLUG, [draft("ModelReleased")], expected_version=1)
    assert (caught.value.expected, caught.value.actual) == (1, 2)


def test_a_retried_event_with_its_id_stores_nothing_new(service):
    service.create_partnership(SLUG, formed())
    event = draft("InvestmentMade").with_id()
    first = service.append(SLUG, [event])
    again = service.append(SLUG, [event])
    assert again.replayed
    assert again.events == first.events
    assert service.state(SLUG).state["investments"]["totals"]["USD"]["firm"] == "1000000000"


def test_an_event_id_reused_for_other_content_is_refused(service):
    service.create_partnership(SLUG, formed())
    event = draft("InvestmentMade").with_id()
    service.append(SLUG, [event])
    other = draft("InvestmentMade", amount="5")
    other = type(other)(**{**other.__dict__, "id": event.id})
    with pytest.raises(DuplicateEventId):
        service.append(SLUG, [other])


def test_an_idempotency_key_returns_the_original_answer(service):
    service.create_partnership(SLUG, formed())
    first = service.append(SLUG, [draft("ModelReleased")], idempotency_key="k-1")
    again = service.append(SLUG, [draft("ModelReleased")], idempotency_key="k-1")
    assert again.replayed
    assert again.events == first.events
    assert service.last_position() == first.position
    with pytest.raises(IdempotencyKeyReused):
        service.append(SLUG, [draft("StatementMade")], idempotency_key="k-1")


def test_the_global_log_pages_by_position_without_skipping_or_repeating(service):
    service.create_partnership(SLUG, formed())
    for _ in range(7):
        service.append(SLUG, [draft("ModelReleased")])
    seen, after = [], None
    while page := service.log(after=after, limit=3):
        seen += [e.position for e in page]
        after = page[-1].position
    assert seen == sorted(set(seen))
    assert len(seen) == 8


def test_a_late_recorded_event_lands_in_its_valid_time_place(service):
    service.create_partnership(SLUG, formed())
    service.append(SLUG, [draft("ModelReleased", "2024-05-01")])
    service.append(SLUG, [draft("InvestmentMade", "2020")])
    events = service.timeline(SLUG).events
    assert [e["occurred_on"] for e in events] == ["2019-07-22", "2020", "2024-05-01"]
    as_of_2021 = service.state(SLUG, as_of=date(2021, 1, 1)).state
    assert as_of_2021["investments"]["totals"]["USD"]["firm"] == "1000000000"


def test_concurrent_appends_each_get_their_own_answer(service):
    for slug in ("a-b", "c-d"):
        service.create_partnership(slug, formed())
    answers: dict[int, object] = {}

    def append(number: int) -> None:
        slug = "a-b" if number % 2 else "c-d"
        event = draft("DisputeResolved") if number == 5 else draft("ModelReleased")
        try:
            answers[number] = service.append(slug, [event.with_id()])
        except RuleViolated as error:
            answers[number] = error

    threads = [threading.Thread(target=append, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert isinstance(answers.pop(5), RuleViolated), "a refused request fails alone"
    positions = [a.position for a in answers.values()]
    assert len(set(positions)) == 11
    logged = {e.id: (e.partnership, e.position) for e in service.log(limit=100)}
    for number, answer in answers.items():
        assert logged[answer.events[0].id] == (answer.partnership, answer.position)
        assert answer.partnership == ("a-b" if number % 2 else "c-d")
    for slug in ("a-b", "c-d"):
        versions = [e.version for e in service.log(limit=100) if e.partnership == slug]
        assert versions == list(range(1, len(versions) + 1))
