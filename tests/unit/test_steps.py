from datetime import date

import pytest

from service.steps import MAX_POINTS, Step, TooManyPoints, steps


def test_daily_points_include_both_ends():
    assert steps(date(2024, 2, 27), date(2024, 3, 1), Step.DAY) == [
        date(2024, 2, 27),
        date(2024, 2, 28),
        date(2024, 2, 29),
        date(2024, 3, 1),
    ]


def test_monthly_points_fall_on_the_first_of_each_month_after_the_start():
    assert steps(date(2023, 11, 20), date(2024, 2, 1), Step.MONTH) == [
        date(2023, 11, 20),
        date(2023, 12, 1),
        date(2024, 1, 1),
        date(2024, 2, 1),
    ]


def test_quarterly_and_weekly_points():
    assert steps(date(2023, 5, 5), date(2024, 1, 1), Step.QUARTER) == [
        date(2023, 5, 5),
        date(2023, 7, 1),
        date(2023, 10, 1),
        date(2024, 1, 1),
    ]
    weekly = steps(date(2024, 1, 1), date(2024, 12, 31), Step.WEEK)
    assert len(weekly) == 54
    assert weekly[-2:] == [date(2024, 12, 30), date(2024, 12, 31)]


def test_the_last_point_is_the_end_itself():
    assert steps(date(2019, 7, 22), date(2023, 11, 20), Step.MONTH)[-2:] == [
        date(2023, 11, 1),
        date(2023, 11, 20),
    ]
    assert steps(date(2023, 11, 20), date(2023, 11, 20), Step.QUARTER) == [date(2023, 11, 20)]


def test_a_series_of_more_points_than_allowed_is_refused():
    with pytest.raises(TooManyPoints):
        steps(date(1990, 1, 1), date(2020, 1, 1), Step.DAY)
    assert len(steps(date(2000, 1, 1), date(2000, 1, 1), Step.DAY)) == 1
    assert MAX_POINTS >= 365 * 10
