"""Tamper evidence: recompute a stream's hash chain from the stored events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events.errors import PartnershipNotFound
from events.integrity import GENESIS, chain_hash
from service.write.store import PactlogApplication
from service.write.stream import stream_id


@dataclass(frozen=True)
class Verification:
    partnership: str
    ok: bool
    checked: int
    head: str
    problem: str | None = None
    version: int | None = None


def verify(app: PactlogApplication, slug: str) -> Verification:
    """Recompute the stream's hash chain from the stored events."""
    stored = app.recorder.select_events(stream_id(slug))
    if not stored:
        raise PartnershipNotFound(slug)
    previous = GENESIS
    for count, item in enumerate(stored, start=1):
        try:
            event: Any = app.mapper.to_domain_event(item)
            expected = chain_hash(
                previous, event.content(), event.originator_version, event.timestamp.isoformat()
            )
        except Exception as error:  # a tampered row may not even decode
            return Verification(
                slug, False, count, previous, f"cannot decode: {error}", item.originator_version
            )
        if expected != event.hash:
            return Verification(
                slug,
                False,
                count,
                previous,
                "the stored event does not match its hash",
                item.originator_version,
            )
        previous = expected
    return Verification(slug, True, len(stored), previous)
