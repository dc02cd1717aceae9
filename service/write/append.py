"""Commands: append events to a partnership's stream, or start one.

An append is staged on the stream's aggregate (the write rules, the hash chain), then saved with
its id index rows and idempotency key in one transaction. Appends that arrive together from
several threads are committed together (`GroupCommit`); a faithful retry (same idempotency key,
or same event ids and content) answers as the original did and stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from eventsourcing.persistence import IntegrityError

from events.envelope import EventDraft
from events.errors import (
    Conflict,
    DomainError,
    DuplicateEventId,
    IdempotencyKeyReused,
    InvalidEvent,
    StaleVersion,
)
from events.integrity import content_digest
from service.write.commit import GroupCommit, Pending
from service.write.prepare import prepare
from service.write.recorders import IdempotencyRecord, IndexEntry
from service.write.rehearsal import Rehearsal
from service.write.requests import Appended, AppendedEvent, AppendRequest
from service.write.store import Streams
from service.write.stream import Partnership

MAX_WRITE_ATTEMPTS = 20


class Appender:
    """The write side's commands on one event store."""

    def __init__(self, streams: Streams, clock: Callable[[], datetime]) -> None:
        self.streams = streams
        self.clock = clock
        self._group_commit: GroupCommit[Appended] = GroupCommit(self._commit_together)

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
        """Record `drafts` atomically at the end of the stream: all or nothing (see
        `PactlogService.append`)."""
        request = AppendRequest.of(slug, drafts, expected_version, idempotency_key)
        return self._group_commit.submit(request)

    def rehearsal(self, slug: str) -> Rehearsal:
        """A rehearsal of `slug`'s drafts given a part at a time (see `Rehearsal`)."""
        return Rehearsal(self.streams, slug, self.clock())

    def close(self) -> None:
        self.streams.close()

    def _commit_together(self, batch: list[Pending[Appended]]) -> None:
        """Hold the write locks of the batch's streams (PostgreSQL: other processes append to
        them too; see `service.write.locks`), bring their cached copies up to date, then stage
        and save the batch."""
        slugs = {pending.request.slug for pending in batch}
        with self.streams.locks.hold(self.streams.cached_versions(sorted(slugs))) as missed:
            for slug, events in missed.items():
                self.streams.catch_up(slug, events)
            # We may have waited for the locks: what queued meanwhile for these streams joins.
            batch += self._group_commit.take_more(lambda request: request.slug in slugs)
            self._stage_and_save(batch)

    def _stage_and_save(self, batch: Sequence[Pending[Appended]]) -> None:
        """Stage every request on its stream's aggregate, then save all in one transaction.

        A request the rules refuse fails alone. If the transaction conflicts (another process
        wrote first, or a request repeats an earlier one's event ids or idempotency key: both
        are unique in the index), each request is retried on its own, and a retry answers as
        the original did. Nothing is read before writing: a retry is the rare case.
        """
        staged: dict[str, tuple[Partnership, list[tuple[Pending[Appended], int]]]] = {}
        for pending in batch:
            request: AppendRequest = pending.request
            try:
                base, members = staged.get(request.slug, (None, []))
                aggregate = prepare(self.streams, request, self.clock(), fresh=False, base=base)
            except DomainError as error:
                self._refused(pending, error)
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
            recordings = self.streams.app.save(
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

    def _refused(self, pending: Pending[Appended], error: DomainError) -> None:
        """A request the rules refuse, unless it repeats one that was accepted (a retry of a
        partnership's creation, or of an append with `expected_version`)."""
        try:
            earlier = self._earlier_answer(pending.request)
        except DomainError as other:
            pending.fail(other)
            return
        if earlier is not None:
            pending.succeed(earlier)
        else:
            pending.fail(error)

    def _append_alone(self, request: AppendRequest, *, fresh: bool = False) -> Appended:
        """One request in its own transaction, retried while other writers move the stream."""
        for attempt in range(MAX_WRITE_ATTEMPTS):
            earlier = self._earlier_answer(request)
            if earlier is not None:
                return earlier
            aggregate = prepare(self.streams, request, self.clock(), fresh=fresh or attempt > 0)
            entries = request.index_entries(aggregate.version)
            keys = [request.idempotency_record(0)] if request.idempotency_key else []
            try:
                recordings = self.streams.app.save(
                    aggregate, pactlog_index=entries, pactlog_idempotency=keys
                )
            except IntegrityError:  # another writer moved the stream (or took an id or key)
                if request.expected_version is not None:
                    earlier = self._earlier_answer(request)
                    if earlier is not None:
                        return earlier
                    raise StaleVersion(
                        request.expected_version, self.streams.version(request.slug)
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

    def _earlier_answer(self, request: AppendRequest) -> Appended | None:
        """The answer an earlier, identical request got, if there was one."""
        slug, drafts, contents = request.slug, request.drafts, request.contents
        if request.idempotency_key:
            record = self.streams.index.find_idempotency_key(slug, request.idempotency_key)
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
        found = self.streams.index.find_events([str(draft.id) for draft in drafts])
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
