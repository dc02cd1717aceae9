"""The view's tables and how each database is reached (its dialect).

Tables (all keyed by partnership):
- rows: each *revision* of an event, visible for stream versions [from_version, to_version).
  A correction closes the target's row and opens a corrected one; a retraction only closes it.
  `valid_key` (see `service.view.keys`) orders rows in valid time.
- changes: one per stream version: its position, its recording time, and the earliest valid key
  it affected (what makes later checkpoints stale for readers who know it).
- checkpoints: folded states of every row up to a valid key, as known at a stream version.
- current: the state folded from every row, kept incrementally whatever the order events
  arrive in;
- arrivals: beside `current`, which event set each of its values (`writers`, see
  `service.projections.out_of_order`), and the days whose summaries out-of-order events made
  stale (`gap_from` to `gap_to`). A view written before it has none: the writers are then
  found once, when the first event out of date order arrives.
- days: a small summary of the state at the end of each day that has events (the last such
  day excepted: the current state covers it), so that a series needs no fold. Summaries are
  written as the days go by, never again: an event for an earlier day makes those from its
  day on stale (for readers who know it), and a series folds over that gap instead.
- layout: one row, the `LAYOUT_VERSION` the rows were written in. A process that finds an older
  one rebuilds the view from the log, once (`service.projecting.ensure_layout`).
- search: the words of each row revision, for full-text search (`service.view.search`: FTS5 on
  SQLite, tsvector + GIN on PostgreSQL).

Checkpoints and summaries turn stale once each (partial indexes find the fresh ones), so an
event arriving out of date order costs what it changes, and the tables stay linear in size.

One SQL text serves SQLite and PostgreSQL (written with `%s` placeholders and `{table}` names);
the two dialect classes (`service.view.dialects`) say how to reach each database. Both are the
library's tracking recorders, so a view's rows and its tracking record share one transaction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import orjson
from eventsourcing.persistence import Tracking, TrackingRecorder

from service.projections.state import State, empty_state
from service.write.recorders import as_tuples

COPY_ROWS = 50  # from this many rows, PostgreSQL gets them by COPY (`service.view.dialects`)
VISIBLE = "from_version <= %s AND (to_version IS NULL OR to_version > %s)"
# The shape of what the view stores: its rows' bodies, the folded states and summaries. Raise it
# whenever a fold or a row changes shape; version 1 is every view written before it was kept.
# 2 (issue 12): figures, tranches and claim ranges per confidence level; agreements.
# 3 (issues 13 and 15): writers of each value (arrivals), stale marks, the search table.
LAYOUT_VERSION = 3

TABLES = {
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
    "layout": "(version BIGINT NOT NULL)",
    "current": (
        "(partnership TEXT PRIMARY KEY, version BIGINT NOT NULL, position BIGINT NOT NULL, "
        "recorded_at TEXT NOT NULL, last_key TEXT NOT NULL, since_checkpoint BIGINT NOT NULL, "
        "state TEXT NOT NULL)"
    ),
    "arrivals": (
        "(partnership TEXT PRIMARY KEY, writers TEXT NOT NULL, gap_from TEXT NOT NULL, "
        "gap_to TEXT NOT NULL)"
    ),
}
INDEXES = {
    "rows_by_key": "rows (partnership, valid_key)",
    "changes_by_time": "changes (partnership, recorded_at)",
    "fresh_checkpoints": "checkpoints (partnership, valid_key) WHERE stale_from IS NULL",
    "fresh_days": "days (partnership, day) WHERE stale_from IS NULL",
}


def dumps(value: Any) -> str:
    """JSON text for the view's columns (orjson: the projector's hot path encodes every row)."""
    return orjson.dumps(value).decode()


@dataclass
class Current:
    """A partnership's row of `current`: the state folded from every visible row."""

    partnership: str
    version: int = 0
    position: int = 0
    recorded_at: str = ""
    last_key: str = ""
    since_checkpoint: int = 0
    state: State = field(default_factory=empty_state)
    writers: dict[str, Any] | None = field(default_factory=dict)  # None: not kept (yet)
    gap_from: str = ""  # days from here ...
    gap_to: str = ""  # ... to before here may have no fresh summary ("" for none)


