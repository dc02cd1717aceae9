"""The service: pactlog's verbs in plain types. Everything above (HTTP, CLI) calls these.

Writes go to the event store through the partnership's aggregate (write rules, hash chain,
optimistic concurrency, idempotency); reads come from the view, bitemporally.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import (
    IntegrityError,
    InternalError,
    OperationalError,
    ProgrammingError,
)

from events.catalog import AMENDING_TYPES
from events.dates import PartialDate
from events.envelope import EventDraft, RecordedEvent
from events.errors import (
    Conflict,
    DomainError,
    DuplicateEventId,
    EventNotFound,
    IdempotencyKeyReused,
    InvalidEvent,
    PartnershipExists,
    PartnershipNotFound,
    StaleVersion,
)
from events.integrity import GENESIS, chain_hash, content_digest
from events.rules import Target, apply_correction, check_draft, check_occurred_on
from service.commit import GroupCommit, Pending
from service.config import named, store_env
from service.projections.entities import render_disputes
from service.projections.investments import (
    investment_totals,
    merge_investments,
    render_investments,
)
from service.projections.policy import TrustPolicy, default_policy
from service.projections.state import (
    State,
    apply_event,
    empty_state,
    headline,
    headline_of,
    render_state,
    summarize,
)
from service.projections.trust import render_trust, trust_contributions
from service.projector import catch_up, open_view
from service.recorders import IdempotencyRecord, IndexedRecorder, IndexEntry
from service.store import PactlogApplication, to_recorded
from service.stream import Partnership, stream_id
from service.view import END_OF_TIME, Current, TimelineView, key_after

MAX_WRITE_ATTEMPTS = 20
T = TypeVar("T")


@dataclass(frozen=True)
class AppendedEvent:
    id: str
    version: int
    position: int


@dataclass(frozen=True)
class Appended:
    """What an append wrote (or, for a faithful retry, what the original wrote)."""

    partnership: str
    events: list[AppendedEvent]
    replayed: bool = False

    @property
    def position(self) -> int:
        return self.events[-1].position

    @property
    def version(self) -> int:
        return self.events[-1].version


@dataclass(frozen=True)
class _AppendRequest:
    """An append as it waits to be committed: its drafts with ids, and what identifies it."""

    slug: str
    drafts: list[EventDraft]
    contents: list[dict[str, Any]]
    expected_version: int | None
    idempotency_key: str | None
    request_digest: str
    client_ids: bool

    def index_entries(self, last_version: int) -> list[IndexEntry]:
        """The id index rows of its events, the last of which gets `last_version`."""
        first_version = last_version - len(self.drafts) + 1
        return [
            IndexEntry(
                event_id=str(draft.id),
                partnership=self.slug,
                version=first_version + offset,
                digest=content_digest(content),
                target_id=draft.data.get("target_id") if draft.type in AMENDING_TYPES else None,
            )
            for offset, (draft, content) in enumerate(zip(self.drafts, self.contents, strict=True))
        ]

    def idempotency_record(self, first: int) -> IdempotencyRecord:
        assert self.idempotency_key is not None
        return IdempotencyRecord(
            self.slug,
            self.idempotency_key,
            self.request_digest,
            first=first,
            count=len(self.drafts),
        )


@dataclass(frozen=True)
class Knowledge:
    """Which cut of a stream a read reflects."""

    version: int
    position: int
    as_of: date | None
    known_at: datetime | None


@dataclass(frozen=True)
class StateAnswer:
    partnership: str
    knowledge: Knowledge
    state: dict[str, Any]
    not_yet_counted: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Status:
    """How far the log and the view have come; `lag` is how many positions the view trails."""

    log_position: int
    projected_position: int

    @property
    def lag(self) -> int:
        return max(0, self.log_position - self.projected_position)


@dataclass(frozen=True)
class Verification:
    partnership: str
    ok: bool
    checked: int
    head: str
    problem: str | None = None
    version: int | None = None


def utc_now() -> datetime:
    return datetime.now(UTC)


def _racing_schema_creation(build: Callable[[], T], attempts: int = 8) -> T:
    """Build `T`, whose construction creates tables if missing: processes starting together
    (gunicorn workers, the projector) race on PostgreSQL's catalog, and the loser tries again.
    A database that cannot be reached at all is not a race: that fails at once (a 503)."""
    for attempt in range(attempts):
        try:
            return build()
        except (InternalError, IntegrityError, OperationalError, ProgrammingError) as error:
            answered = getattr(error.__cause__, "sqlstate", None) is not None
            if attempt == attempts - 1 or not answered:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


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
        self.env = named(store_env(database_url), process)
        self.app = _racing_schema_creation(lambda: PactlogApplication(env=self.env))
        self.view: TimelineView = _racing_schema_creation(lambda: open_view(self.env))
        self.clock = clock
        self.policy = policy or default_policy()
        # Inline: reads project what is pending before answering (one process, e.g. SQLite).
        self.project_inline = project_inline
        self._projecting = threading.Lock()
        self._group_commit: GroupCommit[Appended] = GroupCommit(self._commit_together)

    def close(self) -> None:
        self.app.close()
        self.view.datastore.close()  # type: ignore[attr-defined]

    @property
    def _index(self) -> IndexedRecorder:
        recorder = self.app.recorder
        assert isinstance(recorder, IndexedRecorder)
        return recorder

    # --- writing ----------------------------------------------------------------------------

    def create_partnership(
        self, slug: str, draft: EventDraft, *, idempotency_key: str | None = None
    ) -> Appended:
        """Start a stream with its `PartnershipFormed` event."""
        if draft.type != "PartnershipFormed":
            raise InvalidEvent({"type": ["A partnership starts with PartnershipFormed."]})
        return self.append(slug, [draft], idempotency_key=idempotency_key)

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
        if not drafts:
            raise InvalidEvent({"events": ["Give at least one event."]})
        # The request as the client sent it (ids it left out are not part of it).
        request_digest = content_digest(
            {
                "events": [draft.content(slug) for draft in drafts],
                "expected_version": expected_version,
            }
        )
        with_ids = [draft.with_id() for draft in drafts]
        request = _AppendRequest(
            slug=slug,
            drafts=with_ids,
            contents=[draft.content(slug) for draft in with_ids],
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            request_digest=request_digest,
            client_ids=any(draft.id is not None for draft in drafts),
        )
        return self._group_commit.submit(request)

    def _commit_together(self, batch: Sequence[Pending[Appended]]) -> None:
        """Stage every request on its stream's aggregate, then save all in one transaction.

        A request the rules refuse fails alone. If the transaction conflicts (another process
        wrote first), each request is retried on its own.
        """
        staged: dict[str, tuple[Partnership, list[tuple[Pending[Appended], int]]]] = {}
        for pending in batch:
            request: _AppendRequest = pending.request
            try:
                earlier = self._earlier_answer(request)
                if earlier is not None:
                    pending.succeed(earlier)
                    continue
                base, members = staged.get(request.slug, (None, []))
                aggregate = self._prepare(request, fresh=False, base=base)
            except DomainError as error:
                pending.fail(error)
                continue
            staged[request.slug] = (aggregate, [*members, (pending, aggregate.version)])
        if not staged:
            return
        entries: list[IndexEntry] = []
        keys: list[IdempotencyRecord] = []
        for _, members in staged.values():
            for pending, last_version in members:
                request = pending.request
                if request.idempotency_key:
                    keys.append(request.idempotency_record(len(entries)))
                entries += request.index_entries(last_version)
        try:
            recordings = self.app.save(
                *(aggregate for aggregate, _ in staged.values()),
                pactlog_index=entries,
                pactlog_idempotency=keys,
            )
        except IntegrityError:
            for _, members in staged.values():
                for pending, _ in members:
                    try:
                        pending.succeed(self._append_alone(pending.request, fresh=True))
                    except DomainError as error:
                        pending.fail(error)
            return
        positions = iter(recording.notification.id for recording in recordings)
        entry_iter = iter(entries)
        for _, members in staged.values():
            for pending, _ in members:
                request = pending.request
                pending.succeed(
                    Appended(
                        request.slug,
                        [
                            AppendedEvent(entry.event_id, entry.version, next(positions))
                            for entry in (next(entry_iter) for _ in request.drafts)
                        ],
                    )
                )

    def _append_alone(self, request: _AppendRequest, *, fresh: bool = False) -> Appended:
        """One request in its own transaction, retried while other writers move the stream."""
        for attempt in range(MAX_WRITE_ATTEMPTS):
            earlier = self._earlier_answer(request)
            if earlier is not None:
                return earlier
            aggregate = self._prepare(request, fresh=fresh or attempt > 0)
            entries = request.index_entries(aggregate.version)
            keys = [request.idempotency_record(0)] if request.idempotency_key else []
            try:
                recordings = self.app.save(
                    aggregate, pactlog_index=entries, pactlog_idempotency=keys
                )
            except IntegrityError:  # another writer moved the stream (or took an id or key)
                if request.expected_version is not None:
                    earlier = self._earlier_answer(request)
                    if earlier is not None:
                        return earlier
                    raise StaleVersion(
                        request.expected_version, self._stream_version(request.slug)
                    ) from None
                continue
            return Appended(
                request.slug,
                [
                    AppendedEvent(entry.event_id, entry.version, recording.notification.id)
                    for entry, recording in zip(entries, recordings, strict=True)
                ],
            )
        raise Conflict(
            f"{request.slug!r} kept changing under {MAX_WRITE_ATTEMPTS} attempts; try again"
        )

    def _earlier_answer(self, request: _AppendRequest) -> Appended | None:
        """The answer an earlier, identical request got, if there was one."""
        slug, drafts, contents = request.slug, request.drafts, request.contents
        if request.idempotency_key:
            record = self._index.find_idempotency_key(slug, request.idempotency_key)
            if record is not None:
                if record.request_digest != request.request_digest:
                    raise IdempotencyKeyReused(request.idempotency_key)
                return Appended(
                    slug,
                    [
                        AppendedEvent(a["id"], a["version"], a["position"])
                        for a in record.answer or []
                    ],
                    replayed=True,
                )
        if not request.client_ids:  # ids we drew ourselves are new
            return None
        found = self._index.find_events([str(draft.id) for draft in drafts])
        if not found:
            return None
        for content in contents:
            entry = found.get(content["id"])
            if entry is not None and entry.digest != content_digest(content):
                raise DuplicateEventId(content["id"])
        if len(found) != len(drafts):  # a batch that repeats only part of an earlier one
            raise DuplicateEventId(next(iter(found)))
        return Appended(
            slug,
            [
                AppendedEvent(
                    found[c["id"]].event_id, found[c["id"]].version, found[c["id"]].position
                )
                for c in contents
            ],
            replayed=True,
        )

    def _load(self, slug: str, *, fresh: bool) -> Partnership:
        """The stream's aggregate, from the cache; `fresh` brings it up to date first.

        The cache is not fast-forwarded on every append (a round trip each): a stream moved by
        another process shows as a conflict at save time, and the retry asks for `fresh`,
        which reads only the events recorded since the cached version.
        """
        aggregate: Partnership = self.app.repository.get(stream_id(slug))
        if fresh:
            news: list[Any] = list(self.app.events.get(stream_id(slug), gt=aggregate.version))
            for event in news:
                event.mutate(aggregate)
            if self.app.repository.cache is not None:
                self.app.repository.cache.put(stream_id(slug), copy.deepcopy(aggregate))
        return aggregate

    def _prepare(
        self, request: _AppendRequest, *, fresh: bool, base: Partnership | None = None
    ) -> Partnership:
        """The aggregate with the request's drafts triggered on it, every write rule checked.

        `base`, an aggregate already holding other requests' events of this commit, is copied
        rather than changed, so that a refused request leaves it as it was.
        """
        slug, drafts, expected_version = request.slug, request.drafts, request.expected_version
        now = self.clock()
        today = now.date()
        first, *rest = drafts
        try:
            if base is not None:
                aggregate = copy.deepcopy(base)
            else:
                aggregate = self._load(slug, fresh=fresh)
                if expected_version is not None and aggregate.version != expected_version:
                    aggregate = self._load(slug, fresh=True)
        except AggregateNotFoundError:
            if first.type != "PartnershipFormed":
                raise PartnershipNotFound(slug) from None
            if expected_version not in (None, 0):
                raise StaleVersion(expected_version, 0) from None
            check_occurred_on(first.occurred_on, today, "occurred_on")
            aggregate = Partnership.form(slug, first, now)
        else:
            if first.type == "PartnershipFormed" and expected_version in (None, 0):
                raise PartnershipExists(slug)
            if expected_version is not None and aggregate.version != expected_version:
                raise StaleVersion(expected_version, aggregate.version)
            rest = list(drafts)
        batch: dict[str, dict[str, Any]] = {}
        for draft in rest:
            target = self._target(slug, draft, batch)
            check_draft(draft, aggregate.facts, today, target, slug)
            aggregate.record(draft, now)
            batch[str(draft.id)] = draft.content(slug)
        return aggregate

    def _target(
        self, slug: str, draft: EventDraft, batch: dict[str, dict[str, Any]]
    ) -> Target | None:
        if draft.type not in AMENDING_TYPES:
            return None
        target_id = str(draft.data["target_id"])
        content = batch.get(target_id) or self._current_content(target_id)
        if content is None:
            return None
        return Target(target_id, content["partnership"], content["type"], content["data"])

    def _current_content(self, event_id: str) -> dict[str, Any] | None:
        """An event's content with every correction recorded so far applied."""
        entry = self._index.find_events([event_id]).get(event_id)
        if entry is None:
            return None
        content: dict[str, Any] = self._event_at(entry.partnership, entry.version).content()
        for amendment in self._index.find_amendments(event_id):
            event = self._event_at(amendment.partnership, amendment.version)
            if event.type == "EventCorrected":
                content = apply_correction(content, event.data["fields"])
        return content

    def _event_at(self, slug: str, version: int) -> Any:
        events = list(self.app.events.get(stream_id(slug), gt=version - 1, lte=version))
        if not events:
            raise EventNotFound(f"{slug}@{version}")
        return events[0]

    def _stream_version(self, slug: str) -> int:
        try:
            return int(self._load(slug, fresh=True).version)
        except AggregateNotFoundError:
            return 0

    # --- the log, single events, integrity ---------------------------------------------------

    def log(self, after: int | None = None, limit: int = 100) -> list[RecordedEvent]:
        """The global log in position order, strictly after `after`."""
        notifications = self.app.recorder.select_notifications(
            start=after or 0, limit=limit, inclusive_of_start=False
        )
        return [to_recorded(self.app.mapper.to_domain_event(n), n.id) for n in notifications]

    def last_position(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def event(self, slug: str, event_id: str) -> dict[str, Any]:
        """One event as recorded, the corrections and retractions aimed at it, and how it
        reads now."""
        entry = self._index.find_events([event_id]).get(event_id)
        if entry is None or entry.partnership != slug:
            raise EventNotFound(event_id)
        recorded = to_recorded(self._event_at(slug, entry.version), entry.position)
        amendments = [
            to_recorded(self._event_at(slug, a.version), a.position)
            for a in self._index.find_amendments(event_id)
        ]
        current = self._current_content(event_id)
        return {
            "event": recorded,
            "amendments": amendments,
            "retracted": any(a.type == "EventRetracted" for a in amendments),
            "current": current,
        }

    def verify(self, slug: str) -> Verification:
        """Recompute the stream's hash chain from the stored events."""
        stored = self.app.recorder.select_events(stream_id(slug))
        if not stored:
            raise PartnershipNotFound(slug)
        previous = GENESIS
        for count, item in enumerate(stored, start=1):
            try:
                event: Any = self.app.mapper.to_domain_event(item)
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

    # --- projections ------------------------------------------------------------------------

    def catch_up(self) -> int:
        """Project everything recorded so far; return how many events were applied."""
        with self._projecting:
            return catch_up(self.app, self.view)

    def rebuild(self) -> int:
        """Rebuild every projection from the log: clear the view, then project it all again."""
        with self._projecting:
            self.view.clear(self.app.name)
            return catch_up(self.app, self.view)

    def status(self) -> Status:
        """Reads the store and the view (so it also tells whether both can be reached)."""
        return Status(self.last_position(), self.projected_position())

    def projected_position(self) -> int:
        return int(self.view.max_tracking_id(self.app.name) or 0)  # type: ignore[attr-defined]

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Until the view reflects `position` (read your own write); False on time-out."""
        if position > self.last_position():
            return False  # not written (yet): waiting inline would never end
        deadline = time.monotonic() + timeout
        while self.projected_position() < position:
            if self.project_inline:
                self.catch_up()
                continue
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def _fresh(self) -> None:
        if self.project_inline:
            self.catch_up()

    # --- reads -------------------------------------------------------------------------------

    def knowledge(self, slug: str, as_of: date | None, known_at: datetime | None) -> Knowledge:
        """The stream version and position a read at (`as_of`, `known_at`) reflects."""
        self._fresh()
        return self._cut(slug, as_of, known_at, self.view.current(slug))

    def _read(
        self, slug: str, as_of: date | None, known_at: datetime | None
    ) -> tuple[Knowledge, State]:
        """The cut a read reflects and the state folded for it, reading the current row once."""
        self._fresh()
        current = self.view.current(slug)
        knowledge = self._cut(slug, as_of, known_at, current)
        return knowledge, self._state(slug, knowledge, current)

    def _cut(
        self, slug: str, as_of: date | None, known_at: datetime | None, current: Current | None
    ) -> Knowledge:
        if current is None:
            if not self.app.recorder.select_events(stream_id(slug), limit=1):
                raise PartnershipNotFound(slug)
            return Knowledge(0, 0, as_of, known_at)
        if known_at is None:
            return Knowledge(current.version, current.position, as_of, known_at)
        found = self.view.knowledge(slug, known_at)
        version, position = found or (0, 0)
        return Knowledge(version, position, as_of, known_at)

    def _state(self, slug: str, knowledge: Knowledge, current: Current | None) -> State:
        if knowledge.as_of is None and current is not None and current.version == knowledge.version:
            return current.state
        before = END_OF_TIME if knowledge.as_of is None else key_after(knowledge.as_of)
        return self.view.state_at(slug, knowledge.version, before)

    def _render_date(self, as_of: date | None) -> date:
        return as_of or self.clock().date()

    def state(
        self, slug: str, as_of: date | None = None, known_at: datetime | None = None
    ) -> StateAnswer:
        """Investments, trust, disputes, risks: now, or as of a date, as known at an instant."""
        knowledge, state = self._read(slug, as_of, known_at)
        pending = (
            self.view.not_yet_counted(slug, knowledge.version, as_of) if as_of is not None else []
        )
        return StateAnswer(
            slug,
            knowledge,
            render_state(state, self._render_date(as_of), self.policy),
            [
                {
                    "id": body["id"],
                    "type": body["type"],
                    "occurred_on": body["occurred_on"],
                    "counts_from": PartialDate.parse(body["occurred_on"]).end.isoformat(),
                }
                for body in pending
            ],
        )

    def trust(
        self, slug: str, as_of: date | None = None, known_at: datetime | None = None
    ) -> dict[str, Any]:
        """The trust level and every contribution that makes it."""
        knowledge, state = self._read(slug, as_of, known_at)
        at = self._render_date(as_of)
        before = END_OF_TIME if as_of is None else key_after(as_of)
        events = [
            RecordedEvent.from_dict(body)
            for _, body in self.view.timeline(slug, knowledge.version, before=before)
        ]
        return {
            "knowledge": knowledge,
            "trust": render_trust(state["trust"], state["dispute"], at, self.policy),
            "contributions": trust_contributions(events, state["dispute"], at, self.policy),
        }

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
    ) -> tuple[Knowledge, list[dict[str, Any]], str | None]:
        """Events in valid-time order; returns the page and the cursor of the next one."""
        knowledge = self.knowledge(slug, as_of, known_at)
        lower = max(after, key_after(start - _ONE_DAY) if start else "")
        upper = END_OF_TIME
        for bound in (as_of, end):
            if bound is not None:
                upper = min(upper, key_after(bound))
        rows = self.view.timeline(
            slug,
            knowledge.version,
            after=lower,
            before=upper,
            types=types,
            min_confidence=min_confidence,
            limit=limit + 1,
        )
        page = rows[:limit]
        cursor = page[-1][0] if len(rows) > limit else None
        return knowledge, [body for _, body in page], cursor

    def series(
        self,
        slug: str,
        points: Sequence[date],
        known_at: datetime | None = None,
    ) -> tuple[Knowledge, list[dict[str, Any]]]:
        """The state at each of `points` (ascending), in one pass over the events."""
        self._fresh()
        current = self.view.current(slug)
        knowledge = self._cut(slug, None, known_at, current)
        if not points:
            return knowledge, []
        if current is not None and current.version == knowledge.version:
            return knowledge, self._series_from_days(slug, current, points)
        state, rows = self.view.fold_from(
            slug, knowledge.version, key_after(points[0]), key_after(points[-1])
        )
        answers: list[dict[str, Any]] = []
        index = 0
        for point in points:
            while index < len(rows) and PartialDate.parse(rows[index]["occurred_on"]).end <= point:
                apply_event(state, RecordedEvent.from_dict(rows[index]), self.policy)
                index += 1
            answers.append({"at": point.isoformat(), **headline(state, point, self.policy)})
        return knowledge, answers

    def _series_from_days(
        self, slug: str, current: Current, points: Sequence[date]
    ) -> list[dict[str, Any]]:
        """What the view knows now, from its daily summaries: no fold at all."""
        latest, days = self.view.day_summaries(slug, current.version, points[0], points[-1])
        now, last_day = summarize(current.state, self.policy), current.last_key[:10]
        empty = summarize(empty_state(), self.policy)
        answers: list[dict[str, Any]] = []
        index = 0
        for point in points:
            day = point.isoformat()
            while index < len(days) and days[index][0] <= day:
                latest = days[index][1]
                index += 1
            summary = now if last_day and last_day <= day else (latest or empty)
            answers.append({"at": day, **headline_of(summary, point, self.policy)})
        return answers

    def diff(
        self, slug: str, start: date, end: date, known_at: datetime | None = None
    ) -> dict[str, Any]:
        """What changed between two dates, and the events that explain it."""
        before = self.state(slug, as_of=start, known_at=known_at)
        after = self.state(slug, as_of=end, known_at=known_at)
        _, events, _ = self.timeline(
            slug, known_at=known_at, start=start + _ONE_DAY, end=end, limit=10_000
        )
        return {
            "knowledge": after.knowledge,
            "from": before.state,
            "to": after.state,
            "trust_change": round(
                after.state["trust"]["score"] - before.state["trust"]["score"], 1
            ),
            "events": events,
        }

    def partnerships(self) -> list[dict[str, Any]]:
        self._fresh()
        today = self.clock().date()
        return [
            {
                "slug": current.partnership,
                "version": current.version,
                "position": current.position,
                **headline(current.state, today, self.policy),
            }
            for current in self.view.partnerships()
        ]

    def investments(
        self, as_of: date | None = None, known_at: datetime | None = None
    ) -> dict[str, Any]:
        """Investments across partnerships, per investor and currency."""
        self._fresh()
        states = {
            current.partnership: self._state(
                current.partnership,
                self._cut(current.partnership, as_of, known_at, current),
                current,
            )
            for current in self.view.partnerships()
        }
        merged = merge_investments([state["investments"] for state in states.values()])
        return {
            "by_investor": render_investments(merged),
            "totals": investment_totals(merged),
            "by_partnership": {
                slug: render_investments(state["investments"]) for slug, state in states.items()
            },
        }

    def disputes(
        self, as_of: date | None = None, known_at: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Disputes across partnerships (open and resolved), each with its partnership."""
        self._fresh()
        at = self._render_date(as_of)
        answer: list[dict[str, Any]] = []
        for current in self.view.partnerships():
            slug = current.partnership
            state = self._state(slug, self._cut(slug, as_of, known_at, current), current)
            rendered = render_disputes(state["dispute"], at)
            for status in ("open", "resolved"):
                answer += [{"partnership": slug, "status": status, **d} for d in rendered[status]]
        return answer


_ONE_DAY = date(2000, 1, 2) - date(2000, 1, 1)
