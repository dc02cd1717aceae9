"""The view's writer: the projection's side of the view (see `service.view.tables`).

The projector hands it events in position order with a tracking record; it writes their rows,
the changes, checkpoints, day summaries and the current state in one transaction: exactly once,
resumable. It folds with the view's trust policy (`policy`), bound when the view class is chosen
(`service.view.view_class`), so that the stored states and every read agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import orjson
from eventsourcing.persistence import Tracking

from events.catalog import AMENDING_TYPES
from events.dates import PartialDate
from events.envelope import RecordedEvent
from events.rules import amend
from service.projections.out_of_order import Writers, fold_in, record
from service.projections.policy import TrustPolicy
from service.projections.state import State, apply_event, empty_state, summarize
from service.view import search
from service.view.dialects import PostgresTables, SQLiteTables
from service.view.keys import END_OF_TIME, day_of, stamp, valid_key
from service.view.tables import Current, ViewTables, dumps

CHECKPOINT_INTERVAL = 256
# What the projector writes (`clear` empties them); `layout` says how, and stays.
PROJECTED_TABLES = ("rows", "changes", "checkpoints", "days", "current", "arrivals", "search")
# The columns of a new row (`to_version` is NULL: the row is open).
ROW_COLUMNS = "partnership, event_id, from_version, valid_key, valid_start, type, confidence, body"


@dataclass
class _Writes:
    """Writes buffered within one transaction, sent in bulk at the end (`rows` and `changes`
    also before anything reads them back). Summaries and checkpoints written in this
    transaction are lists, so that an out-of-order event can mark them stale before they are
    sent; those already stored are marked by `marks`."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    changes: list[tuple[Any, ...]] = field(default_factory=list)
    # By partnership: [partnership, day, version, stale_from, summary] and
    # [partnership, valid_key, version, state, stale_from], as the tables hold them.
    days: dict[str, list[list[Any]]] = field(default_factory=dict)
    checkpoints: dict[str, list[list[Any]]] = field(default_factory=dict)
    # (version, partnership, key): from `key` on, stored rows are stale from `version`; one
    # for each new earliest key (what a later, later-dated mark would find is already stale).
    marks: list[tuple[int, str, str]] = field(default_factory=list)
    earliest: dict[str, str] = field(default_factory=dict)
    search: list[tuple[Any, ...]] = field(default_factory=list)