class ViewTables(TrackingRecorder, ABC):
    """The view's tables on one database: statements in, rows out."""

    table_prefix = "view_"

    def table(self, name: str) -> str:
        return self.table_prefix + name

    def _sql(self, text: str) -> str:
        names = {name: self.table(name) for name in (*TABLES, "search")}
        return self.placeholders(text.format(**names))

    def search_statements(self) -> list[str]:
        """The dialect's statements creating the search table (`service.view.search`)."""
        return []

    def placeholders(self, text: str) -> str:
        return text

    def empty(self, cursor: Any, names: Sequence[str]) -> None:
        """Delete every row of these tables (a dialect may have a faster way)."""
        for name in names:
            self.execute(cursor, f"DELETE FROM {{{name}}}")

    @abstractmethod
    def transaction(self, *, commit: bool) -> AbstractContextManager[Any]:
        """A cursor in a transaction (committed at the end when `commit`)."""

    @abstractmethod
    def track(self, cursor: Any, tracking: Tracking) -> None:
        """Record `tracking` in the cursor's transaction."""

    @abstractmethod
    def tracking_table(self) -> str:
        """The library's tracking table, as this dialect names it."""

    @abstractmethod
    def close(self) -> None:
        """Close the view's connections."""

    def execute(self, cursor: Any, text: str, params: Sequence[Any] = ()) -> None:
        cursor.execute(self._sql(text), params)

    def execute_many(
        self,
        cursor: Any,
        text: str,
        rows: list[tuple[Any, ...]],
        copy: tuple[str, str] | None = None,
    ) -> None:
        """Send `rows` in bulk, then empty the list. `copy`: (table, its columns) when `text`
        is a plain INSERT of those columns, which a dialect may send another way (`COPY`)."""
        if rows:
            cursor.executemany(self._sql(text), rows)
            rows.clear()

    def select(self, cursor: Any, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.execute(cursor, text, params)
        return as_tuples(cursor.fetchall())

    def read(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """One query in its own read-only transaction."""
        with self.transaction(commit=False) as cursor:
            return self.select(cursor, text, params)

    @abstractmethod
    def layout_lock(self) -> AbstractContextManager[None]:
        """Held by one process at a time (of every process on this database)."""

    def layout_version(self) -> int | None:
        """The layout the view was written in: None for an empty view never stamped (nothing
        to rebuild), 1 for a view written before layouts were recorded."""
        with self.transaction(commit=False) as cursor:
            found = self.select(cursor, "SELECT version FROM {layout}")
            if found:
                return int(found[0][0])
            written = self.select(cursor, "SELECT partnership FROM {current} LIMIT 1")
            return 1 if written else None

    def stamp_layout(self, version: int) -> None:
        with self.transaction(commit=True) as cursor:
            self.execute(cursor, "DELETE FROM {layout}")
            self.execute(cursor, "INSERT INTO {layout} VALUES (%s)", (version,))

    def load_current(self, cursor: Any, partnership: str) -> Current:
        found = self.select(
            cursor,
            "SELECT c.version, c.position, c.recorded_at, c.last_key, c.since_checkpoint, "
            "c.state, a.writers, a.gap_from, a.gap_to FROM {current} c "
            "LEFT JOIN {arrivals} a ON a.partnership = c.partnership WHERE c.partnership = %s",
            (partnership,),
        )
        if not found:
            return Current(partnership)
        version, position, recorded_at, last_key, since, state, writers, gap_from, gap_to = found[0]
        return Current(
            partnership,
            version,
            position,
            recorded_at,
            last_key,
            since,
            orjson.loads(state),
            None if writers is None else orjson.loads(writers),
            gap_from or "",
            gap_to or "",
        )

    def checkpoint_before(
        self, cursor: Any, partnership: str, version: int, below: str
    ) -> tuple[str, State]:
        """The latest checkpoint before key `below` that is right for readers at `version`.

        A checkpoint taken at version c holds for readers at v >= c until a change touches a
        valid key at or before its own (`stale_from`, kept by the writer).
        """
        found = self.select(
            cursor,
            "SELECT valid_key, state FROM {checkpoints} WHERE partnership = %s "
            "AND valid_key < %s AND version <= %s AND (stale_from IS NULL OR stale_from > %s) "
            "ORDER BY valid_key DESC, version DESC LIMIT 1",
            (partnership, below, version, version),
        )
        if not found:
            return "", empty_state()
        return str(found[0][0]), orjson.loads(found[0][1])

    def rows_between(
        self, cursor: Any, partnership: str, version: int, after: str, before: str
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(key, body) of the rows visible at `version` with keys strictly between two keys."""
        rows = self.select(
            cursor,
            "SELECT valid_key, body FROM {rows} WHERE partnership = %s AND "
            + VISIBLE
            + " AND valid_key > %s AND valid_key < %s ORDER BY valid_key",
            (partnership, version, version, after, before),
        )
        for key, body in rows:
            yield key, orjson.loads(body)

    def create_statements(self) -> list[str]:
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.table(name)} {columns}"
            for name, columns in TABLES.items()
        ]
        statements += [
            f"CREATE INDEX IF NOT EXISTS {self.table_prefix}{name} ON {self.table_prefix}{on}"
            for name, on in INDEXES.items()
        ]
        return statements + self.search_statements()
