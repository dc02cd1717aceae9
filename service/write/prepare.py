"""Staging an append on its stream's aggregate: every write rule checked, nothing saved yet."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime

from eventsourcing.application import AggregateNotFoundError

from events.catalog import AMENDING_TYPES
from events.envelope import EventDraft
from events.errors import PartnershipExists, PartnershipNotFound, StaleVersion
from events.rules import Target, check_draft, check_occurred_on
from service.write.requests import AppendRequest
from service.write.store import Streams
from service.write.stream import Partnership


def prepare(
    streams: Streams,
    request: AppendRequest,
    now: datetime,
    *,
    fresh: bool,
    base: Partnership | None = None,
    earlier: Mapping[str, EventDraft] | None = None,
) -> Partnership:
    """The aggregate with the request's drafts triggered on it, every write rule checked.

    `base`, an aggregate already holding other requests' events of this commit (or a
    rehearsal's earlier parts), is copied rather than changed, so that a refused request leaves
    it as it was. `earlier`: drafts staged on `base` before (by id) that an amendment may aim
    at, beside those of this request and the stored events.
    """
    slug, drafts, expected_version = request.slug, request.drafts, request.expected_version
    today = now.date()
    first, *rest = drafts
    try:
        if base is not None:
            aggregate = copy.deepcopy(base)
        else:
            aggregate = streams.load(slug, fresh=fresh)
            if expected_version is not None and aggregate.version != expected_version:
                aggregate = streams.load(slug, fresh=True)
    except AggregateNotFoundError:
        if first.type != "PartnershipFormed":
            raise PartnershipNotFound(slug) from None
        if expected_version not in (None, 0):
            raise StaleVersion(expected_version, 0) from None
        if first.occurred_on is not None:  # always, for PartnershipFormed
            check_occurred_on(first.occurred_on, today, "occurred_on")
        aggregate = Partnership.form(slug, first, now)
    else:
        if first.type == "PartnershipFormed" and expected_version in (None, 0):
            raise PartnershipExists(slug)
        if expected_version is not None and aggregate.version != expected_version:
            raise StaleVersion(expected_version, aggregate.version)
        rest = list(drafts)
    batch: dict[str, EventDraft] = dict(earlier or {})
    for draft in rest:
        target = _target(streams, slug, draft, batch)
        check_draft(draft, aggregate.facts, today, target, slug)
        aggregate.record(draft, now)
        batch[str(draft.id)] = draft
    return aggregate


def _target(
    streams: Streams, slug: str, draft: EventDraft, batch: dict[str, EventDraft]
) -> Target | None:
    """What a correction or retraction aims at, as it reads now (or earlier in this batch)."""
    if draft.type not in AMENDING_TYPES:
        return None
    target_id = str(draft.data["target_id"])
    earlier = batch.get(target_id)
    if earlier is not None:
        return Target(target_id, slug, earlier.type, earlier.data)
    content = streams.current_content(target_id)
    if content is None:
        return None
    return Target(target_id, content["partnership"], content["type"], content["data"])
