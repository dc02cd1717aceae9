"""Rehearsing appends: which drafts the write rules would refuse, nothing stored.

A large import (`service.importing`) rehearses a partnership's lines a part at a time, in file
order. Each part is staged on the stream as the parts before it left it (their refused drafts
left out), and only that stream's state is carried from part to part, not the events staged on
it: memory follows the part, not the partnership (1,000,000 lines of one partnership took
4.4 GiB rehearsed whole).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from events.envelope import EventDraft
from events.errors import DomainError
from service.errors import translating
from service.write.prepare import prepare
from service.write.requests import AppendRequest
from service.write.store import Streams
from service.write.stream import Partnership


@translating
class Rehearsal:
    """One partnership's drafts, rehearsed in order, a part at a time (`part`; an unreachable
    store is `StoreUnavailable`)."""

    def __init__(self, streams: Streams, slug: str, now: datetime) -> None:
        self.streams = streams
        self.slug = slug
        self.now = now
        self._after: Partnership | None = None  # the stream after the parts so far
        self._earlier: dict[str, EventDraft] = {}  # what later parts' amendments aim at

    def part(
        self, drafts: Sequence[EventDraft], aimed_at: Collection[str] = ()
    ) -> list[tuple[int, DomainError]]:
        """Which of `drafts` (the next part) the write rules would refuse, appended in order
        after the parts before with the refused ones left out: (index, error) of each.
        `aimed_at`: ids that an amendment in a later part may aim at (kept until then).

        The part is staged once; only when it fails is the first refused draft found by
        bisection on its prefixes (staging is all or nothing), left out, and the rest tried.
        """

        def staged(indices: list[int]) -> Partnership | DomainError | None:
            if not indices:
                return self._after  # nothing staged: the stream as the parts before left it
            request = AppendRequest.of(self.slug, [drafts[i] for i in indices], None, None)
            try:
                return prepare(
                    self.streams,
                    request,
                    self.now,
                    fresh=True,
                    base=self._after,
                    earlier=self._earlier,
                )
            except DomainError as error:
                return error

        refused: list[tuple[int, DomainError]] = []
        kept, good = list(range(len(drafts))), 0  # kept[:good] is known to pass
        outcome = staged(kept)
        while isinstance(outcome, DomainError):
            error = outcome
            low, high = good, len(kept)  # kept[:low] passes, kept[:high] fails
            while high - low > 1:
                middle = (low + high) // 2
                found = staged(kept[:middle])
                if isinstance(found, DomainError):
                    high, error = middle, found
                else:
                    low = middle
            refused.append((kept[high - 1], error))
            del kept[high - 1]
            good = high - 1
            outcome = staged(kept)
        if outcome is not None:
            outcome.collect_events()  # the staged events go; the stream's state stays
            self._after = outcome
        for index in kept:
            draft = drafts[index]
            if draft.id is not None and str(draft.id) in aimed_at:
                self._earlier[str(draft.id)] = draft
        return refused
