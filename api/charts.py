"""The dashboard's charts: SVG line charts whose geometry is computed here, so the page needs no
script to draw them, each with the table of its data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from service.read.series import pick

WIDTH, HEIGHT = 480, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 10, 24


@dataclass
class Chart:
    """An SVG line chart, its geometry computed here so the page needs no script to draw it."""

    id: str
    title: str
    description: str
    lines: list[dict[str, Any]]
    x_ticks: list[dict[str, Any]]
    y_ticks: list[dict[str, Any]]
    table_columns: list[str]
    table_rows: list[list[str]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    right: int = WIDTH - RIGHT


def _x(day: date, start: date, end: date) -> float:
    span = (end - start).days
    if span <= 0:
        return (LEFT + WIDTH - RIGHT) / 2
    return round(LEFT + (WIDTH - LEFT - RIGHT) * (day - start).days / span, 1)


def _y(value: float, top: float) -> float:
    if top <= 0:
        return float(HEIGHT - BOTTOM)
    return round(HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * value / top, 1)


def _x_ticks(start: date, end: date) -> list[dict[str, Any]]:
    if (end - start).days >= 730:
        days = [date(year, 1, 1) for year in range(start.year + 1, end.year + 1)]
        every = max(1, len(days) // 8 + 1)
        return [{"x": _x(d, start, end), "label": str(d.year)} for d in days[::every]]
    days = []
    month = date(start.year, start.month, 1)
    while month <= end:
        if month >= start:
            days.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    every = max(1, len(days) // 6 + 1)
    return [{"x": _x(d, start, end), "label": d.strftime("%Y-%m")} for d in days[::every]]


def _nice_top(value: float) -> float:
    """A round upper bound for an axis: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    power = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 5, 10):
        if value <= factor * power:
            return float(factor * power)
    return float(10 * power)


def short_amount(value: float) -> str:
    """1500000000 → 1.5B."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.4g}{suffix}"
    return f"{value:.4g}"


def _line(
    name: str, css: str, values: list[tuple[date, float, str]], start: date, end: date, top: float
) -> dict[str, Any]:
    points = [
        {"x": _x(d, start, end), "y": _y(v, top), "label": f"{d.isoformat()}: {text}"}
        for d, v, text in values
    ]
    path = " ".join(f"{'M' if i == 0 else 'L'}{p['x']},{p['y']}" for i, p in enumerate(points))
    return {"name": name, "css": css, "points": points, "path": path}


def trust_chart(rows: list[dict[str, Any]], start: date, end: date) -> Chart:
    values = [
        (date.fromisoformat(r["at"]), float(r["value"]), str(r["value"]))
        for r in pick("trust", rows)
    ]
    return Chart(
        id="trust-chart",
        title="Trust level over time",
        description=f"Trust from {start} to {end}, one point per step; 0 to 100, baseline 50.",
        lines=[_line("trust", "trust", values, start, end, 100.0)],
        x_ticks=_x_ticks(start, end),
        y_ticks=[{"y": _y(v, 100.0), "label": str(v)} for v in (0, 25, 50, 75, 100)],
        table_columns=["date", "trust"],
        table_rows=[[d.isoformat(), text] for d, _, text in values],
    )


CHARTED = ("firm", "contingent", "paid")


def invested_chart(rows: list[dict[str, Any]], start: date, end: date) -> Chart:
    records = pick("invested", rows)
    currencies = sorted({c for r in records for c in r["value"]})
    top = _nice_top(
        max(
            (
                float(Decimal(r["value"][c][s]))
                for r in records
                for c in currencies
                for s in CHARTED
            ),
            default=0.0,
        )
    )
    lines = []
    columns = ["date"]
    for index, currency in enumerate(currencies):
        for kind in CHARTED:
            values = [
                (
                    date.fromisoformat(r["at"]),
                    float(Decimal(r["value"][currency][kind])),
                    f"{currency} {kind} {short_amount(float(Decimal(r['value'][currency][kind])))}",
                )
                for r in records
            ]
            lines.append(
                _line(f"{currency} {kind}", f"{kind} c{index % 4}", values, start, end, top)
            )
            columns.append(f"{currency} {kind}")
    table = [[r["at"], *(r["value"][c][k] for c in currencies for k in CHARTED)] for r in records]
    return Chart(
        id="invested-chart",
        title="Cumulative investments",
        description="Invested per currency: firm, contingent and paid, cumulative, one point "
        "per step (contingent money is never part of the firm or paid lines)."
        if currencies
        else "No investments recorded by this date.",
        lines=lines,
        x_ticks=_x_ticks(start, end),
        y_ticks=[{"y": _y(top * f, top), "label": short_amount(top * f)} for f in (0, 0.5, 1)],
        table_columns=columns,
        table_rows=table,
    )
