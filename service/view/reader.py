"""The view's reader: what the read side asks of the view, in dates (keys stay inside).

Every fold here uses the view's own trust policy, the one its stored states were folded with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from events.catalog import CONFIDENCE_LEVELS
from events.envelope import RecordedEvent
from service.projections.policy import TrustPolicy
from service.projections.state import State, apply_event
from service.view import search
from service.view.dialects import PostgresTables
from service.view.keys import day_of, key_after, since, stamp, until
from service.view.tables import VISIBLE, Current
from service.view.writer import TimelineView


@dataclass(frozen=True)
class Row:
    """One visible event of the timeline and the cursor that resumes after it."""

    cursor: str
    body: dict[str, Any]


class ViewReader:
    """Reads of the view for one reader's cut (a stream version), each in one transaction."""

    def __init__(self, view: TimelineView) -> None:
        self.view = view

    @property
    def policy(self) -> TrustPolicy:
        return self.view.policy

    def current(self, partnership: str) -> Current | None:
        with self.view.transaction(commit=False) as cursor:
            found = self.view.load_current(cursor, partnership)
        return found if found.version else None

    def stamp(self, partnership: str) -> tuple[int, int] | None:
        """(version, position) of the partnership's current row: every read of it without
        `known_at` changes when (and only when) this does; None before its first event."""
        found = self.view.read(
            "SELECT version, position FROM {current} WHERE partnership = %s", (partnership,)
        )
        return (int(found[0][0]), int(found[0][1])) if found else None

    def partnerships(self) -> list[Current]:
        with self.view.transaction(commit=False) as cursor:
            names = self.view.select(
                cursor, "SELECT partnership FROM {current} ORDER BY partnership"
            )
            return [self.view.load_current(cursor, name) for (name,) in names]

    def known_at(self, partnership: str, known_at: datetime) -> tuple[int, int]:
        """(version, position) of the last event of the stream recorded by `known_at`."""
        found = self.view.read(
            "SELECT version, position FROM {changes} WHERE partnership = %s "
            "AND recorded_at <= %s ORDER BY version DESC LIMIT 1",
            (partnership, stamp(known_at)),
        )
        return (int(found[0][0]), int(found[0][1])) if found else (0, 0)

    def state_at(self, partnership: str, version: int, as_of: date | None) -> State:
        """The state folded from the events that count by `as_of`, as known at `version`."""
        before = until(as_of)
        with self.view.transaction(commit=False) as cursor:
            base_key, state = self.view.checkpoint_before(cursor, partnership, version, before)
            for _, body in self.view.rows_between(cursor, partnership, version, base_key, before):
                apply_event(state, RecordedEvent.from_dict(body), self.policy)
        return state

    def fold_from(
        self, partnership: str, version: int, first: date, last: date
    ) -> tuple[State, list[dict[str, Any]]]:
        """The checkpointed state before `first` counts, and the visible rows from there up to
        those that count by `last`."""
        with self.view.transaction(commit=False) as cursor:
            base_key, state = self.view.checkpoint_before(
                cursor, partnership, version, key_after(first)
            )
            rows = [
                body
                for _, body in self.view.rows_between(
                    cursor, partnership, version, base_key, key_after(last)
                )
            ]
        return state, rows

    def day_summaries(
        self, partnership: str, version: int, first: date, last: date
    ) -> list[tuple[str, dict[str, Any]]]:
        """For readers at `version`, (day, summary) of the fresh summaries: the last one up to
        `first`, then those of the days after it up to `last` (see the `days` table)."""
        valid = "partnership = %s AND version <= %s AND (stale_from IS NULL OR stale_from > %s)"
        with self.view.transaction(commit=False) as cursor:
            before = self.view.select(
                cursor,
                "SELECT day, summary FROM {days} WHERE " + valid + " AND day <= %s "
                "ORDER BY day DESC, version DESC LIMIT 1",
                (partnership, version, version, first.isoformat()),
            )
            during = self.view.select(
                cursor,
                "SELECT day, summary FROM {days} WHERE " + valid + " AND day > %s AND day <= %s "
                "ORDER BY day, version",
                (partnership, version, version, first.isoformat(), last.isoformat()),
            )
        return [(str(day), orjson.loads(summary)) for day, summary in [*before, *during]]

    @staticmethod
    def last_day(current: Current) -> str:
        """The day (ISO text) of the latest event the current state has folded."""
        return day_of(current.last_key)

    def timeline(
        self,
        partnership: str,
        version: int,
        *,
        start: date | None = None,
        end: date | None = None,
        after: str = "",
        types: Sequence[str] = (),
        min_confidence: str | None = None,
        terms: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[Row]:
        """Visible events in valid-time order that count from `start` and by `end` (both
        optional), after the cursor `after`, filtered (`terms`: words their text holds, see
        `service.view.search`)."""
        text = (
            "SELECT valid_key, body FROM {rows} WHERE partnership = %s AND "
            + VISIBLE
            + " AND valid_key > %s AND valid_key < %s"
        )
        params: list[Any] = [partnership, version, version, since(start, after), until(end)]
        if types:
            text += " AND type IN (" + ",".join(["%s"] * len(types)) + ")"
            params += list(types)
        if min_confidence is not None:
            allowed = CONFIDENCE_LEVELS[CONFIDENCE_LEVELS.index(min_confidence) :]
            text += " AND confidence IN (" + ",".join(["%s"] * len(allowed)) + ")"
            params += list(allowed)
        if terms:
            matching, words = search.matching_sql(
                list(terms), postgres=isinstance(self.view, PostgresTables)
            )
            text += " AND " + matching
            params += words
        text += " ORDER BY valid_key"
        if limit is not None:
            text += " LIMIT %s"
            params.append(limit)
        return [Row(str(key), orjson.loads(body)) for key, body in self.view.read(text, params)]

    def latest(
        self, partnership: str, version: int, end: date | None, limit: int
    ) -> list[dict[str, Any]]:
        """The last `limit` visible events that count by `end`, latest first."""
        rows = self.view.read(
            "SELECT body FROM {rows} WHERE partnership = %s AND "
            + VISIBLE
            + " AND valid_key < %s ORDER BY valid_key DESC LIMIT %s",
            (partnership, version, version, until(end), limit),
        )
        return [orjson.loads(body) for (body,) in rows]

    def of_type(self, event_type: str, known_at: datetime | None) -> list[dict[str, Any]]:
        """Every partnership's visible events of one type as known at `known_at` (now when
        None), in the order they were recorded; valid time does not matter."""
        if known_at is None:
            text = "SELECT body FROM {rows} WHERE type = %s AND to_version IS NULL"
            params: tuple[Any, ...] = (event_type,)
        else:
            text = (
                "SELECT r.body FROM {rows} r JOIN (SELECT partnership, MAX(version) AS version "
                "FROM {changes} WHERE recorded_at <= %s GROUP BY partnership) c "
                "ON c.partnership = r.partnership WHERE r.type = %s "
                "AND r.from_version <= c.version "
                "AND (r.to_version IS NULL OR r.to_version > c.version)"
            )
            params = (stamp(known_at), event_type)
        bodies = [orjson.loads(body) for (body,) in self.view.read(text, params)]
        return sorted(bodies, key=lambda body: int(body["position"]))

    def search(self, query: search.Query) -> list[search.Hit]:
        """A page of full-text hits, best first (see `service.view.search`)."""
        text, params = search.search_sql(query, postgres=isinstance(self.view, PostgresTables))
        with self.view.transaction(commit=False) as cursor:
            found = self.view.select(cursor, text, params)
            if not found:
                return []
            bodies = self.view.select(cursor, *search.bodies_sql(found))
        return search.hits(found, bodies)

    def not_yet_counted(self, partnership: str, version: int, as_of: date) -> list[dict[str, Any]]:
        """Events whose period has begun by `as_of` but not ended: they count from its end."""
        rows = self.view.read(
            "SELECT body FROM {rows} WHERE partnership = %s AND "
            + VISIBLE
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
