"""Investments and commitments: Decimal totals per party and currency, committed and paid.

Amounts in different currencies are never added together.
"""

from __future__ import annotations

from typing import Any

from events.envelope import RecordedEvent
from events.fields import add_amounts

Section = dict[str, dict[str, Any]]


def apply_investment(investments: Section, commitments: Section, event: RecordedEvent) -> None:
    data = event.data
    if event.type == "InvestmentMade":
        entry = investments.setdefault(
            f"{data['investor']}|{data['currency']}",
            {
                "investor": data["investor"],
                "currency": data["currency"],
                "committed": "0",
                "paid": "0",
                "events": 0,
            },
        )
        entry[data["status"]] = _add(entry[data["status"]], data["amount"])
        entry["events"] += 1
    elif event.type == "CommitmentMade":
        entry = commitments.setdefault(
            f"{data['party']}|{data['kind']}|{data['currency']}",
            {
                "party": data["party"],
                "kind": data["kind"],
                "currency": data["currency"],
                "amount": "0",
                "events": 0,
            },
        )
        entry["amount"] = _add(entry["amount"], data["amount"])
        entry["events"] += 1


def _add(total: str, amount: str) -> str:
    return add_amounts(total, amount)  # exact at any size: never rounded to a context


def investment_totals(investments: Section) -> dict[str, dict[str, str]]:
    """Per currency: committed and paid, summed across investors."""
    totals: dict[str, dict[str, str]] = {}
    for entry in investments.values():
        currency = totals.setdefault(entry["currency"], {"committed": "0", "paid": "0"})
        currency["committed"] = _add(currency["committed"], entry["committed"])
        currency["paid"] = _add(currency["paid"], entry["paid"])
    return dict(sorted(totals.items()))


def render_investments(investments: Section) -> list[dict[str, Any]]:
    return [
        {key: entry[key] for key in ("investor", "currency", "committed", "paid")}
        for _, entry in sorted(investments.items())
    ]


def render_commitments(commitments: Section) -> list[dict[str, Any]]:
    return [
        {key: entry[key] for key in ("party", "kind", "currency", "amount")}
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
                    "committed": "0",
                    "paid": "0",
                    "events": 0,
                },
            )
            total["committed"] = _add(total["committed"], entry["committed"])
            total["paid"] = _add(total["paid"], entry["paid"])
            total["events"] += entry["events"]
    return merged
