"""The materialised view: a bitemporal table of events, the current state, and checkpoints.

Written by the projector (rows and tracking record in one transaction: exactly once, resumable),
read by the service. One class of SQL for SQLite and PostgreSQL; the subclasses at the bottom
only say how to reach each database.

Tables (all keyed by partnership):
- rows: each *revision* of an event, visible for stream versions [from_version, to_version).
  A correction closes the target's row and opens a corrected one; a retraction only closes it.
  `valid_key` orders rows in valid time: the last day of the period, then recording order.
- changes: one per stream version: its position, its recording time, and the earliest valid key
  it affected (what makes later checkpoints stale for readers who know it).
- checkpoints: folded states of every row up to a valid key, as known at a stream version.
- current: the state folded from every row, kept incrementally.
- days: a small summary of the state at the end of each day that has events (the last such
  day excepted: the current state covers it), so that a series needs no fold.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from psycopg.sql import SQL

from events.catalog import AMENDING_TYPES, CONFIDENCE_LEVELS
from events.dates import PartialDate
from events.envelope import RecordedEvent
from events.rules import apply_correction
from service.projections.state import State, apply_event, empty_state, summarize
from service.recorders import as_tuples

CHECKPOINT_INTERVAL = 256
END_OF_TIME = "~"  # sorts after every valid key


def _dumps(value: Any) -> str:
    """JSON text for the view's columns (orjson: the projector's hot path encodes every row)."""
    return orjson.dumps(value).decode()


def valid_key(end: date, version: int) -> str:
    return f"{end.isoformat()}|{version:010d}"


def key_after(day: date) -> str:
    """The smallest key after every event that counts by `day`."""
    return f"{day.isoformat()}|~"


def stamp(moment: datetime) -> str:
    """A recording time as fixed-width UTC text, so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Current:
    partnership: str
    version: int = 0
    position: int = 0
    recorded_at: str = ""
    last_key: str = ""
    since_checkpoint: int = 0
    state: State = field(default_factory=empty_state)


