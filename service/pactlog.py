"""The service: pactlog's verbs in plain types. Everything above (HTTP, CLI) calls these.

A thin facade over the two sides it wires together, one per process (build it after forking):
- commands (`service.write`): append, create, verify, on the event store;
- queries (`service.read`): state, trust, timeline, series, diff, the cross-partnership reads,
  from the view (`service.view`), bitemporally;
- projection control (`service.projecting`): catch up, rebuild, wait for a position.

It is also the one place that decides the trust policy: the view folds with it (so its stored
states) and so does every read. Errors from an unreachable store leave as `StoreUnavailable`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from events.envelope import EventDraft, RecordedEvent
from events.errors import DomainError
from events.integrity import GENESIS
from service.config import store_env
from service.errors import store_errors, translated
from service.policies import NamedPolicy
from service.projecting import Projections, Status, ensure_layout
from service.projections.policy import TrustPolicy, service_policy
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
from service.view import ViewReader, open_view
from service.write.append import Appender
from service.write.requests import Appended
from service.write.store import PactlogApplication, Streams, racing_schema_creation
from service.write.verify import Verification, verify


def utc_now() -> datetime:
    return datetime.now(UTC)


class PactlogService:
    """One per process (build it after forking)."""

    def __init__(
        self,
        database_url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        policy: TrustPolicy | None = None,
        project_inline: bool = True,
        process: str = "pactlog",
    ) -> None:
        self.env = store_env(database_url)
        self.clock = clock
        self.policy = policy or service_policy()
        with store_errors():
            self.app = racing_schema_creation(lambda: PactlogApplication(env=self.env))
            view = racing_schema_creation(lambda: open_view(self.env, self.policy))
        streams = Streams(self.app)
        with store_errors():  # a view in an older layout is rebuilt, once, by one process
            self.rebuilt_layout = ensure_layout(self.app, view)
        self.projections = Projections(self.app, view, inline=project_inline)
        self._appender = Appender(streams, clock)
        cuts = Cuts(ViewReader(view), streams, self.projections.fresh)
        self._partnership = PartnershipReads(cuts, clock)
        self._series = SeriesReads(cuts, self._partnership, clock)
        self._portfolio = PortfolioReads(cuts, clock, self.projections.projected_position)
        self._what_if = WhatIfReads(cuts, self._partnership, clock)
        self._search = SearchReads(cuts, self.projections.projected_position)
        self._organizations = OrganizationReads(cuts, clock, self.projections.projected_position)
        self._cuts = cuts
        self._streams = streams
        self.view = view  # the materialised view (its writer): for tuning, e.g. checkpoints

    def close(self) -> None:
        self._appender.close()
        self.app.close()
        self.view.close()

    # --- commands ------------------------------------------------------------------------------

    @translated
    def create_partnership(
        self, slug: str, draft: EventDraft, *, idempotency_key: str | None = None
    ) -> Appended:
        """Start a stream with its `PartnershipFormed` event."""
        return self._appender.create_partnership(slug, draft, idempotency_key=idempotency_key)

    @translated
    def append(
        self,
        slug: str,
        drafts: Sequence[EventDraft],
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> Appended:
        """Record `drafts` atomically at the end of the stream: all or nothing.

        A stream that does not exist yet is started by a first `PartnershipFormed`. With
        `expected_version`, a stream that moved raises `StaleVersion`; without, a concurrent
        writer only makes us try again. A retry with the same idempotency key or the same event
        ids and content answers as the original did and stores nothing. Appends that arrive
        together from several threads are committed in one transaction.
        """
        return self._appender.append(
            slug, drafts, expected_version=expected_version, idempotency_key=idempotency_key
        )

    @translated
    def rehearse(self, slug: str, drafts: Sequence[EventDraft]) -> list[tuple[int, DomainError]]:
        """Which of `drafts` the write rules would refuse at the end of the stream (the refused
        left out): (index, error) of each; nothing is stored (see `Appender.rehearse`)."""
        return self._appender.rehearse(slug, drafts)

    @translated
    def recorded_digests(self, event_ids: Sequence[str]) -> dict[str, str]:
        """The content digest of each of `event_ids` that is recorded."""
        found = self._streams.index.find_events(list(event_ids))
        return {event_id: entry.digest for event_id, entry in found.items()}

    def verify(self, slug: str, after_version: int = 0, head: str = GENESIS) -> Verification:
        """Recompute the stream's hash chain from the stored events (all, or after a version
        whose hash a previous verification gave)."""
        return verify(self.app, slug, after_version, head)

    @translated
    def stream_version(self, slug: str) -> int:
        """The stream's version as stored now (0: no such partnership)."""
        return self._streams.version(slug)

    # --- the log -------------------------------------------------------------------------------

    @translated
    def log(self, after: int | None = None, limit: int = 100) -> list[RecordedEvent]:
        """The global log in position order, strictly after `after`."""
        return self._streams.log(after, limit)

    @translated
    def last_position(self) -> int:
        return self._streams.last_position()

    # --- projection control --------------------------------------------------------------------

    @translated
    def catch_up(self) -> int:
        """Project everything recorded so far; return how many events were applied."""
        return self.projections.catch_up()

    @translated
    def rebuild(self) -> int:
        """Rebuild every projection from the log: clear the view, then project it all again."""
        return self.projections.rebuild()

    @translated
    def status(self) -> Status:
        """Reads the store and the view (so it also tells whether both can be reached)."""
        return self.projections.status()

    @translated
    def projected_position(self) -> int:
        return self.projections.projected_position()

    @translated
    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Until the view reflects `position` (read your own write); False on time-out."""
        return self.projections.wait_for(position, timeout)

    # --- queries -------------------------------------------------------------------------------

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
    ) -> Timeline:
        """Events in valid-time order, a page at a time (`after`: a previous page's cursor)."""
        return self._partnership.timeline(
            slug, as_of=as_of, known_at=known_at, types=types, start=start, end=end,
            min_confidence=min_confidence, after=after, limit=limit,
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
