"""Partial dates: when something happened in the world, to the precision the sources give."""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

# ASCII digits only (`\d` takes every script's digits, and `int()` reads them), matched whole.
_PATTERN = re.compile(
    r"(?P<year>[0-9]{4})(?:-Q(?P<quarter>[1-4])|-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?"
)


class Precision(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"
    DAY = "day"


class InvalidPartialDate(ValueError):
    """The text is not `YYYY`, `YYYY-Qn`, `YYYY-MM` or `YYYY-MM-DD`, or names no real date."""


@dataclass(frozen=True, order=True)
class PartialDate:
    """A period of valid time. It counts as certainly happened from `end`, its last day."""

    start: date
    end: date
    precision: Precision

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """`text` as a period; parsed once per distinct text (they repeat a lot in folds)."""
        return _parse(text) if cls is PartialDate else cls._parse_uncached(text)

    @classmethod
    def _parse_uncached(cls, text: str) -> PartialDate:
        match = _PATTERN.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise InvalidPartialDate(
                f"{text!r} is not a date: use YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD"
            )
        year = int(match["year"])
        if year < 1:
            raise InvalidPartialDate(f"{text!r}: year 0000 does not exist")
        try:
            if match["quarter"]:
                first_month = 3 * (int(match["quarter"]) - 1) + 1
                last_month = first_month + 2
                return cls(
                    date(year, first_month, 1),
                    date(year, last_month, calendar.monthrange(year, last_month)[1]),
                    Precision.QUARTER,
                )
            if match["day"]:
                day = date(year, int(match["month"]), int(match["day"]))
                return cls(day, day, Precision.DAY)
            if match["month"]:
                month = int(match["month"])
                return cls(
                    date(year, month, 1),
                    date(year, month, calendar.monthrange(year, month)[1]),
                    Precision.MONTH,
                )
        except ValueError as error:
            raise InvalidPartialDate(f"{text!r} names no real date: {error}") from None
        return cls(date(year, 1, 1), date(year, 12, 31), Precision.YEAR)

    def __str__(self) -> str:
        if self.precision is Precision.DAY:
            return self.start.isoformat()
        if self.precision is Precision.MONTH:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        if self.precision is Precision.QUARTER:
            return f"{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year:04d}"


@functools.lru_cache(maxsize=8192)
def _parse(text: str) -> PartialDate:
    return PartialDate._parse_uncached(text)