@dataclass
class _Writes:
    """Inserts buffered within one transaction, sent in bulk."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    changes: list[tuple[Any, ...]] = field(default_factory=list)
    days: list[tuple[Any, ...]] = field(default_factory=list)


_VISIBLE = "from_version <= %s AND (to_version IS NULL OR to_version > %s)"

_TABLES = {
    "rows": (
        "(partnership TEXT NOT NULL, event_id TEXT NOT NULL, from_version BIGINT NOT NULL, "
        "to_version BIGINT, valid_key TEXT NOT NULL, valid_start TEXT NOT NULL, "
        "type TEXT NOT NULL, confidence TEXT NOT NULL, body TEXT NOT NULL, "
        "PRIMARY KEY (partnership, event_id, from_version))"
    ),
    "changes": (
        "(partnership TEXT NOT NULL, version BIGINT NOT NULL, position BIGINT NOT NULL, "
        "recorded_at TEXT NOT NULL, min_key TEXT, PRIMARY KEY (partnership, version))"
    ),
    "checkpoints": (
        "(partnership TEXT NOT NULL, valid_key TEXT NOT NULL, version BIGINT NOT NULL, "
        "state TEXT NOT NULL, stale_from BIGINT, PRIMARY KEY (partnership, valid_key, version))"
    ),
    "days": (
        "(partnership TEXT NOT NULL, day TEXT NOT NULL, version BIGINT NOT NULL, "
        "stale_from BIGINT, summary TEXT NOT NULL, PRIMARY KEY (partnership, day, version))"
    ),
    "current": (
        "(partnership TEXT PRIMARY KEY, version BIGINT NOT NULL, position BIGINT NOT NULL, "
        "recorded_at TEXT NOT NULL, last_key TEXT NOT NULL, since_checkpoint BIGINT NOT NULL, "
        "state TEXT NOT NULL)"
    ),
}
_INDEXES = {
    "rows_by_key": "rows (partnership, valid_key)",
    "changes_by_time": "changes (partnership, recorded_at)",
}


class TimelineView(ABC):
    """The view's logic; subclasses supply the database (see the bottom of this module)."""

    checkpoint_interval = CHECKPOINT_INTERVAL
    table_prefix = "view_"

    # --- how to reach the database (dialect) -------------------------------------------------

    def _table(self, name: str) -> str:
        return self.table_prefix + name

    def _sql(self, text: str) -> str:
        return text.format(**{name: self._table(name) for name in _TABLES})

    @contextmanager
    def _transaction(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as cursor:  # type: ignore[attr-defined]
            yield cursor

    def _placeholders(self, text: str) -> str:
        return text

    def _execute(self, cursor: Any, text: str, params: Sequence[Any] = ()) -> None:
        cursor.execute(self._placeholders(self._sql(text)), params)

    def _execute_many(self, cursor: Any, text: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            cursor.executemany(self._placeholders(self._sql(text)), rows)
            rows.clear()

    def _all(self, cursor: Any, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._execute(cursor, text, params)
        return as_tuples(cursor.fetchall())

    def _track(self, cursor: Any, tracking: Tracking) -> None:
        self._insert_tracking(cursor, tracking)  # type: ignore[attr-defined]

    def _create_statements(self) -> list[str]:
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self._table(name)} {columns}"
            for name, columns in _TABLES.items()
        ]
        statements += [
            f"CREATE INDEX IF NOT EXISTS {self.table_prefix}{name} ON {self.table_prefix}{on}"
            for name, on in _INDEXES.items()
        ]
        return statements

    # --- writing ------------------------------------------------------------------------------

    def process(self, events: Sequence[RecordedEvent], tracking: Tracking) -> None:
        """Apply `events` (in position order) and record `tracking`, in one transaction."""
        with self._transaction(commit=True) as cursor:
            touched: dict[str, Current] = {}
            writes = _Writes()
            for event in events:
                current = touched.get(event.partnership) or self._load_current(
                    cursor, event.partnership
                )
                self._apply(cursor, writes, current, event)
                touched[event.partnership] = current
            self._flush(cursor, writes)
            for current in touched.values():
                self._save_current(cursor, current)
            self._track(cursor, tracking)

    def _flush(self, cursor: Any, writes: _Writes) -> None:
        """Write the buffered rows: before anything reads them back, and at the end."""
        self._execute_many(
            cursor, "INSERT INTO {rows} VALUES (%s, %s, %s, NULL, %s, %s, %s, %s, %s)", writes.rows
        )
        self._execute_many(
            cursor, "INSERT INTO {changes} VALUES (%s, %s, %s, %s, %s)", writes.changes
        )
        self._execute_many(
            cursor,
            "INSERT INTO {days} VALUES (%s, %s, %s, NULL, %s) ON CONFLICT DO NOTHING",
            writes.days,
        )

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
                if current.last_key and affected[:10] > current.last_key[:10]:
                    self._day(
                        writes,
                        current.partnership,
                        current.last_key,
                        current.version,
                        current.state,
                    )
                apply_event(current.state, event)
                current.last_key = affected
                current.since_checkpoint += 1
            else:
                self._flush(cursor, writes)
                # Checkpoints at or after what changed no longer hold for readers who know it.
                self._execute(
                    cursor,
                    "UPDATE {checkpoints} SET stale_from = %s WHERE partnership = %s "
                    "AND valid_key >= %s AND stale_from IS NULL",
                    (event.version, event.partnership, affected),
                )
                self._execute(
                    cursor,
                    "UPDATE {days} SET stale_from = %s WHERE partnership = %s "
                    "AND day >= %s AND stale_from IS NULL",
                    (event.version, event.partnership, affected[:10]),
                )
                self._refold(cursor, writes, current, event.version, affected)
        current.version = event.version
        current.position = event.position
        current.recorded_at = recorded_at
        if current.since_checkpoint >= self.checkpoint_interval:
            self._checkpoint(
                cursor, current.partnership, current.last_key, event.version, current.state
            )
            current.since_checkpoint = 0

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
                _dumps(body),
            )
        )
        return key

    def _amend(self, cursor: Any, event: RecordedEvent) -> str | None:
        """Close the target's row (and open its corrected one); the earliest key touched."""
        found = self._all(
            cursor,
            "SELECT valid_key, body FROM {rows} WHERE partnership = %s AND event_id = %s "
            "AND to_version IS NULL",
            (event.partnership, event.data["target_id"]),
        )
        if not found:
            return None  # folds are total: an amendment of nothing changes nothing
        old_key, old_body = found[0][0], orjson.loads(found[0][1])
        self._execute(
            cursor,
            "UPDATE {rows} SET to_version = %s WHERE partnership = %s AND event_id = %s "
            "AND to_version IS NULL",
            (event.version, event.partnership, event.data["target_id"]),
        )
        if event.type == "EventRetracted":
            return str(old_key)
        body = apply_correction(old_body, event.data["fields"])
        body["corrected_by"] = [*old_body.get("corrected_by", []), event.id]
        writes = _Writes()
        new_key = self._row(writes, body, PartialDate.parse(body["occurred_on"]), event.version)
        self._flush(cursor, writes)
        return str(min(old_key, new_key))

    def _refold(
        self, cursor: Any, writes: _Writes, current: Current, version: int, affected: str
    ) -> None:
        """Fold again from the last checkpoint before `affected`, checkpointing on the way and
        summing up again each day from `affected`'s."""
        base_key, state = self._base(cursor, current.partnership, version, affected)
        last_key, count = base_key, 0
        for key, body in self._rows_between(
            cursor, current.partnership, version, base_key, END_OF_TIME
        ):
            if last_key[:10] >= affected[:10] and key[:10] > last_key[:10]:
                self._day(writes, current.partnership, last_key, version, state)
            apply_event(state, RecordedEvent.from_dict(body))
            last_key, count = key, count + 1
            if count % self.checkpoint_interval == 0:
                self._checkpoint(cursor, current.partnership, key, version, state)
        current.state = state
        current.last_key = last_key
        current.since_checkpoint = count % self.checkpoint_interval

    @staticmethod
    def _day(writes: _Writes, partnership: str, key: str, version: int, state: State) -> None:
        """Buffer the summary of `state`, folded through the day of `key`."""
        writes.days.append((partnership, key[:10], version, _dumps(summarize(state))))

    def _checkpoint(
        self, cursor: Any, partnership: str, key: str, version: int, state: State
    ) -> None:
        self._execute(
            cursor,
            "INSERT INTO {checkpoints} VALUES (%s, %s, %s, %s, NULL) ON CONFLICT DO NOTHING",
            (partnership, key, version, _dumps(state)),
        )

    def _load_current(self, cursor: Any, partnership: str) -> Current:
        found = self._all(
            cursor,
            "SELECT version, position, recorded_at, last_key, since_checkpoint, state "
            "FROM {current} WHERE partnership = %s",
            (partnership,),
        )
        if not found:
            return Current(partnership)
        version, position, recorded_at, last_key, since, state = found[0]
        return Current(
            partnership, version, position, recorded_at, last_key, since, orjson.loads(state)
        )

    def _save_current(self, cursor: Any, current: Current) -> None:
        self._execute(
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
                _dumps(current.state),
            ),
        )

    def clear(self, application_name: str) -> None:
        """Forget everything projected (and where projecting stopped), in one transaction."""
        with self._transaction(commit=True) as cursor:
            for name in _TABLES:
                self._execute(cursor, f"DELETE FROM {{{name}}}")
            self._execute(
                cursor,
                f"DELETE FROM {self._tracking_table()} WHERE application_name = %s",
                (application_name,),
            )

    @abstractmethod
    def _tracking_table(self) -> str:
        """The library's tracking table, as this dialect names it."""

    # --- reading ------------------------------------------------------------------------------

    def _base(self, cursor: Any, partnership: str, version: int, below: str) -> tuple[str, State]:
        """The latest checkpoint before `below` that is right for readers at `version`.

        A checkpoint taken at version c holds for readers at v >= c until a change touches a
        valid key at or before its own (`stale_from`, kept by the projector).
        """
        found = self._all(
            cursor,
            "SELECT valid_key, state FROM {checkpoints} WHERE partnership = %s "
            "AND valid_key < %s AND version <= %s AND (stale_from IS NULL OR stale_from > %s) "
            "ORDER BY valid_key DESC, version DESC LIMIT 1",
            (partnership, below, version, version),
        )
        if not found:
            return "", empty_state()
        return str(found[0][0]), orjson.loads(found[0][1])

    def _rows_between(
        self, cursor: Any, partnership: str, version: int, after: str, before: str
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        rows = self._all(
            cursor,
            "SELECT valid_key, body FROM {rows} WHERE partnership = %s AND "
            + _VISIBLE
            + " AND valid_key > %s AND valid_key < %s ORDER BY valid_key",
            (partnership, version, version, after, before),
        )
        for key, body in rows:
            yield key, orjson.loads(body)

    def current(self, partnership: str) -> Current | None:
        with self._transaction(commit=False) as cursor:
            found = self._load_current(cursor, partnership)
        return found if found.version else None

    def partnerships(self) -> list[Current]:
        with self._transaction(commit=False) as cursor:
            names = self._all(cursor, "SELECT partnership FROM {current} ORDER BY partnership")
            return [self._load_current(cursor, name) for (name,) in names]

    def knowledge(self, partnership: str, known_at: datetime) -> tuple[int, int] | None:
        """(version, position) of the last event of the stream recorded by `known_at`."""
        with self._transaction(commit=False) as cursor:
            found = self._all(
                cursor,
                "SELECT version, position FROM {changes} WHERE partnership = %s "
                "AND recorded_at <= %s ORDER BY version DESC LIMIT 1",
                (partnership, stamp(known_at)),
            )
        return (int(found[0][0]), int(found[0][1])) if found else None

    def state_at(self, partnership: str, version: int, before: str) -> State:
        """The state folded from rows with keys below `before`, as known at `version`."""
        with self._transaction(commit=False) as cursor:
            base_key, state = self._base(cursor, partnership, version, before)
            for _, body in self._rows_between(cursor, partnership, version, base_key, before):
                apply_event(state, RecordedEvent.from_dict(body))
        return state

    def fold_from(
        self, partnership: str, version: int, start: str, end: str = END_OF_TIME
    ) -> tuple[State, list[dict[str, Any]]]:
        """The checkpointed state before `start`, and the visible rows from there to `end`."""
        with self._transaction(commit=False) as cursor:
            base_key, state = self._base(cursor, partnership, version, start)
            rows = [
                body for _, body in self._rows_between(cursor, partnership, version, base_key, end)
            ]
        return state, rows

    def day_summaries(
        self, partnership: str, version: int, first: date, last: date
    ) -> tuple[dict[str, Any] | None, list[tuple[str, dict[str, Any]]]]:
        """For readers at `version`: the summary of the last day with events up to `first`, and
        those of the days after it up to `last` (see `days`)."""
        valid = "partnership = %s AND version <= %s AND (stale_from IS NULL OR stale_from > %s)"
        with self._transaction(commit=False) as cursor:
            before = self._all(
                cursor,
                "SELECT summary FROM {days} WHERE " + valid + " AND day <= %s "
                "ORDER BY day DESC, version DESC LIMIT 1",
                (partnership, version, version, first.isoformat()),
            )
            during = self._all(
                cursor,
                "SELECT day, summary FROM {days} WHERE " + valid + " AND day > %s AND day <= %s "
                "ORDER BY day, version",
                (partnership, version, version, first.isoformat(), last.isoformat()),
            )
        return (
            orjson.loads(before[0][0]) if before else None,
            [(str(day), orjson.loads(summary)) for day, summary in during],
        )

    def timeline(
        self,
        partnership: str,
        version: int,
        *,
        after: str = "",
        before: str = END_OF_TIME,
        types: Sequence[str] = (),
        min_confidence: str | None = None,
        limit: int | None = None,
    ) -> list[tuple[str, dict[str, Any]]]:
        """Visible rows in valid-time order between two keys, filtered; (key, body) pairs."""
        text = (
            "SELECT valid_key, body FROM {rows} WHERE partnership = %s AND "
            + _VISIBLE
            + " AND valid_key > %s AND valid_key < %s"
        )
        params: list[Any] = [partnership, version, version, after, before]
        if types:
            text += " AND type IN (" + ",".join(["%s"] * len(types)) + ")"
            params += list(types)
        if min_confidence is not None:
            allowed = CONFIDENCE_LEVELS[CONFIDENCE_LEVELS.index(min_confidence) :]
            text += " AND confidence IN (" + ",".join(["%s"] * len(allowed)) + ")"
            params += list(allowed)
        text += " ORDER BY valid_key"
        if limit is not None:
            text += " LIMIT %s"
            params.append(limit)
        with self._transaction(commit=False) as cursor:
            rows = self._all(cursor, text, params)
        return [(str(key), orjson.loads(body)) for key, body in rows]

    def not_yet_counted(self, partnership: str, version: int, as_of: date) -> list[dict[str, Any]]:
        """Events whose period has begun by `as_of` but not ended: they count from its end."""
        with self._transaction(commit=False) as cursor:
            rows = self._all(
                cursor,
                "SELECT body FROM {rows} WHERE partnership = %s AND "
                + _VISIBLE
                + " AND valid_start <= %s AND valid_key > %s AND valid_key < %s "
                "ORDER BY valid_key LIMIT 100",
                (
                    partnership,
                    version,
                    version,
                    as_of.isoformat(),
                    key_after(as_of),
                    # no period is longer than a year: what began by as_of ends within one
                    key_after(as_of + timedelta(days=366)),
                ),
            )
        return [orjson.loads(body) for (body,) in rows]

    def revisions(self, partnership: str, event_id: str) -> list[dict[str, Any]]:
        """Every revision of one event, oldest first, with the versions it was visible for."""
        with self._transaction(commit=False) as cursor:
            rows = self._all(
                cursor,
                "SELECT from_version, to_version, body FROM {rows} WHERE partnership = %s "
                "AND event_id = %s ORDER BY from_version",
                (partnership, event_id),
            )
        return [
            {"from_version": low, "to_version": high, "body": orjson.loads(body)}
            for low, high, body in rows
        ]


class SQLiteTimelineView(TimelineView, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self._create_statements()]

    def _placeholders(self, text: str) -> str:
        return text.replace("%s", "?")

    def _tracking_table(self) -> str:
        return "tracking"


class PostgresTimelineView(TimelineView, PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.table_prefix = f'"{self.datastore.schema}".view_'
        for statement in self._create_statements():
            index_name = statement.split(" ")[5] if " INDEX " in statement else None
            unqualified = (  # index names take no schema in PostgreSQL
                statement.replace(index_name, index_name.split(".")[-1], 1)
                if index_name is not None
                else statement
            )
            self.sql_create_statements.append(SQL(unqualified).format())  # type: ignore[arg-type]

    def _tracking_table(self) -> str:
        return f'"{self.datastore.schema}"."{self.tracking_table_name}"'
