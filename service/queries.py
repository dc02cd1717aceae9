"""The service's queries, as the facade's verbs: one partnership's reads (`PartnershipQueries`)
and the reads across partnerships (`AcrossQueries`). Each verb hands over to the read side
(`service.read`), translating an unreachable store into `StoreUnavailable`; `PactlogService`
wires the readers these use."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from service.errors import translated
from service.policies import NamedPolicy
from service.read.answers import (
    DiffAnswer,
    Disputes,
    EventRecord,
    Headlines,
    Investments,
    Knowledge,
    PartnershipSummary,
    Series,
    StateAnswer,
    Timeline,
    TrustAnswer,
    TrustStream,
    Window,
)
from service.read.cut import Cuts
from service.read.organizations import (
    Network,
    OrganizationAnswer,
    OrganizationReads,
    Organizations,
)
from service.read.partnership import TRUST_PAGE, PartnershipReads
from service.read.portfolio import PortfolioReads
from service.read.search import SearchAnswer, SearchReads
from service.read.series import SeriesReads
from service.read.whatif import WhatIf, WhatIfReads
from service.steps import Step, steps


class PartnershipQueries:
    """One partnership: its state, trust, timeline, events, diff and series."""

    clock: Callable[[], datetime]
    _cuts: Cuts
    _partnership: PartnershipReads
    _series: SeriesReads

    @translated
    def read_stamp(self, slug: str) -> tuple[int, int, str] | None:
        """What every read of one partnership (state, trust, timeline, series, diff; any
        `as_of`, `known_at`) depends on: its version and position in the view and today's
        date (a current state fades with the days). Equal stamps, equal answers: a cache key.
        None while the view holds nothing of it (no answer to keep)."""
        found = self._cuts.stamp(slug)
        if found is None:
            return None
        return (*found, self.clock().date().isoformat())

    @translated
    def knowledge(
        self, slug: str, as_of: date | None = None, known_at: datetime | None = None
    ) -> Knowledge:
        """The stream version and position a read at (`as_of`, `known_at`) reflects."""
        return self._cuts.knowledge(slug, as_of, known_at)

    @translated
    def state(
        self,
        slug: str,
        as_of: date | None = None,
        known_at: datetime | None = None,
        min_confidence: str | None = None,
    ) -> StateAnswer:
        """Investments, trust, disputes, risks: now, or as of a date, as known at an instant;
        investment figures below `min_confidence` left out of the totals."""
        return self._partnership.state(slug, as_of, known_at, min_confidence)

    @translated
    def trust(
        self,
        slug: str,
        as_of: date | None = None,
        known_at: datetime | None = None,
        *,
        after: str = "",
        limit: int = TRUST_PAGE,
    ) -> TrustAnswer:
        """The trust level and one page of the contributions that make it."""
        return self._partnership.trust(slug, as_of, known_at, after=after, limit=limit)

    @translated
    def trust_stream(
        self, slug: str, as_of: date | None = None, known_at: datetime | None = None
    ) -> TrustStream:
        """The trust level and every contribution, read as they are iterated."""
        return self._partnership.trust_stream(slug, as_of, known_at)

    @translated
    def timeline(
        self,
        slug: str,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
        types: Sequence[str] = (),
        start: date | None = None,
        end: date | None = None,
        min_confidence: str | None = None,
        after: str = "",
        limit: int = 100,
        text: str | None = None,
    ) -> Timeline:
        """Events in valid-time order, a page at a time (`after`: a previous page's cursor);
        `text`: only those whose words hold it, as `search` finds them."""
        return self._partnership.timeline(
            slug, as_of=as_of, known_at=known_at, types=types, start=start, end=end,
            min_confidence=min_confidence, after=after, limit=limit, text=text,
        )  # fmt: skip

    @translated
    def event(self, slug: str, event_id: str) -> EventRecord:
        """One event as recorded, the corrections and retractions aimed at it, and how it
        reads now."""
        return self._partnership.event(slug, event_id)

    @translated
    def diff(
        self, slug: str, start: date, end: date, known_at: datetime | None = None
    ) -> DiffAnswer:
        """What changed between two dates, and the events that explain it."""
        return self._partnership.diff(slug, start, end, known_at)

    @translated
    def series(
        self,
        slug: str,
        points: Sequence[date],
        known_at: datetime | None = None,
        min_confidence: str | None = None,
    ) -> Headlines:
        """The headline figures at each of `points` (ascending), in one pass over the events."""
        return self._series.headlines(slug, points, known_at, min_confidence)

    @translated
    def window(
        self,
        slug: str,
        start: date | None = None,
        end: date | None = None,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> Window:
        """The days a series covers by default: from the first event to today (or `as_of`)."""
        return self._series.window(slug, start, end, as_of, known_at)

    @translated
    def headlines(
        self,
        slug: str,
        start: date,
        end: date,
        step: Step,
        known_at: datetime | None = None,
        min_confidence: str | None = None,
    ) -> Headlines:
        """The headline figures at each step from `start` to `end`."""
        return self._series.stepped(slug, start, end, step, known_at, min_confidence)

    @translated
    def metric_series(
        self,
        slug: str,
        metric: str,
        *,
        start: date | None = None,
        end: date | None = None,
        step: Step = Step.MONTH,
        as_of: date | None = None,
        known_at: datetime | None = None,
        min_confidence: str | None = None,
    ) -> Series:
        """One metric (see `service.read.series.METRICS`) per step over a window."""
        return self._series.metric(
            slug, metric, start=start, end=end, step=step, as_of=as_of, known_at=known_at,
            min_confidence=min_confidence,
        )  # fmt: skip


class AcrossQueries:
    """Across partnerships: the portfolio, organizations and their network, search, what-if."""

    _portfolio: PortfolioReads
    _organizations: OrganizationReads
    _search: SearchReads
    _what_if: WhatIfReads

    @translated
    def organizations(
        self, as_of: date | None = None, known_at: datetime | None = None
    ) -> Organizations:
        """Every organization (party, investor or recipient) with its partnerships and the
        money it put in and received, aliases applied as known at `known_at`."""
        return self._organizations.list(as_of, known_at)

    @translated
    def organization(
        self, name: str, as_of: date | None = None, known_at: datetime | None = None
    ) -> OrganizationAnswer:
        """One organization (by any of its names): its partnerships, investments made and
        received, open disputes and risks, latest developments."""
        return self._organizations.one(name, as_of, known_at)

    @translated
    def network(self, as_of: date | None = None, known_at: datetime | None = None) -> Network:
        """Organizations and the partnerships between them, with what was invested in each."""
        return self._organizations.network(as_of, known_at)

    @translated
    def search(
        self,
        text: str,
        *,
        partnership: str | None = None,
        as_of: date | None = None,
        known_at: datetime | None = None,
        types: Sequence[str] = (),
        start: date | None = None,
        end: date | None = None,
        min_confidence: str | None = None,
        after: str = "",
        limit: int = 20,
    ) -> SearchAnswer:
        """Full-text search of summaries, names and sources: one partnership's timeline or all,
        with the timeline's filters and cut-offs, ranked, a page at a time (`after`: a
        previous page's cursor)."""
        return self._search.search(
            text, partnership=partnership, as_of=as_of, known_at=known_at, types=types,
            start=start, end=end, min_confidence=min_confidence, after=after, limit=limit,
        )  # fmt: skip

    @translated
    def what_if(
        self,
        slug: str,
        policy: NamedPolicy,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> WhatIf:
        """The stored trust answer and the same events folded with another `policy` (nothing
        stored is touched): both scores, all contributions, and those that differ."""
        return self._what_if.trust(slug, policy, as_of, known_at)

    @translated
    def what_if_series(self, series: Series, policy: NamedPolicy) -> list[dict[str, Any]]:
        """`series`' points (same metric, steps and cut) with the events folded by `policy`."""
        points = steps(series.start, series.end, series.step)
        return self._what_if.metric(
            series.partnership, series.metric, policy, points, series.knowledge
        )

    @translated
    def partnerships(self, min_confidence: str | None = None) -> list[PartnershipSummary]:
        """Every partnership with its headline figures now."""
        return self._portfolio.partnerships(min_confidence)

    @translated
    def investments(
        self,
        as_of: date | None = None,
        known_at: datetime | None = None,
        partnership: str | None = None,
        min_confidence: str | None = None,
    ) -> Investments:
        """Investments across partnerships (or of one), per investor and currency."""
        return self._portfolio.investments(as_of, known_at, partnership, min_confidence)

    @translated
    def disputes(
        self,
        as_of: date | None = None,
        known_at: datetime | None = None,
        partnership: str | None = None,
    ) -> Disputes:
        """Disputes across partnerships (or of one), open and resolved, with their partnership."""
        return self._portfolio.disputes(as_of, known_at, partnership)
