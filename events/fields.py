"""The marshmallow fields the catalog is written in: amounts, currencies, partial dates, slugs."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from marshmallow import ValidationError, fields

from events.dates import InvalidPartialDate, PartialDate

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_AMOUNT_DIGITS = 30


class Amount(fields.Field[Decimal]):
    """A positive decimal amount, given as a string ("13000000000", "1.5"); stored canonically."""

    default_error_messages = {
        "invalid": 'Not a decimal amount: give a string such as "1000000.50".',
        "positive": "Must be greater than zero.",
        "too_large": f"Must have at most {MAX_AMOUNT_DIGITS} digits.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.make_error("invalid")
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.make_error("invalid") from None
        if not amount.is_finite():
            raise self.make_error("invalid")
        if amount <= 0:
            raise self.make_error("positive")
        if len(amount.as_tuple().digits) > MAX_AMOUNT_DIGITS:
            raise self.make_error("too_large")
        return amount

    def _serialize(self, value: Decimal | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else canonical_amount(value)


def canonical_amount(value: Decimal) -> str:
    """`Decimal("1.50E+3")` -> `"1500"`: one spelling per amount, so hashes and sums agree."""
    return format(value.normalize(), "f")


class Currency(fields.String):
    """An ISO 4217 alphabetic code, upper case."""

    default_error_messages = {"unknown": "Not an ISO 4217 currency code: {code!r}."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        code = super()._deserialize(value, attr, data, **kwargs)
        if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
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
        if not SLUG_PATTERN.match(slug) or len(slug) > 80:
            raise self.make_error("slug")
        return slug
