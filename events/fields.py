"""The marshmallow fields the catalog is written in: amounts, currencies, partial dates, slugs."""

from __future__ import annotations

import re
from decimal import Context, Decimal, Inexact, InvalidOperation, Rounded
from functools import cache
from typing import Any

import pycountry
from marshmallow import ValidationError, fields, validate

from events.dates import InvalidPartialDate, PartialDate

# Matched whole (`fullmatch`): a `$` would let a trailing newline through.
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# The amount grammar: ASCII digits, at most one point with digits on both sides, no sign, no
# exponent, no spaces. At most 30 digits before the point (a thousand billion billion, in any
# currency's main unit) and 18 after (finer than any currency's minor unit, and than wei).
MAX_AMOUNT_INTEGER_DIGITS = 30
MAX_AMOUNT_FRACTION_DIGITS = 18
AMOUNT_PATTERN = re.compile(
    rf"(?P<integer>[0-9]{{1,{MAX_AMOUNT_INTEGER_DIGITS}}})"
    rf"(?:\.(?P<fraction>[0-9]{{1,{MAX_AMOUNT_FRACTION_DIGITS}}}))?"
)


class Amount(fields.Field[Decimal]):
    """A positive decimal amount, given as a string ("13000000000", "1.5"); stored canonically
    (`"1.50"` as `"1.5"`, the same value). Anything outside the grammar is refused, never rounded:
    at most 30 digits before the point and 18 after, no exponent, no sign, no spaces."""

    default_error_messages = {
        "invalid": 'Not a decimal amount: give a string such as "1000000.50" (digits, at most '
        f"one point; at most {MAX_AMOUNT_INTEGER_DIGITS} digits before it and "
        f"{MAX_AMOUNT_FRACTION_DIGITS} after; no exponent, sign or spaces).",
        "positive": "Must be greater than zero.",
        "too_large": f"Must have at most {MAX_AMOUNT_INTEGER_DIGITS} digits before the point.",
        "too_precise": f"Must have at most {MAX_AMOUNT_FRACTION_DIGITS} digits after the point.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.make_error("invalid")
        text = str(value)
        if isinstance(value, int) and value > 0 and len(text) > MAX_AMOUNT_INTEGER_DIGITS:
            raise self.make_error("too_large")
        match = AMOUNT_PATTERN.fullmatch(text) if text.isascii() else None
        if match is None:
            raise self.make_error(_why_not_an_amount(text))
        amount = Decimal(text)  # exact: construction from a string never rounds
        if amount <= 0:
            raise self.make_error("positive")
        return amount

    def _serialize(self, value: Decimal | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else canonical_amount(value)


def _why_not_an_amount(text: str) -> str:
    """The most helpful of the error messages for a text outside the grammar."""
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text, flags=re.ASCII):
        integer, _, fraction = text.partition(".")
        if len(integer) > MAX_AMOUNT_INTEGER_DIGITS:
            return "too_large"
        if len(fraction) > MAX_AMOUNT_FRACTION_DIGITS:
            return "too_precise"
    return "invalid"


def canonical_amount(value: Decimal) -> str:
    """`Decimal("1500.50")` -> `"1500.5"`: one spelling per amount, so hashes and sums agree.

    Exact at any size (the value's own digits, trailing fractional zeros dropped): no context
    precision is involved, so nothing is rounded."""
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    sign, text = ("-", format(-value, "f")) if value < 0 else ("", format(value, "f"))
    integer, _, fraction = text.partition(".")
    integer, fraction = integer.lstrip("0") or "0", fraction.rstrip("0")
    return sign + (f"{integer}.{fraction}" if fraction else integer)


def add_amounts(*amounts: str | Decimal) -> str:
    """The exact sum of amounts, canonical: each addition runs with as many digits as its
    operands span (amounts stored before the grammar was strict included), and rounding is
    refused rather than done."""
    total = Decimal(0)
    for amount in amounts:
        total = _exact_add(total, Decimal(amount))
    return canonical_amount(total)


def _exact_add(left: Decimal, right: Decimal) -> Decimal:
    if not (left.is_finite() and right.is_finite()):
        raise ValueError(f"not finite amounts: {left}, {right}")
    top = max(left.adjusted(), right.adjusted()) + 2  # room for a carry
    bottom = min(int(left.as_tuple().exponent), int(right.as_tuple().exponent), 0)
    context = Context(prec=max(1, top - bottom), traps=[Inexact, Rounded, InvalidOperation])
    return context.add(left, right)


class WholeMatch(validate.Regexp):
    """`validate.Regexp` matched against the whole value (`fullmatch`): with `match` and a `$`
    a trailing newline gets through. The pattern keeps its `^…$`, so the documents that show it
    (OpenAPI, the catalog) read it as JSON Schema does: the whole string."""

    def __call__(self, value: Any) -> Any:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


@cache
def _currency_codes() -> frozenset[str]:
    """ISO 4217's alphabetic codes, lower case: pycountry's `currencies.get` compares them so
    (case-insensitively), but through a lazy-loading wrapper on every call; a set answers the
    same at the cost of a hash."""
    return frozenset(currency.alpha_3.lower() for currency in pycountry.currencies)


def is_currency_code(code: str) -> bool:
    """Whether ISO 4217 has this alphabetic code, in any case (as pycountry reads it)."""
    return len(code) == 3 and code.lower() in _currency_codes()


class Currency(fields.String):
    """An ISO 4217 alphabetic code, upper case."""

    default_error_messages = {"unknown": "Not an ISO 4217 currency code: {code!r}."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        code = super()._deserialize(value, attr, data, **kwargs)
        if not is_currency_code(code):
            raise self.make_error("unknown", code=code)
        return code


class PartialDateField(fields.Field[PartialDate]):
    """`YYYY`, `YYYY-Qn`, `YYYY-MM` or `YYYY-MM-DD`."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> PartialDate:
        if not isinstance(value, str):
            raise ValidationError("Not a date: use YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD.")
        try:
            return PartialDate.parse(value)
        except InvalidPartialDate as error:
            raise ValidationError(str(error)) from None

    def _serialize(
        self, value: PartialDate | None, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        return None if value is None else str(value)


class Slug(fields.String):
    """Lower-case words joined by hyphens: `openai-microsoft`."""

    default_error_messages = {
        "slug": "Use lower-case letters, digits and single hyphens, e.g. 'openai-microsoft'."
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        slug = super()._deserialize(value, attr, data, **kwargs)
        if len(slug) > 80 or not SLUG_PATTERN.fullmatch(slug):
            raise self.make_error("slug")
        return slug
