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
    """`checked` events chain from where the check began; `head` is the last hash, of the event
    at `head_version` (pass both back to check only what came after). When the chain breaks,
    `version` says where and `problem` how."""

    partnership: str
    ok: bool
    checked: int
    head: str
    problem: str | None = None
    version: int | None = None
    head_version: int = 0


def verify(
    app: PactlogApplication, slug: str, after_version: int = 0, head: str = GENESIS
) -> Verification:
    """Recompute the stream's hash chain from the stored events: all of it, or (incremental)
    the events after `after_version`, chained from `head`, the hash a previous verification
    ended at. Repeated from its last head, a check costs what was appended since."""
    stored = app.recorder.select_events(stream_id(slug), gt=after_version or None)
    if not stored:
        if not app.recorder.select_events(stream_id(slug), limit=1):
            raise PartnershipNotFound(slug)
        return Verification(slug, True, 0, head, head_version=after_version)
    previous = GENESIS if not after_version else head
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
    return Verification(
        slug, True, len(stored), previous, head_version=stored[-1].originator_version
    )
