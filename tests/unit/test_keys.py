"""The view's keys: recording times as fixed-width UTC text, in time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from service.view.keys import stamp

moments = st.datetimes(
    min_value=datetime(1000, 1, 2), timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))])
)


@given(moments)
def test_a_stamp_is_the_utc_time_to_the_microsecond(moment: datetime) -> None:
    assert stamp(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@given(moments, moments)
def test_stamps_sort_as_the_times_they_stand_for(first: datetime, second: datetime) -> None:
    assert (stamp(first) < stamp(second)) == (first < second)


def test_a_stamp_has_fixed_width_whatever_the_time() -> None:
    whole_second = datetime(2024, 1, 5, 9, 30, tzinfo=UTC)
    assert stamp(whole_second) == "2024-01-05T09:30:00.000000Z"
    assert len(stamp(datetime(999, 1, 1, tzinfo=UTC))) == len(stamp(whole_second))
