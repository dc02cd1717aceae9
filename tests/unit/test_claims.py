"""Properties of the investment totals over any mix of figures, tranches, sources and
confidence levels: the claim range brackets the chosen total, contingent money never leaks into
firm money, and a higher `min_confidence` never gives a larger total."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from events.catalog import CONFIDENCE_LEVELS
from events.dates import PartialDate
from events.envelope import RecordedEvent
from events.fields import canonical_amount
from service.projections.investments import (
    apply_investment,
    contributions,
    investment_levels,
    investment_totals,
    merge_investments,
    render_investments,
    render_levels,
)

CONFIDENCE = ("rumored", "reported", "confirmed")
AMOUNTS = ("firm", "contingent", "paid", "total", "low", "high")
amounts = st.decimals(min_value=1, max_value=10**12, places=2).map(lambda d: format(d, "f"))
units = st.sampled_from(("USD", "EUR"))


@st.composite
def figures(draw, unit):
    kind = draw(
        st.sampled_from(("exact", "approximate", "range", "up_to", "at_least", "undisclosed"))
    )
    if kind == "undisclosed":
        return {"kind": kind, "unit": unit}
    if kind == "range":
        low, high = sorted(
            draw(st.lists(amounts, min_size=2, max_size=2, unique=True)), key=Decimal
        )
        figure = {"kind": kind, "low": low, "high": high, "unit": unit}
        if draw(st.booleans()):
            figure["value"] = low
        return figure
    return {"kind": kind, "value": draw(amounts), "unit": unit}


@st.composite
def investments(draw):
    unit = draw(units)
    data = {"investor": draw(st.sampled_from(("Acme", "Globex"))), "amount": draw(figures(unit))}
    if draw(st.booleans()):
        data["tranches"] = [
            {"status": status, "amount": draw(figures(unit))}
            | ({"condition": "option"} if status == "contingent" else {})
            for status in draw(
                st.lists(st.sampled_from(("firm", "contingent", "paid")), min_size=1, max_size=3)
            )
        ]
    else:
        data["status"] = draw(st.sampled_from(("firm", "contingent", "paid")))
    sources = [
        {"title": "s", "figure": draw(figures(unit))} for _ in range(draw(st.integers(0, 3)))
    ]
    return RecordedEvent(
        id=str(uuid.uuid4()),
        type="InvestmentMade",
        partnership=draw(st.sampled_from(("a-b", "c-d"))),
        occurred_on=PartialDate.parse("2024"),
        summary="x",
        sources=sources,
        confidence=draw(st.sampled_from(CONFIDENCE)),
        data=data,
        version=1,
        position=1,
        recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
        hash="",
    )


def fold(events):
    section: dict = {}
    for event in events:
        apply_investment(section, {}, event)
    return section


def money(totals):
    return {
        code: {k: Decimal(v) for k, v in sums.items() if k in AMOUNTS} | {"n": sums["undisclosed"]}
        for code, sums in totals.items()
    }


@settings(max_examples=200, deadline=None)
@given(st.lists(investments(), max_size=12), st.sampled_from((None, *CONFIDENCE)))
def test_the_claim_range_always_brackets_the_chosen_total(events, min_confidence):
    section = fold(events)
    rows = list(investment_totals(section, min_confidence).values())
    rows += render_investments(section, min_confidence)
    for sums in money({str(i): row for i, row in enumerate(rows)}).values():
        assert sums["low"] <= sums["total"] <= sums["high"]


@settings(max_examples=200, deadline=None)
@given(st.lists(investments(), max_size=12))
def test_contingent_money_never_leaks_into_firm_or_paid(events):
    section = fold(events)
    totals = money(investment_totals(section))
    for sums in totals.values():
        assert sums["total"] == sums["firm"] + sums["paid"]
    without_contingent = [
        e for e in events if not ("tranches" in e.data or e.data["status"] == "contingent")
    ]
    contingent_only = [e for e in events if e.data.get("status") == "contingent"]
    base = money(investment_totals(fold(without_contingent)))
    with_contingent = money(investment_totals(fold(without_contingent + contingent_only)))
    for code, sums in with_contingent.items():
        before = base.get(code, {"firm": 0, "paid": 0, "total": 0, "low": 0, "high": 0})
        for key in ("firm", "paid", "total", "low", "high"):
            assert sums[key] == before[key]


@settings(max_examples=200, deadline=None)
@given(st.lists(investments(), max_size=12))
def test_a_higher_min_confidence_never_gives_a_larger_total(events):
    section = fold(events)
    answers = [money(investment_totals(section, level)) for level in (None, *CONFIDENCE)]
    for looser, stricter in itertools.pairwise(answers):
        for code, sums in stricter.items():
            for key, value in sums.items():
                assert value <= looser[code][key]


@settings(max_examples=100, deadline=None)
@given(st.lists(investments(), max_size=12))
def test_merging_partnerships_adds_up_to_the_same_totals(events):
    by_partnership: dict = {}
    for event in events:
        by_partnership.setdefault(event.partnership, []).append(event)
    merged = merge_investments([fold(group) for group in by_partnership.values()])
    assert investment_totals(merged) == investment_totals(fold(events))


def test_an_undisclosed_amount_is_counted_not_guessed():
    section = fold(
        [
            RecordedEvent(
                id=str(uuid.uuid4()),
                type="InvestmentMade",
                partnership="a-b",
                occurred_on=PartialDate.parse("2024"),
                summary="x",
                sources=[],
                confidence="reported",
                data={
                    "investor": "Acme",
                    "amount": {"kind": "undisclosed", "unit": "USD"},
                    "status": "paid",
                },
                version=1,
                position=1,
                recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
                hash="",
            )
        ]
    )
    assert investment_totals(section)["USD"] == {
        "firm": "0",
        "contingent": "0",
        "paid": "0",
        "total": "0",
        "low": "0",
        "high": "0",
        "undisclosed": 1,
    }


@settings(max_examples=200, deadline=None)
@given(st.lists(investments(), max_size=12))
def test_each_level_sums_every_claims_chosen_low_and_high_end(events):
    """The fold adds an exact figure once into sums that are equal (chosen = low = high):
    the sums are those of each end added on its own."""
    expected: dict = {}
    for event in events:
        entry = f"{event.data['investor']}|{event.data['amount'].get('unit', '')}"
        for status, bounds in contributions(event.data, event.sources):
            sums = expected.setdefault((entry, event.confidence, status), [Decimal(0)] * 3 + [0])
            if bounds is None:
                sums[3] += 1
            else:
                sums[:3] = [total + end for total, end in zip(sums[:3], bounds, strict=True)]
    folded = {
        (entry, level, status): [Decimal(s) for s in sums[:3]] + [sums[3]]
        for entry, value in fold(events).items()
        for level, statuses in value["levels"].items()
        for status, sums in statuses.items()
    }
    for key, sums in folded.items():
        assert sums == expected.get(key, [Decimal(0)] * 3 + [0])


@settings(max_examples=200, deadline=None)
@given(st.lists(investments(), max_size=12), st.sampled_from((None, *CONFIDENCE)))
def test_rendered_totals_are_the_canonical_sums_of_the_levels_counted(events, min_confidence):
    """What a headline or a series point shows of a summary's levels: per currency, each
    status's chosen sums over the levels at or above `min_confidence`, total = firm + paid,
    low and high over firm and paid, spelled canonically."""
    levels = investment_levels(fold(events))
    counted = CONFIDENCE_LEVELS[CONFIDENCE_LEVELS.index(min_confidence or CONFIDENCE_LEVELS[0]) :]
    for code, rendered in render_levels(levels, min_confidence).items():

        def summed(statuses: tuple[str, ...], end: int, code: str = code) -> Decimal:
            return sum(
                (Decimal(levels[code][level][s][end]) for level in counted for s in statuses),
                Decimal(0),
            )

        expected = {
            "firm": summed(("firm",), 0),
            "contingent": summed(("contingent",), 0),
            "paid": summed(("paid",), 0),
            "total": summed(("firm", "paid"), 0),
            "low": summed(("firm", "paid"), 1),
            "high": summed(("firm", "paid"), 2),
        }
        assert {key: Decimal(rendered[key]) for key in expected} == expected
        for key in expected:
            assert rendered[key] == canonical_amount(Decimal(rendered[key]))
        assert rendered["undisclosed"] == sum(
            levels[code][level][s][3] for level in counted for s in ("firm", "contingent", "paid")
        )