class TimelineView(ViewTables):
    """The view as the projector writes it; a tracking recorder of the library."""

    checkpoint_interval = CHECKPOINT_INTERVAL
    policy: ClassVar[TrustPolicy]

    def process(self, events: Sequence[RecordedEvent], tracking: Tracking) -> None:
        """Apply `events` (in position order) and record `tracking`, in one transaction."""
        with self.transaction(commit=True) as cursor:
            touched: dict[str, Current] = {}
            writes = _Writes()
            for event in events:
                current = touched.get(event.partnership) or self.load_current(
                    cursor, event.partnership
                )
                self._apply(cursor, writes, current, event)
                touched[event.partnership] = current
            self._flush(cursor, writes)
            self._flush_stale(cursor, writes)
            for current in touched.values():
                self._save_current(cursor, current)
            self.track(cursor, tracking)

    def clear(self, application_name: str) -> None:
        """Forget everything projected (and where projecting stopped), in one transaction."""
        with self.transaction(commit=True) as cursor:
            self.empty(cursor, PROJECTED_TABLES)
            self.execute(
                cursor,
                f"DELETE FROM {self.tracking_table()} WHERE application_name = %s",
                (application_name,),
            )

    def _flush(self, cursor: Any, writes: _Writes) -> None:
        """Write the buffered rows: before anything reads them back, and at the end."""
        self.execute_many(
            cursor,
            "INSERT INTO {rows} VALUES (%s, %s, %s, NULL, %s, %s, %s, %s, %s)",
            writes.rows,
            ("rows", ROW_COLUMNS),
        )
        self.execute_many(
            cursor,
            "INSERT INTO {changes} VALUES (%s, %s, %s, %s, %s)",
            writes.changes,
            ("changes", "partnership, version, position, recorded_at, min_key"),
        )
        self.execute_many(cursor, search.INSERT, writes.search, ("search", search.COLUMNS))

    def _flush_stale(self, cursor: Any, writes: _Writes) -> None:
        """Mark what this transaction made stale among the stored checkpoints and summaries,
        then store the new ones (marked already)."""
        self.execute_many(
            cursor,
            "UPDATE {checkpoints} SET stale_from = %s WHERE partnership = %s "
            "AND valid_key >= %s AND stale_from IS NULL",
            [(version, partnership, key) for version, partnership, key in writes.marks],
        )
        self.execute_many(
            cursor,
            "UPDATE {days} SET stale_from = %s WHERE partnership = %s "
            "AND day >= %s AND stale_from IS NULL",
            [(version, partnership, day_of(key)) for version, partnership, key in writes.marks],
        )
        writes.marks.clear()
        # Plain inserts (so `COPY` on PostgreSQL when there are many: a rebuild writes a
        # summary for most days): a summary carries the version of the last event folded
        # before its day ended, a checkpoint that of the event just folded, and each version
        # is projected once, so neither can be written twice.
        self.execute_many(
            cursor,
            "INSERT INTO {days} VALUES (%s, %s, %s, %s, %s)",
            [tuple(day) for days in writes.days.values() for day in days],
            ("days", "partnership, day, version, stale_from, summary"),
        )
        writes.days.clear()
        self.execute_many(
            cursor,
            "INSERT INTO {checkpoints} VALUES (%s, %s, %s, %s, %s)",
            [tuple(one) for ones in writes.checkpoints.values() for one in ones],
            ("checkpoints", "partnership, valid_key, version, state, stale_from"),
        )
        writes.checkpoints.clear()

    def _apply(self, cursor: Any, writes: _Writes, current: Current, event: RecordedEvent) -> None:
        recorded_at = max(stamp(event.recorded_at), current.recorded_at)
        if event.type in AMENDING_TYPES:
            self._flush(cursor, writes)
            affected = self._amend(cursor, event)
        else:
            body = event.to_dict() | {"recorded_at": recorded_at, "corrected_by": []}
            affected = self._row(writes, body, event.occurred_on, event.version)
        writes.changes.append(
            (event.partnership, event.version, event.position, recorded_at, affected)
        )
        if affected is not None:
            if event.type not in AMENDING_TYPES and affected > current.last_key:
                # In date order: the day before this one is over, sum it up.
                if current.last_key and day_of(affected) > day_of(current.last_key):
                    self._day(
                        writes,
                        current.partnership,
                        current.last_key,
                        current.version,
                        current.state,
                    )
                apply_event(current.state, event, self.policy)
                if current.writers is not None:
                    # Later than every key folded: what `fold_in` would do, without keeping
                    # the values the event sets to put them back (nothing later set them).
                    record(current.writers, event, affected, self.policy)
                current.last_key = affected
            else:
                self._stale_from(writes, current, event.version, affected)
                if event.type in AMENDING_TYPES:
                    self._refold(cursor, current, event.version)
                else:
                    if current.writers is None:
                        self._flush(cursor, writes)
                        current.writers = self._writers(cursor, current)
                    fold_in(current.state, current.writers, event, affected, self.policy)
            current.since_checkpoint += 1
        current.version = event.version
        current.position = event.position
        current.recorded_at = recorded_at
        if current.since_checkpoint >= self.checkpoint_interval and current.last_key:
            writes.checkpoints.setdefault(current.partnership, []).append(
                [current.partnership, current.last_key, event.version, dumps(current.state), None]
            )
            current.since_checkpoint = 0

    @staticmethod
    def _stale_from(writes: _Writes, current: Current, version: int, affected: str) -> None:
        """What changed at `affected` makes the checkpoints from there and the summaries from
        its day on stale for readers at `version` and later: each row turns stale once (the
        partial indexes skip those already stale). The days from `affected`'s to the last one
        summed up are a gap in the summaries, until the days go by again."""
        partnership, first = current.partnership, day_of(affected)
        for checkpoint in writes.checkpoints.get(partnership, ()):
            if checkpoint[4] is None and checkpoint[1] >= affected:
                checkpoint[4] = version
        for day in writes.days.get(partnership, ()):
            if day[3] is None and day[1] >= first:
                day[3] = version
        if affected < writes.earliest.get(partnership, END_OF_TIME):
            writes.earliest[partnership] = affected
            writes.marks.append((version, partnership, affected))
        current.gap_from = min(current.gap_from, first) if current.gap_from else first
        current.gap_to = max(current.gap_to, day_of(current.last_key), first)

    @staticmethod
    def _row(
        writes: _Writes, body: dict[str, Any], occurred_on: PartialDate, from_version: int
    ) -> str:
        """Buffer one revision of an event; return its valid key."""
        key = valid_key(occurred_on.end, body["version"])
        writes.rows.append(
            (
                body["partnership"],
                body["id"],
                from_version,
                key,
                occurred_on.start.isoformat(),
                body["type"],
                body["confidence"],
                dumps(body),
            )
        )
        writes.search.append(search.entry(body, from_version))
        return key

    def _amend(self, cursor: Any, event: RecordedEvent) -> str | None:
        """Close the target's row (and open its corrected one); the earliest key touched."""
        found = self.select(
            cursor,
            "SELECT valid_key, body FROM {rows} WHERE partnership = %s AND event_id = %s "
            "AND to_version IS NULL",
            (event.partnership, event.data["target_id"]),
        )
        if not found:
            return None  # folds are total: an amendment of nothing changes nothing
        old_key, old_body = found[0][0], orjson.loads(found[0][1])
        self.execute(
            cursor,
            "UPDATE {rows} SET to_version = %s WHERE partnership = %s AND event_id = %s "
            "AND to_version IS NULL",
            (event.version, event.partnership, event.data["target_id"]),
        )
        if event.type == "EventRetracted":
            return str(old_key)
        body = amend(old_body, event.type, event.data)
        body["corrected_by"] = [*old_body.get("corrected_by", []), event.id]
        writes = _Writes()
        new_key = self._row(writes, body, PartialDate.parse(body["occurred_on"]), event.version)
        self._flush(cursor, writes)
        return str(min(old_key, new_key))

    def _refold(self, cursor: Any, current: Current, version: int) -> None:
        """Fold every row visible at `version` again (after an amendment: the values it
        removed may have been set by earlier events). Day summaries stay stale from the
        amended day on: a series folds there."""
        state: State = empty_state()
        writers: Writers = {}
        last_key = ""
        for key, body in self.rows_between(cursor, current.partnership, version, "", END_OF_TIME):
            fold_in(state, writers, RecordedEvent.from_dict(body), key, self.policy)
            last_key = key
        current.state, current.writers, current.last_key = state, writers, last_key
        current.gap_to = END_OF_TIME

    def _writers(self, cursor: Any, current: Current) -> Writers:
        """Which event (by valid key) set each value of the current state: found once, when
        the first event out of date order arrives, then kept (`fold_in`)."""
        writers: Writers = {}
        for key, body in self.rows_between(
            cursor, current.partnership, current.version, "", END_OF_TIME
        ):
            record(writers, RecordedEvent.from_dict(body), key, self.policy)
        return writers

    def _day(self, writes: _Writes, partnership: str, key: str, version: int, state: State) -> None:
        """Buffer the summary of `state`, folded through the day of `key`."""
        writes.days.setdefault(partnership, []).append(
            [partnership, day_of(key), version, None, dumps(summarize(state, self.policy))]
        )

    def _save_current(self, cursor: Any, current: Current) -> None:
        self.execute(
            cursor,
            "INSERT INTO {current} VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (partnership) DO UPDATE SET version = excluded.version, "
            "position = excluded.position, recorded_at = excluded.recorded_at, "
            "last_key = excluded.last_key, since_checkpoint = excluded.since_checkpoint, "
            "state = excluded.state",
            (
                current.partnership,
                current.version,
                current.position,
                current.recorded_at,
                current.last_key,
                current.since_checkpoint,
                dumps(current.state),
            ),
        )
        if current.writers is not None:
            self.execute(
                cursor,
                "INSERT INTO {arrivals} VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (partnership) DO UPDATE SET writers = excluded.writers, "
                "gap_from = excluded.gap_from, gap_to = excluded.gap_to",
                (current.partnership, dumps(current.writers), current.gap_from, current.gap_to),
            )


class SQLiteTimelineView(TimelineView, SQLiteTables):
    """The view on SQLite."""


class PostgresTimelineView(TimelineView, PostgresTables):
    """The view on PostgreSQL."""
