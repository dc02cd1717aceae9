"""Figures as claims: one vocabulary for every reported amount or quantity.

A figure says what a source (or the analyst) claims, no more: an exact value, an approximate one
("about $10B"), a range ("$300M–$550M"), a ceiling ("up to $6B"), a floor ("over $20B"), or that
the amount was not disclosed. Its unit is an ISO 4217 currency or one of `QUANTITY_UNITS`; `per`
makes it a rate ("$2B a year", with the `term` it runs for). Values are decimal strings, never
floats.

`claim_bounds` turns a figure into the (chosen, low, high) triple the totals add up; an
undisclosed figure has none: it is counted, never guessed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_dump, validate, validates_schema

from events.fields import Amount, PartialDateField, is_currency_code

FIGURE_KINDS = ("exact", "approximate", "range", "up_to", "at_least", "undisclosed")
QUANTITY_UNITS = ("shares", "percent", "GW", "MW")
RATE_PERIODS = ("year", "quarter", "month")
TRANCHE_STATUSES = ("firm", "contingent", "paid")
_VALUED = ("exact", "approximate", "up_to", "at_least")


def is_currency(unit: str) -> bool:
    return unit.isupper() and is_currency_code(unit)


class Unit(fields.String):
    """An ISO 4217 currency code (USD, EUR, …) or a quantity unit (shares, percent, GW, MW)."""

    default_error_messages = {
        "unknown": "Not an ISO 4217 currency code nor one of "
        + ", ".join(QUANTITY_UNITS)
        + ": {unit!r}."
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        unit = super()._deserialize(value, attr, data, **kwargs)
        if unit not in QUANTITY_UNITS and not is_currency(unit):
            raise self.make_error("unknown", unit=unit)
        return unit


class NonNegativeAmount(Amount):
    """Like `Amount`, but zero is allowed (the low end of a range may be nothing)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, str | int) and not isinstance(value, bool):
            try:
                if Decimal(str(value).strip()) == 0:
                    return Decimal(0)
            except ArithmeticError:
                pass
        return super()._deserialize(value, attr, data, **kwargs)


class FigureSchema(Schema):
    """A reported figure: exact, approximate, a range (low–high), a ceiling (up to) or
    undisclosed; in a currency or a quantity unit; optionally a rate per period."""

    kind = fields.String(
        required=True,
        validate=validate.OneOf(FIGURE_KINDS),
        metadata={
            "description": "exact, approximate ('about'), range, up_to ('up to') or undisclosed."
        },
    )
    value = Amount(
        metadata={
            "description": "Decimal string. Required for exact, approximate and up_to; for a "
            "range, optionally the analyst's point within it."
        }
    )
    low = NonNegativeAmount(metadata={"description": "A range's low end (decimal string)."})
    high = Amount(metadata={"description": "A range's high end (decimal string)."})
    unit = Unit(
        required=True,
        metadata={"description": "ISO 4217 code (USD, EUR, …) or shares, percent, GW, MW."},
    )
    per = fields.String(
        validate=validate.OneOf(RATE_PERIODS),
        metadata={"description": "Makes it a rate: year, quarter or month ('$2B a year')."},
    )
    term = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "How long a rate runs, e.g. '5 years' or '2025–2030'."},
    )

    @validates_schema
    def _shape(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind = data.get("kind")
        errors: dict[str, list[str]] = {}
        if kind in _VALUED:
            if "value" not in data:
                errors["value"] = [f"A figure of kind {kind!r} needs a value."]
            for bound in ("low", "high"):
                if bound in data:
                    errors[bound] = [f"Only a range has {bound!r}; this one is {kind!r}."]
        elif kind == "range":
            for bound in ("low", "high"):
                if bound not in data:
                    errors[bound] = [f"A range needs {bound!r}."]
            low, high = data.get("low"), data.get("high")
            if low is not None and high is not None:
                if low >= high:
                    errors["low"] = ["A range's low must be below its high."]
                elif "value" in data and not low <= data["value"] <= high:
                    errors["value"] = ["A range's value must lie between its low and high."]
        elif kind == "undisclosed":
            for name in ("value", "low", "high"):
                if name in data:
                    errors[name] = ["An undisclosed figure has no value: leave it out."]
        if data.get("unit") == "percent":
            for name in ("value", "low", "high"):
                if name in data and data[name] > 100:
                    errors.setdefault(name, []).append("A percentage is at most 100.")
        if data.get("unit") == "shares":
            for name in ("value", "low", "high"):
                if name in data and data[name] != data[name].to_integral_value():
                    errors.setdefault(name, []).append("A number of shares is a whole number.")
        if "term" in data and "per" not in data:
            errors["term"] = ["A term belongs to a rate: give 'per' too."]
        if errors:
            raise ValidationError(errors)  # type: ignore[arg-type]

    @post_dump
    def _drop_empty(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {key: value for key, value in data.items() if value is not None}


def figure_field(description: str, *, required: bool = False) -> fields.Nested:
    return fields.Nested(FigureSchema, required=required, metadata={"description": description})


class TrancheSchema(Schema):
    """A part of an investment or commitment: firm, contingent (on a condition) or paid."""

    status = fields.String(
        required=True,
        validate=validate.OneOf(TRANCHE_STATUSES),
        metadata={"description": "firm (promised), contingent (on `condition`) or paid."},
    )
    amount = figure_field("This tranche's figure, in the event's unit.", required=True)
    condition = fields.String(
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "What a contingent tranche depends on (required then)."},
    )
    expected_on = PartialDateField(
        metadata={"description": "When it is due or expected: YYYY, YYYY-Qn, YYYY-MM, YYYY-MM-DD."}
    )
    label = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "A name, e.g. 'option' or 'second tranche'."},
    )

    @validates_schema
    def _condition(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("status") == "contingent" and not data.get("condition"):
            raise ValidationError("Say what a contingent tranche depends on.", "condition")

    @post_dump
    def _drop_empty(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {key: value for key, value in data.items() if value is not None}


def claim_bounds(figure: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal] | None:
    """(chosen, low, high) of a stored figure; None when undisclosed (count it, don't guess).

    exact and approximate: the value, both ends. A range: its value if the analyst chose one,
    else its low end (what is certain); low and high as given. up_to: the ceiling is chosen
    and is the high end; the low end is nothing (a ceiling promises no floor). at_least: the
    floor is chosen and both ends (nothing above it is claimed, so nothing is added).
    """
    kind = figure["kind"]
    if kind == "undisclosed":
        return None
    if kind == "range":
        low, high = Decimal(figure["low"]), Decimal(figure["high"])
        return (Decimal(figure.get("value", figure["low"])), low, high)
    value = Decimal(figure["value"])
    if kind == "up_to":
        return (value, Decimal(0), value)
    return (value, value, value)


def figure_text(figure: dict[str, Any]) -> str:
    """A figure as a person reads it: 'about USD 10000000000', 'up to 6 GW per year'."""
    unit = figure.get("unit", "")
    rate = f" per {figure['per']}" if figure.get("per") else ""
    term = f" for {figure['term']}" if figure.get("term") else ""
    kind = figure["kind"]
    if kind == "undisclosed":
        return f"undisclosed ({unit})"
    if kind == "range":
        return f"{unit} {figure['low']}–{figure['high']}{rate}{term}"
    prefix = {"approximate": "about ", "up_to": "up to ", "at_least": "at least ", "exact": ""}[
        kind
    ]
    return f"{prefix}{unit} {figure['value']}{rate}{term}"
