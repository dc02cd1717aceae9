"""An append encodes each event's content once (`EventDraft.content_json`); the digests and the
hash chain it gives are exactly those of the content encoded whole (`canonical_json`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.envelope import parse_event
from events.errors import InvalidEvent
from events.integrity import (
    GENESIS,
    canonical_json,
    chain_hash,
    chain_hash_of_json,
    content_digest,
    digest_of_json,
    request_digest_of_json,
)
from tests.builders import DATA, SLUG, draft, payload

RECORDED_AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC).isoformat()


@pytest.mark.parametrize("event_type", sorted(DATA))
def test_the_content_encoded_from_its_parts_is_the_content_encoded_whole(event_type):
    built = draft(event_type).with_id()
    content = built.content(SLUG)
    assert built.content_json(SLUG) == canonical_json(content)
    assert digest_of_json(built.content_json(SLUG)) == content_digest(content)
    assert chain_hash_of_json(GENESIS, built.content_json(SLUG), 7, RECORDED_AT) == chain_hash(
        GENESIS, content, 7, RECORDED_AT
    )


def test_an_undated_amendment_is_encoded_with_the_day_it_is_recorded():
    retraction = parse_event(
        {
            "type": "EventRetracted",
            "summary": "not so",
            "data": {"target_id": "6b0c7a52-8a55-4d6e-9b8e-4f5b8d8f3f10", "reason": "wrong"},
        }
    )
    assert retraction.occurred_on is None
    dated = retraction.content(SLUG) | {"occurred_on": "2026-11-01"}
    assert retraction.content_json(SLUG, "2026-11-01") == canonical_json(dated)
    assert retraction.content_json(SLUG) == canonical_json(retraction.content(SLUG))


@pytest.mark.parametrize("expected_version", [None, 0, 12])
def test_the_request_digest_from_the_events_encodings_is_the_digest_of_the_request(
    expected_version,
):
    drafts = [draft("InvestmentMade"), draft("ModelReleased").with_id(), draft("DisputeOpened")]
    whole = content_digest(
        {"events": [d.content(SLUG) for d in drafts], "expected_version": expected_version}
    )
    assert request_digest_of_json([d.content_json(SLUG) for d in drafts], expected_version) == whole


def test_a_drawn_id_is_part_of_the_encoding_of_the_copy_only():
    original = draft("ModelReleased")
    original.content_json(SLUG)  # encoded once, before the id is drawn
    drawn = original.with_id()
    assert drawn.content_json(SLUG) == canonical_json(drawn.content(SLUG))
    assert original.content_json(SLUG) == canonical_json(original.content(SLUG))


@given(
    summary=st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and "\x00" not in s),
    model=st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and "\x00" not in s),
)
def test_any_text_is_encoded_alike(summary, model):
    body = payload("ModelReleased", "2023-01-15", model=model) | {"summary": summary}
    try:
        built = parse_event(body).with_id()
    except InvalidEvent:  # text the schemas refuse is not encoded at all
        return
    assert built.content_json(SLUG) == canonical_json(built.content(SLUG))
