"""The view's keys: how rows are ordered in valid time. This module alone knows their format.

A valid key is the last day of an event's period, then its stream version (recording order):
`2023-11-30|0000000042`. Text order is valid-time order, so the view can range over keys in SQL.
Readers speak in dates; they get keys only as opaque cursors (`after=`) handed back to them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

END_OF_TIME = "~"  # sorts after every valid key
BEGINNING = ""  # sorts before every valid key
_DAY = len("2000-01-01")


def valid_key(end: date, version: int) -> str:
    return f"{end.isoformat()}|{version:010d}"


def key_after(day: date) -> str:
    """The smallest key after every event that counts by `day`."""
    return f"{day.isoformat()}|~"


def day_of(key: str) -> str:
    """The day (ISO text) a key counts from; "" for no key."""
    return key[:_DAY]


def until(*days: date | None) -> str:
    """The key bound (exclusive) of events that count by every given day: the earliest."""
    return min((key_after(day) for day in days if day is not None), default=END_OF_TIME)


def since(day: date | None, cursor: str = BEGINNING) -> str:
    """The key bound (exclusive) of events that count from `day` on, and after `cursor`."""
    if day is None:
        return cursor
    return max(cursor, key_after(day - timedelta(days=1)))


def stamp(moment: datetime) -> str:
    """A recording time as fixed-width UTC text, so text order is time order
    (`2024-01-05T09:30:00.000000Z`; `isoformat`: a third faster than `strftime`, and the year
    padded to four digits)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
