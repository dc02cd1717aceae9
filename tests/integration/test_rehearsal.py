"""Rehearsing a partnership's drafts a part at a time (`PactlogService.rehearsal`, what a large
`pactlog load` does chunk by chunk) refuses exactly what rehearsing them all at once refuses,
wherever the parts are cut, and stores nothing."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from typing import Any

from events.envelope import EventDraft, parse_event
from events.errors import DomainError
from service.pactlog import PactlogService
from tests.builders import payload

SLUG = "rehearsed"


def _with_id(body: dict[str, Any]) -> EventDraft:
    return parse_event({**body, "id": str(uuid.uuid4())})


def _drafts() -> list[EventDraft]:
    """A new partnership's history with refusals that depend on what came before them."""
    formed = _with_id(payload("PartnershipFormed", "2019-07-22"))
    invested = _with_id(payload("InvestmentMade", "2021-03-01"))
    return [
        formed,
        invested,
        _with_id(payload("DisputeResolved", "2022-01-01")),  # never opened: refused
        _with_id(payload("DisputeOpened", "2022-02-01")),
        _with_id(payload("PartnershipFormed", "2022-02-15")),  # formed again: refused
        _with_id(payload("DisputeResolved", "2022-03-01")),
        _with_id(payload("DisputeResolved", "2022-03-02")),  # resolved already: refused
        _with_id(
            payload(
                "EventCorrected",
                "2022-04-01",
                target_id=invested.id,
                fields={"summary": "better"},
                reason="typo",
            )
        ),
        _with_id(payload("EventRetracted", "2022-05-01", target_id=invested.id, reason="wrong")),
        _with_id(
            payload(
                "EventCorrected",
                "2022-06-01",
                target_id=invested.id,  # retracted by then: refused
                fields={"summary": "again"},
                reason="typo",
            )
        ),
        _with_id(payload("InvestmentMade", "2022-06-15")),
        _with_id(payload("DisputeOpened", "2022-07-01")),  # the same dispute again: refused
    ]


def _verdicts(refusals: Sequence[tuple[int, Exception]]) -> list[int]:
    """The refused drafts. (Their reasons may be worded differently: a second formation that
    opens a part is "the partnership exists", within one "a rule is broken".)"""
    assert all(isinstance(error, DomainError) for _, error in refusals)
    return [index for index, _ in refusals]


def _in_parts(service: PactlogService, drafts: list[EventDraft], cuts: Sequence[int]):
    aimed_at = {str(d.data["target_id"]) for d in drafts if "target_id" in d.data}
    rehearsal = service.rehearsal(SLUG)
    refusals: list[tuple[int, Exception]] = []
    bounds = [0, *cuts, len(drafts)]
    for start, end in itertools.pairwise(bounds):
        part = rehearsal.part(drafts[start:end], aimed_at)
        refusals += [(start + index, error) for index, error in part]
    return refusals


def test_parts_refuse_what_the_whole_refuses_wherever_they_are_cut(service):
    drafts = _drafts()
    whole = _verdicts(service.rehearsal(SLUG).part(drafts))
    assert whole == [2, 4, 6, 9, 11]
    for cut in range(1, len(drafts)):
        assert _verdicts(_in_parts(service, drafts, [cut])) == whole, cut
    for first in range(1, len(drafts) - 1):
        second = first + 1 + (len(drafts) - first) // 2
        assert _verdicts(_in_parts(service, drafts, [first, second])) == whole
    assert _verdicts(_in_parts(service, drafts, range(1, len(drafts)))) == whole
    assert service.last_position() == 0


def test_parts_after_a_stored_stream_start_where_it_ends(service):
    drafts = _drafts()
    service.append(SLUG, drafts[:2])
    rest = drafts[2:]
    whole = _verdicts(service.rehearsal(SLUG).part(rest))
    for cut in range(1, len(rest)):
        assert _verdicts(_in_parts(service, rest, [cut])) == whole
    assert service.last_position() == 2
