"""The service: pactlog's verbs in plain types. Everything above (HTTP, CLI) calls these.

A thin facade over the two sides it wires together, one per process (build it after forking):
- commands (`service.write`): append, create, verify, on the event store;
- queries (`service.read`, their verbs in `service.queries`): state, trust, timeline, series,
  diff, the cross-partnership reads, from the view (`service.view`), bitemporally;
- projection control (`service.projecting`): catch up, rebuild, wait for a position.

It is also the one place that decides the trust policy: the view folds with it (so its stored
states) and so does every read. Errors from an unreachable store leave as `StoreUnavailable`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from events.envelope import EventDraft, RecordedEvent
from events.integrity import GENESIS
from service.config import store_env
from service.errors import store_errors, translated
from service.projecting import Projections, Status, ensure_layout
from service.projections.policy import TrustPolicy, service_policy
from service.queries import AcrossQueries, PartnershipQueries
from service.read.cut import Cuts
from service.read.organizations import OrganizationReads
from service.read.partnership import PartnershipReads
from service.read.portfolio import PortfolioReads
from service.read.search import SearchReads
from service.read.series import SeriesReads
from service.read.whatif import WhatIfReads
from service.view import ViewReader, open_view
from service.write.append import Appender
from service.write.rehearsal import Rehearsal
from service.write.requests import Appended
from service.write.store import PactlogApplication, Streams, racing_schema_creation
from service.write.verify import Verification, verify


def utc_now() -> datetime:
    return datetime.now(UTC)


class PactlogService(PartnershipQueries, AcrossQueries):
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

    def rehearsal(self, slug: str) -> Rehearsal:
        """Which of `slug`'s drafts the write rules would refuse, appended in order at the end of
        its stream, given a part at a time (see `Rehearsal`); nothing is stored."""
        return self._appender.rehearsal(slug)

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
