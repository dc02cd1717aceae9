"""`pactlog load` of a large JSON Lines file (issue 13, item 2): validated by several processes,
a chunk of lines each (here 3 lines a chunk, so that small files take that path), and still all
or nothing, on both stores."""

from __future__ import annotations

import json
import uuid
from typing import Any

from service.export import log_lines
from service.importing import ImportReport, import_lines
from service.pactlog import PactlogService
from tests.builders import draft, payload
from tests.integration.test_bitemporal import stream
from tests.integration.test_export import target  # noqa: F401  (a second, empty store)

SLUG = "bulk"


def _lines(*bodies: dict[str, Any]) -> list[str]:
    return [json.dumps({"partnership": SLUG, **body}) for body in bodies]


def _timeline(count: int) -> list[dict[str, Any]]:
    """A partnership formed, then `count` investments, each with its own id."""
    investments = [
        {**payload("InvestmentMade", f"2021-03-{day % 28 + 1:02d}"), "id": str(uuid.uuid4())}
        for day in range(count)
    ]
    formed = {**payload("PartnershipFormed", "2019-07-22"), "id": str(uuid.uuid4())}
    return [formed, *investments]


def _in_chunks(service: PactlogService, lines: list[str], partial: bool = False) -> ImportReport:
    return import_lines(service, lines, "jsonl", partial=partial, workers=2, chunk=3)


def test_a_file_validated_in_chunks_by_several_processes_is_stored_in_file_order(service):
    bodies = _timeline(10)
    report = _in_chunks(service, _lines(*bodies))
    assert (report.rows, report.appended, report.refused) == (11, 11, [])
    stored = stream(service, SLUG)
    assert [e.id for e in stored[1:]] == [body["id"] for body in bodies[1:]]
    assert [e.version for e in stored] == list(range(1, 12))


def test_a_bad_line_in_a_late_chunk_stores_nothing_and_is_named_by_its_line(service):
    bodies = _timeline(10)
    bodies[8] = {**bodies[8], "occurred_on": "2999-01-01"}  # line 9: in the future
    lines = _lines(*bodies)
    lines.insert(5, "not json")  # line 6; the future one is now line 10
    report = _in_chunks(service, lines)
    assert [number for number, _ in report.refused] == [6, 10]
    assert "future" in report.refused[1][1]
    assert report.appended == 0
    assert service.last_position() == 0


def test_partial_stores_every_good_line_of_every_chunk(service):
    bodies = _timeline(10)
    bodies[8] = {**bodies[8], "confidence": "certain"}
    report = _in_chunks(service, _lines(*bodies), partial=True)
    assert [number for number, _ in report.refused] == [9]
    assert report.appended == 10


def test_a_second_load_of_the_same_file_stores_nothing_new(service):
    lines = _lines(*_timeline(10))
    assert _in_chunks(service, lines).appended == 11
    again = _in_chunks(service, lines)
    assert (again.appended, again.already_there, again.refused) == (0, 11, [])
    assert service.last_position() == 11


def test_an_id_recorded_with_other_content_refuses_the_whole_file(service):
    bodies = _timeline(10)
    _in_chunks(service, _lines(*bodies[:4]))
    bodies[3] = {**bodies[3], "summary": "something else"}
    report = _in_chunks(service, _lines(*bodies[4:], bodies[3]))
    assert [number for number, _ in report.refused] == [8]
    assert "used by another event" in report.refused[0][1]
    assert service.last_position() == 4


def test_the_write_rules_see_the_lines_of_earlier_chunks(service):
    """A dispute opened in one chunk is resolved in a later one, and a correction there aims at
    an investment of the first: rehearsed in file order, across chunks."""
    bodies = _timeline(2)
    opened = payload("DisputeOpened", "2022-01-01")
    filler = [payload("ModelReleased", "2022-02-01") for _ in range(3)]
    resolved = payload("DisputeResolved", "2022-03-01")
    corrected = payload(
        "EventCorrected",
        "2022-04-01",
        target_id=bodies[1]["id"],
        fields={"summary": "better"},
        reason="typo",
    )
    report = _in_chunks(service, _lines(*bodies, opened, *filler, resolved, corrected))
    assert report.refused == []
    assert report.appended == 9


def test_a_rule_broken_in_a_later_chunk_stores_nothing(service):
    bodies = _timeline(4)
    resolved = payload("DisputeResolved", "2022-03-01")  # never opened
    report = _in_chunks(service, _lines(*bodies, resolved))
    assert [number for number, _ in report.refused] == [6]
    assert service.last_position() == 0


def test_a_log_export_loaded_in_chunks_keeps_its_transactions(service, target):  # noqa: F811
    """Events recorded together in one request are recorded together again, though the chunks
    (3 lines) cut through the request (4 events)."""
    bodies = _timeline(7)
    service.append(SLUG, [draft("PartnershipFormed", "2019-07-22")])
    drafts = [draft("InvestmentMade", body["occurred_on"]) for body in bodies[1:]]
    service.append(SLUG, drafts[:4])
    service.append(SLUG, drafts[4:])
    lines = [line.decode() for line in log_lines(service)]
    report = _in_chunks(target, lines)
    assert (report.appended, report.refused) == (8, [])
    here, there = stream(service, SLUG), stream(target, SLUG)
    assert [e.id for e in here] == [e.id for e in there]

    def together(events: list[Any]) -> list[list[str]]:
        groups: dict[Any, list[str]] = {}
        for event in events:
            groups.setdefault(event.recorded_at, []).append(event.id)
        return list(groups.values())

    assert together(here) == together(there)
