"""The API's own fields and query parameters: dates, partial dates, instants, positions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

from marshmallow import (
    ValidationError,
    fields,
    validate,
)

from events.dates import InvalidPartialDate, PartialDate

MAX_PAGE = 1000
MAX_POSITION = 2**63 - 1  # positions are 64-bit integers in every store
# The dates and instants a query may name: wide enough for any partnership's history and any
# question about it, narrow enough that every date derived from them (the day before `from`, a
# year after `as_of`, a step past `to`, an instant moved to UTC) is still a date.
EARLIEST_QUERY_DATE = date(1000, 1, 1)
LATEST_QUERY_DATE = date(9000, 12, 31)
_OUT_OF_RANGE = (
    f"Out of range: dates in queries lie between {EARLIEST_QUERY_DATE.isoformat()} and "
    f"{LATEST_QUERY_DATE.isoformat()}."
)
_INTEGER = re.compile(r"-?[0-9]{1,20}", re.ASCII)


class QueryInteger(fields.Integer):
    """An integer in a query: ASCII digits only (`int()` would take `٣` and `²`-like digits)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and not _INTEGER.fullmatch(value):
            raise self.make_error("invalid")
        return int(super()._deserialize(value, attr, data, **kwargs))


def _in_range(day: date) -> date:
    if not EARLIEST_QUERY_DATE <= day <= LATEST_QUERY_DATE:
        raise ValidationError(_OUT_OF_RANGE)
    return day


class PeriodBound(fields.Field[date]):
    """A date or partial date (`2023`, `2023-Q4`, `2023-11`, `2023-11-20`) read as the first
    (`edge="start"`) or last (`edge="end"`) day of its period."""

    def __init__(self, *, edge: str = "end", **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("example", "2023-11-20")
        kwargs["metadata"].setdefault("pattern", r"^\d{4}(-Q[1-4]|-\d{2}(-\d{2})?)?$")
        super().__init__(**kwargs)
        self.edge = edge

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str):
            raise ValidationError("Not a date: use YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD.")
        try:
            period = PartialDate.parse(value)
        except InvalidPartialDate as error:
            raise ValidationError(str(error)) from None
        return _in_range(period.start if self.edge == "start" else period.end)


class Instant(fields.Field[datetime]):
    """An ISO 8601 instant; without an offset it is UTC; a bare date means the end of that day."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("example", "2024-01-05T12:00:00Z")
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str):
            raise ValidationError("Not an instant: use ISO 8601, e.g. 2024-01-05T12:00:00Z.")
        text = value.strip()
        try:
            if not text.isascii():  # fromisoformat takes other scripts' digits
                raise ValueError(text)
            if len(text) == 10:
                instant = datetime.combine(date.fromisoformat(text), time.max, UTC)
            else:
                instant = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
        except ValueError:
            raise ValidationError(
                "Not an instant: use ISO 8601, e.g. 2024-01-05T12:00:00Z or 2024-01-05."
            ) from None
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        if not EARLIEST_QUERY_DATE <= instant.date() <= LATEST_QUERY_DATE:
            raise ValidationError(_OUT_OF_RANGE)  # also keeps astimezone within the calendar
        return instant.astimezone(UTC)


def as_of_param() -> PeriodBound:
    return PeriodBound(
        load_default=None,
        metadata={
            "description": "Valid time: fold only events certainly happened by this date "
            "(a partial date means the last day of its period)."
        },
    )


def known_at_param() -> Instant:
    return Instant(
        load_default=None,
        metadata={
            "description": "Transaction time: fold only events recorded at or before this "
            "instant (a bare date: the end of that day, UTC)."
        },
    )


def policy_param() -> fields.String:
    return fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=20_000),
        metadata={
            "description": "What if: fold the same events with another trust policy, by name "
            "(`default`, or a file in the policies directory) or inline as JSON "
            '(`{"effects": {"DisputeOpened": -10}}`: what it changes from the default). The '
            "answer adds `what_if` beside the stored answer; nothing stored changes."
        },
    )


def min_position_param() -> fields.Integer:
    return QueryInteger(
        load_default=None,
        validate=validate.Range(min=0, max=MAX_POSITION),
        metadata={
            "description": "Wait until the answer reflects at least this log position (read "
            "your own write: pass the position of a 201)."
        },
    )
