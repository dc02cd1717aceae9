from datetime import date

import pytest

from events.dates import InvalidPartialDate, PartialDate, Precision


@pytest.mark.parametrize(
    ("text", "start", "end", "precision"),
    [
        ("2019", date(2019, 1, 1), date(2019, 12, 31), Precision.YEAR),
        ("2023-Q4", date(2023, 10, 1), date(2023, 12, 31), Precision.QUARTER),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), Precision.MONTH),
        ("2023-11-20", date(2023, 11, 20), date(2023, 11, 20), Precision.DAY),
    ],
)
def test_a_partial_date_counts_from_the_last_day_of_its_period(text, start, end, precision):
    parsed = PartialDate.parse(text)
    assert (parsed.start, parsed.end, parsed.precision) == (start, end, precision)
    assert str(parsed) == text


@pytest.mark.parametrize(
    "text", ["", "19", "2019-13", "2019-Q5", "2023-02-30", "2019/07", "2019-7", "0000"]
)
def test_text_that_is_not_a_real_partial_date_is_refused(text):
    with pytest.raises(InvalidPartialDate):
        PartialDate.parse(text)
