"""Full-text search on both stores: ranking, filters, both cut-offs, retractions and
corrections, paging; and the same answers from SQLite and PostgreSQL for the same data."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest

from events.envelope import parse_event
from service.pactlog import PactlogService
from service.read.search import BadSearch
from tests.builders import draft, formed
from tests.conftest import Clock

_slugs = (f"s-{n}" for n in itertools.count())


def _event(kind: str, on: str, summary: str, sources: list[dict[str, str]] | None = None,
           **data: Any):  # fmt: skip
    base = draft(kind, on, **data)
    return parse_event(
        {**base.content("x"), "id": None, "partnership": None, "summary": summary,
         "sources": sources or []}
    ).with_id()  # fmt: skip


def _timeline(service: PactlogService) -> tuple[str, dict[str, str]]:
    """A partnership whose events mention Azure in different places."""
    slug = next(_slugs)
    service.create_partnership(slug, formed("2019-07-22"))
    events = {
        "in_summary": _event("ProductIntegrated", "2023-02-07", "Bing gains chat on Azure"),
        "in_names": _event("CommitmentMade", "2023-03-01", "A cloud spending pledge",
                           party="Azure Cloud Unit"),
        "in_source": _event("StatementMade", "2023-04-01", "Nadella praises the lab",
                            [{"publisher": "Azure Weekly", "title": "Interview"}]),
        "older_summary": _event("ModelReleased", "2022-11-30", "A model served from Azure"),
        "other": _event("TermsRenegotiated", "2023-05-01", "Terms quietly revisited"),
    }  # fmt: skip
    service.append(slug, list(events.values()))
    return slug, {name: str(event.id) for name, event in events.items()}


def _ids(answer: Any) -> list[str]:
    return [hit.event["id"] for hit in answer.hits]


def test_hits_rank_summary_then_names_then_sources_latest_first(service) -> None:
    slug, ids = _timeline(service)
    answer = service.search("azure", partnership=slug)
    assert _ids(answer) == [
        ids["in_summary"], ids["older_summary"], ids["in_names"], ids["in_source"]
    ]  # fmt: skip
    assert [hit.tier for hit in answer.hits] == [1, 1, 2, 3]
    assert answer.hits[0].snippet == "Bing gains chat on <mark>Azure</mark>"
    assert answer.hits[2].matched == ["names"]
    assert answer.hits[3].highlights["sources"].startswith("<mark>Azure</mark> Weekly")


def test_every_word_is_needed_and_the_last_is_also_a_prefix(service) -> None:
    slug, ids = _timeline(service)
    assert _ids(service.search("bing AZ", partnership=slug)) == [ids["in_summary"]]
    assert _ids(service.search("bing revenue", partnership=slug)) == []
    assert _ids(service.search("Révenue", partnership=slug)) == [ids["other"]]
    with pytest.raises(BadSearch):
        service.search("  …  ", partnership=slug)


def test_the_timelines_filters_and_as_of_apply(service) -> None:
    slug, ids = _timeline(service)
    assert _ids(service.search("azure", partnership=slug, types=["ModelReleased"])) == [
        ids["older_summary"]
    ]
    assert _ids(service.search("azure", partnership=slug, as_of=date(2023, 1, 1))) == [
        ids["older_summary"]
    ]
    assert _ids(service.search("azure", partnership=slug, start=date(2023, 3, 1),
                               end=date(2023, 3, 31))) == [ids["in_names"]]  # fmt: skip


def test_pages_follow_the_cursor_to_the_end(service) -> None:
    slug, _ = _timeline(service)
    whole = _ids(service.search("azure", partnership=slug))
    seen, cursor = [], ""
    while cursor is not None:
        page = service.search("azure", partnership=slug, after=cursor, limit=1)
        seen += _ids(page)
        cursor = page.cursor
    assert seen == whole


def test_known_at_hides_what_was_recorded_later(service, clock: Clock) -> None:
    slug, _ = _timeline(service)
    before = clock.advance(seconds=1)
    clock.advance(seconds=1)
    late = _event("DisputeOpened", "2023-01-10", "Azure outage dispute", dispute_id="outage")
    service.append(slug, [late])
    assert str(late.id) in _ids(service.search("outage", partnership=slug))
    assert _ids(service.search("outage", partnership=slug, known_at=before)) == []
    assert _ids(service.search("outage", known_at=before)) == []


def test_a_retracted_event_is_not_found_after_its_retraction(service, clock: Clock) -> None:
    slug, ids = _timeline(service)
    believed = clock.advance(seconds=1)
    service.append(slug, [draft("EventRetracted", "2024-01-01", target_id=ids["in_summary"],
                                reason="never happened")])  # fmt: skip
    assert ids["in_summary"] not in _ids(service.search("bing", partnership=slug))
    assert ids["in_summary"] not in _ids(service.search("bing"))
    assert _ids(service.search("bing", partnership=slug, known_at=believed)) == [ids["in_summary"]]


def test_a_corrected_event_is_found_by_its_new_words_from_the_correction(service, clock) -> None:
    slug, ids = _timeline(service)
    believed = clock.advance(seconds=1)
    service.append(slug, [draft("EventCorrected", "2024-01-01", target_id=ids["other"],
                                fields={"summary": "Profit split renegotiated"},
                                reason="wording")])  # fmt: skip
    assert _ids(service.search("profit", partnership=slug)) == [ids["other"]]
    assert _ids(service.search("quietly", partnership=slug)) == []
    assert _ids(service.search("quietly", partnership=slug, known_at=believed)) == [ids["other"]]


def test_a_search_across_partnerships_finds_each_and_one_is_scoped(service) -> None:
    first, _ = _timeline(service)
    second, ids_second = _timeline(service)
    everywhere = service.search("bing")
    assert {hit.event["partnership"] for hit in everywhere.hits} >= {first, second}
    assert _ids(service.search("bing", partnership=second)) == [ids_second["in_summary"]]


def _timeline_ids(page: Any) -> list[str]:
    return [event["id"] for event in page.events]


def test_the_timeline_keeps_its_order_and_filters_when_given_words(service, clock) -> None:
    slug, ids = _timeline(service)
    found = service.timeline(slug, text="azure")
    in_valid_time = [ids[n] for n in ("older_summary", "in_summary", "in_names", "in_source")]
    assert _timeline_ids(found) == in_valid_time
    assert set(_timeline_ids(found)) == set(_ids(service.search("azure", partnership=slug)))
    assert _timeline_ids(service.timeline(slug, text="bing AZ")) == [ids["in_summary"]]
    assert _timeline_ids(service.timeline(slug, text="azure", types=["ModelReleased"])) == [
        ids["older_summary"]
    ]
    assert _timeline_ids(service.timeline(slug, text="azure", as_of=date(2023, 1, 1))) == [
        ids["older_summary"]
    ]
    seen, cursor = [], ""
    while cursor is not None:
        page = service.timeline(slug, text="azure", after=cursor, limit=1)
        seen += _timeline_ids(page)
        cursor = page.cursor
    assert seen == in_valid_time
    believed = clock.advance(seconds=1)
    service.append(slug, [draft("EventRetracted", "2024-01-01", target_id=ids["in_summary"],
                                reason="never happened")])  # fmt: skip
    assert ids["in_summary"] not in _timeline_ids(service.timeline(slug, text="azure"))
    assert ids["in_summary"] in _timeline_ids(
        service.timeline(slug, text="azure", known_at=believed)
    )
    with pytest.raises(BadSearch):
        service.timeline(slug, text="  …  ")


def _answers(service: PactlogService) -> list[Any]:
    slug, _ = _timeline(service)
    service.append(slug, [_event("RiskFlagged", "2021", "Single cloud: Azure dependency",
                                 risk_id="azure", category="infrastructure_dependency",
                                 description="OpenAI depends on Azure", severity=4)])  # fmt: skip
    found = []
    for query in ("azure", "az", "chat azure", "interview", "lab nadella", "the", "2023"):
        for options in ({}, {"as_of": date(2023, 3, 15)}, {"types": ["StatementMade"]}):
            answer = service.search(query, partnership=slug, **options)
            found.append(
                [(h.tier, h.event["summary"], h.snippet, h.highlights) for h in answer.hits]
            )
            page = service.timeline(slug, text=query, **options)
            found.append([event["summary"] for event in page.events])
    return found


@pytest.mark.postgres
def test_sqlite_and_postgresql_give_the_same_answers_for_the_same_data(
    tmp_path, postgres_url: str
) -> None:
    answers = []
    for url in (f"sqlite:///{tmp_path}/same.sqlite", postgres_url):
        service = PactlogService(url, clock=Clock())
        try:
            answers.append(_answers(service))
        finally:
            service.close()
    assert answers[0] == answers[1]
    assert any(answers[0])
