"""What the benchmark appends: realistic events, validated once and reused."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from events.envelope import EventDraft, parse_event

START = date(2000, 1, 1)


def formed_payload(slug: str) -> dict[str, Any]:
    return {
        "type": "PartnershipFormed",
        "occurred_on": START.isoformat(),
        "summary": f"{slug} formed",
        "confidence": "confirmed",
        "data": {"name": slug, "parties": ["Alpha", "Beta"]},
    }


def investment_payload(day: date, amount: str = "1000") -> dict[str, Any]:
    return {
        "type": "InvestmentMade",
        "occurred_on": day.isoformat(),
        "summary": "Alpha invests in Beta",
        "confidence": "reported",
        "sources": [{"title": "bench", "url": "https://example.com/bench"}],
        "data": {
            "investor": "Alpha",
            "amount": amount,
            "currency": "USD",
            "instrument": "equity",
            "status": "paid",
        },
    }


def history_drafts(count: int, span_days: int = 9000) -> list[EventDraft]:
    """`count` investments spread evenly over `span_days` from 2000-01-01, in date order."""
    step = span_days / max(count, 1)
    return [
        parse_event(investment_payload(START + timedelta(days=int(i * step) + 1)))
        for i in range(count)
    ]


def last_day(span_days: int = 9000) -> date:
    return START + timedelta(days=span_days)
