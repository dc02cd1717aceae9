"""Points in time for a series: every day, week, month or quarter between two dates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from enum import StrEnum

from service.errors import TooManyPoints


class Step(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


MAX_POINTS = 5000

__all__ = ["MAX_POINTS", "Step", "TooManyPoints", "steps"]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def steps(start: date, end: date, step: Step) -> list[date]:
    """`start`, then each step after it, then `end` itself: a series begins where it is asked
    to and its last point is the cut (an `as_of` of 2023-11-20 ends at 2023-11-20, not at the
    1st of that month).

    Months and quarters fall on the first day of the period after `start`'s, so that a monthly
    series reads "as of the first of each month".
    """
    points = list(_walk(start, end, step))
    if points and points[-1] < end:
        points.append(end)
    if len(points) > MAX_POINTS:
        raise TooManyPoints(f"{len(points)} points; at most {MAX_POINTS} in one series")
    return points


def _walk(start: date, end: date, step: Step) -> Iterator[date]:
    point = start
    count = 0
    while point <= end and count <= MAX_POINTS:
        yield point
        count += 1
        if step is Step.DAY:
            point += timedelta(days=1)
        elif step is Step.WEEK:
            point += timedelta(weeks=1)
        elif step is Step.MONTH:
            point = _add_months(point.replace(day=1), 1)
        else:
            quarter_start = point.replace(month=3 * ((point.month - 1) // 3) + 1, day=1)
            point = _add_months(quarter_start, 3)
