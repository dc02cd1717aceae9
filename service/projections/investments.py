"""Investments and commitments: exact Decimal totals per party and unit, by status and claim.

Each amount is a figure (`events.figures`): its chosen value is added to its status — firm,
contingent or paid — and its low and high ends, widened by the figures its sources reported, to
the range the claims span. Contingent money is never added to firm or paid money: `total` is
firm + paid. An undisclosed amount adds nothing; it is counted (`undisclosed`). Amounts in
different units, or rates with different periods, are never added together.

The accumulator keeps one bucket per confidence level, so that a reader can ask for the totals
of `min_confidence=confirmed` figures without folding again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    Context,
    Decimal,
    Inexact,
    InvalidOperation,
    Rounded,
)
from typing import Any

from events.catalog import CONFIDENCE_LEVELS
from events.envelope import RecordedEvent
from events.fields import canonical_amount
from events.figures import TRANCHE_STATUSES, claim_bounds

Section = dict[str, dict[str, Any]]
# One status's sums: [chosen, low, high, undisclosed count], amounts as canonical strings.
Sums = list[Any]
STATUS_FIELDS = ("firm", "contingent", "paid", "total", "low", "high", "undisclosed")


# With every digit a Decimal may have, an addition of finite amounts is exact: the same sum as
# `events.fields.add_amounts` (which sizes a context for each addition), in a quarter of the time
# (the projector adds three amounts per investment, and more per day summary). Rounding would be
# refused all the same (the traps).
_EXACT = Context(
    prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact, Rounded, InvalidOperation]
)


# How `canonical_amount` spells an amount ("-0" aside).
_CANONICAL = re.compile(r"-?(?:[1-9][0-9]*|0)(?:\.[0-9]*[1-9])?", re.ASCII)


def add_amounts(*amounts: str | Decimal) -> str:
    """The exact sum of amounts, canonical (`events.fields.canonical_amount`)."""
    # Most of a summary's sums add nothing to one kept sum (a headline renders ~20 per
    # currency, a 365-point series ~7,000): that sum, already canonical, is the answer.
    terms = [amount for amount in amounts if amount != "0"]
    if not terms:
        return "0"
    if len(terms) == 1:
        only = terms[0]
        if isinstance(only, str) and only != "-0" and _CANONICAL.fullmatch(only):
            return only
    total = Decimal(0)
    for amount in terms:
        total = _EXACT.add(total, amount if isinstance(amount, Decimal) else Decimal(amount))
    return canonical_amount(total)


def _empty_levels() -> dict[str, dict[str, Sums]]:
    return {
        level: {status: ["0", "0", "0", 0] for status in TRANCHE_STATUSES}
        for level in CONFIDENCE_LEVELS
    }


def contributions(
    data: dict[str, Any], sources: Iterable[dict[str, Any]]
) -> list[tuple[str, tuple[Decimal, Decimal, Decimal] | None]]:
    """What one investment or commitment adds: (status, (chosen, low, high) or None when
    undisclosed) per tranche, or for the whole amount when it has no tranches. The sources'
    own figures (same unit and period) widen the range of an amount without tranches."""
    tranches = data.get("tranches")
    if tranches:
        return [(t["status"], claim_bounds(t["amount"])) for t in tranches]
    figure = data["amount"]
    bounds = claim_bounds(figure)
    if bounds is not None:
        chosen, low, high = bounds
        for source in sources:
            reported = source.get("figure")
            if (
                not reported
                or reported.get("unit") != figure.get("unit")
                or reported.get("per") != figure.get("per")
            ):
                continue
            claimed = claim_bounds(reported)
            if claimed is not None:
                low, high = min(low, claimed[1]), max(high, claimed[2])
        bounds = (chosen, low, high)
    return [(data.get("status", "firm"), bounds)]


def _add_to(levels: dict[str, dict[str, Sums]], event: RecordedEvent) -> None:
    bucket = levels[event.confidence]
    for status, bounds in contributions(event.data, event.sources):
        sums = bucket[status]
        if bounds is None:
            sums[3] += 1
            continue
        chosen, low, high = bounds
        was_chosen, was_low, was_high = sums[0], sums[1], sums[2]
        sums[0] = add_amounts(was_chosen, chosen)  # exact at any size
        # Most figures are exact (chosen = low = high) and add to sums that are equal too (the
        # sums are canonical): one addition then, not three.
        same_low = low == chosen and was_low == was_chosen
        sums[1] = sums[0] if same_low else add_amounts(was_low, low)
        same_high = high == low and was_high == was_low
        sums[2] = sums[1] if same_high else add_amounts(was_high, high)


def apply_investment(investments: Section, commitments: Section, event: RecordedEvent) -> None:
    data = event.data
    unit = data["amount"].get("unit", "")
    if event.type == "InvestmentMade":
        entry = investments.setdefault(
            f"{data['investor']}|{unit}",
            {"investor": data["investor"], "currency": unit, "events": 0},
        )
    elif event.type == "CommitmentMade":
        per = data["amount"].get("per")
        entry = commitments.setdefault(
            f"{data['party']}|{data['kind']}|{unit}|{per or ''}",
            {"party": data["party"], "kind": data["kind"], "unit": unit, "per": per, "events": 0},
        )
    else:
        return
    levels = entry.get("levels")
    if levels is None:  # not built for every event only to be thrown away
        levels = entry["levels"] = _empty_levels()
    _add_to(levels, event)
    entry["events"] += 1


def _at_least(min_confidence: str | None) -> tuple[str, ...]:
    if min_confidence is None:
        return CONFIDENCE_LEVELS
    return CONFIDENCE_LEVELS[CONFIDENCE_LEVELS.index(min_confidence) :]


def _render_sums(levels: dict[str, dict[str, Sums]], min_confidence: str | None) -> dict[str, Any]:
    """firm, contingent, paid (chosen), total = firm + paid, its low–high, undisclosed count."""
    # A series renders this at every point (a 365-point one: 365 times per currency), and most
    # of the twelve sums per currency are "0": only the others are added.
    chosen: dict[str, list[str]] = {status: [] for status in TRANCHE_STATUSES}
    low: list[str] = []
    high: list[str] = []
    undisclosed = 0
    for level in _at_least(min_confidence):
        statuses = levels[level]
        for status in TRANCHE_STATUSES:
            sums = statuses[status]
            if sums[0] != "0":
                chosen[status].append(sums[0])
            if status != "contingent":
                if sums[1] != "0":
                    low.append(sums[1])
                if sums[2] != "0":
                    high.append(sums[2])
            undisclosed += sums[3]
    firm, paid = _sum_of(chosen["firm"]), _sum_of(chosen["paid"])
    return {
        "firm": firm,
        "contingent": _sum_of(chosen["contingent"]),
        "paid": paid,
        "total": _sum_of([amount for amount in (firm, paid) if amount != "0"]),
        "low": _sum_of(low),
        "high": _sum_of(high),
        "undisclosed": undisclosed,
    }


def _sum_of(sums: list[str]) -> str:
    """The exact sum of kept sums (canonical, none "0"): a lone one is its own sum."""
    if len(sums) == 1:
        return sums[0]
    return add_amounts(*sums) if sums else "0"


def _merge_levels(into: dict[str, dict[str, Sums]], levels: dict[str, dict[str, Sums]]) -> None:
    for level, statuses in levels.items():
        for status, sums in statuses.items():
            target = into[level][status]
            for index in range(3):
                if sums[index] != "0":  # sums are canonical: 0 + a sum is that sum
                    target[index] = (
                        sums[index]
                        if target[index] == "0"
                        else add_amounts(target[index], sums[index])
                    )
            target[3] += sums[3]


def investment_levels(investments: Section) -> dict[str, dict[str, dict[str, Sums]]]:
    """Per currency, the per-confidence sums of every investor (what a summary keeps)."""
    totals: dict[str, dict[str, dict[str, Sums]]] = {}
    for entry in investments.values():
        _merge_levels(totals.setdefault(entry["currency"], _empty_levels()), entry["levels"])
    return dict(sorted(totals.items()))


def render_levels(
    levels: dict[str, dict[str, dict[str, Sums]]], min_confidence: str | None = None
) -> dict[str, dict[str, Any]]:
    return {code: _render_sums(sums, min_confidence) for code, sums in sorted(levels.items())}


def investment_totals(
    investments: Section, min_confidence: str | None = None
) -> dict[str, dict[str, Any]]:
    """Per currency, summed across investors: firm, contingent, paid, total (firm + paid),
    the low–high range of the total across claims, and how many amounts were undisclosed."""
    return render_levels(investment_levels(investments), min_confidence)


def render_investments(
    investments: Section, min_confidence: str | None = None
) -> list[dict[str, Any]]:
    return [
        {"investor": entry["investor"], "currency": entry["currency"]}
        | _render_sums(entry["levels"], min_confidence)
        for _, entry in sorted(investments.items())
    ]


def render_commitments(
    commitments: Section, min_confidence: str | None = None
) -> list[dict[str, Any]]:
    return [
        {
            "party": entry["party"],
            "kind": entry["kind"],
            "unit": entry["unit"],
            "per": entry["per"],
        }
        | _render_sums(entry["levels"], min_confidence)
        for _, entry in sorted(commitments.items())
    ]


def merge_investments(sections: list[Section]) -> Section:
    """Investments of several partnerships, per investor and currency."""
    merged: Section = {}
    for section in sections:
        for key, entry in section.items():
            total = merged.setdefault(
                key,
                {
                    "investor": entry["investor"],
                    "currency": entry["currency"],
                    "events": 0,
                    "levels": _empty_levels(),
                },
            )
            _merge_levels(total["levels"], entry["levels"])
            total["events"] += entry["events"]
    return merged
