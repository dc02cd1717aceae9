"""The API's own fields and query parameters: dates, partial dates, instants, positions."""

from __future__ import annotations

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
        return period.start if self.edge == "start" else period.end


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
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time.max, UTC)
            instant = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
        except ValueError:
            raise ValidationError(
                "Not an instant: use ISO 8601, e.g. 2024-01-05T12:00:00Z or 2024-01-05."
            ) from None
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
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


def min_position_param() -> fields.Integer:
    return fields.Integer(
        load_default=None,
        validate=validate.Range(min=0, max=MAX_POSITION),
        metadata={
            "description": "Wait until the answer reflects at least this log position (read "
            "your own write: pass the position of a 201)."
        },
    )
