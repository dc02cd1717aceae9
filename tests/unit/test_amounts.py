"""Amounts are exact: one grammar, nothing rounded, nothing silently rewritten to another value,
and totals exact at any accepted size (issue 10, item 4)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.dates import PartialDate
from events.envelope import RecordedEvent, parse_event
from events.errors import InvalidEvent
from events.fields import (
    MAX_AMOUNT_FRACTION_DIGITS,
    MAX_AMOUNT_INTEGER_DIGITS,
    add_amounts,
    canonical_amount,
)
from service.projections.investments import add_amounts as projected_sum
from service.projections.investments import apply_investment, investment_totals
from tests.builders import payload

LARGEST = "9" * MAX_AMOUNT_INTEGER_DIGITS + "." + "9" * MAX_AMOUNT_FRACTION_DIGITS


def amount_of(text: object) -> str:
    """The value stored for a (version-1 style) amount: the figure's `value`."""
    return str(parse_event(payload("InvestmentMade", amount=text)).data["amount"]["value"])


@pytest.mark.parametrize(
    "text",
    [
        "123456789012345678901234567890",  # 30 digits: was stored as …567900
        "1000000000.000000000000000001",  # 18 fraction digits: was stored as "1000000000"
        "0.000000000000000001",
        LARGEST,
    ],
)
def test_an_amount_within_the_grammar_is_stored_digit_for_digit(text: str) -> None:
    assert amount_of(text) == text


def test_the_same_value_has_one_spelling() -> None:
    assert amount_of("0012.50") == "12.5"
    assert amount_of(12) == "12"


@pytest.mark.parametrize(
    "text",
    [
        "1e400",  # was a 401-digit amount
        "1e999999999",  # was a 500
        "1e-999999999",  # was stored as "0"
        "1.30E+10",
        "1000000000.0000000000000000001",  # 19 fraction digits: was rounded away
        "1" * (MAX_AMOUNT_INTEGER_DIGITS + 1),
        10**MAX_AMOUNT_INTEGER_DIGITS,
        " 5",
        "5 ",
        "5.",
        ".5",
        "+5",
        "-5",
        "0",
        "0.0",
        "1,000",
        "NaN",
        "Infinity",
        "٣",  # an Arabic-Indic digit
        "５",  # a full-width digit
        "",
        1.5,
        True,
    ],
)
def test_anything_else_is_refused_naming_the_amount(text: object) -> None:
    with pytest.raises(InvalidEvent) as refused:
        parse_event(payload("InvestmentMade", amount=text))
    assert "amount" in refused.value.messages["data"]


def test_the_canonical_spelling_never_rounds() -> None:
    huge = Decimal("1" * 60 + "." + "1" * 30)
    assert canonical_amount(huge) == "1" * 60 + "." + "1" * 30


def test_totals_are_exact_at_the_largest_accepted_amounts() -> None:
    investments: dict[str, dict[str, Any]] = {}
    for name in ("a", "b", "c"):
        draft = parse_event(payload("InvestmentMade", investor=name, amount=LARGEST, status="paid"))
        event = RecordedEvent(
            id=name,
            type=draft.type,
            partnership="p",
            occurred_on=PartialDate.parse("2024"),
            summary="s",
            sources=[],
            confidence="reported",
            data=draft.data,
            version=1,
            position=1,
            recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
            hash="",
        )
        apply_investment(investments, {}, event)
    totals = investment_totals(investments)["USD"]
    assert (
        totals["paid"]
        == totals["total"]
        == totals["high"]
        == ("2999999999999999999999999999999.999999999999999997")
    )


def test_totals_stay_exact_with_amounts_stored_before_the_grammar() -> None:
    """A store may hold amounts the old parser let through (`1e400` stored as 401 digits)."""
    huge = "1" + "0" * 400
    assert add_amounts(huge, "0.000000000000000001") == huge + ".000000000000000001"
    assert add_amounts("123456789012345678901234567890", "1") == "123456789012345678901234567891"


@given(
    st.lists(
        st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
            lambda d: abs(d.adjusted()) < 60
        )
        | st.from_regex(r"\A[0-9]{1,40}(\.[0-9]{1,20})?\Z"),
        min_size=1,
        max_size=5,
    )
)
def test_the_projections_sum_is_the_exact_sum(amounts: list[Any]) -> None:
    """The projector's adder (one context wide enough for any Decimal) gives the sum
    `add_amounts` gives (a context sized for each addition)."""
    assert projected_sum(*amounts) == add_amounts(*amounts)
