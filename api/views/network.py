"""The organizations network page: organizations as nodes, partnerships as edges weighted by
the money invested, as of a date, drawn here as SVG (like the dashboard's charts) with a data
table, so it works without JavaScript."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from marshmallow import EXCLUDE, Schema, ValidationError

from api.charts import short_amount
from api.errors import Problem
from api.schemas import Instant, PeriodBound
from api.services import pactlog
from api.web import authorize, operation
from service.read.organizations import Network

bp = Blueprint("network", __name__)

SIZE, MARGIN = 640, 120


class NetworkQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    as_of = PeriodBound(load_default=None)
    known_at = Instant(load_default=None)


@bp.get("/network")
@operation(scope=None, response={"type": "string"}, media="text/html", conditional=False)
def page() -> Response:
    """The organizations network: who is partnered with whom, weighted by investment.

    Query: `as_of` (replay the network as of that date), `known_at` (as known then).
    """
    try:
        authorize("read")
    except Problem as problem:
        return _html("dashboard/unauthorized.html", problem.status, problem=problem)
    given = {k: v for k, v in request.args.items() if v.strip()}
    errors: dict[str, Any] = {}
    try:
        args = NetworkQuery().load(given)
    except ValidationError as error:
        errors = error.messages if isinstance(error.messages, dict) else {"_": error.messages}
        args = NetworkQuery().load({k: v for k, v in given.items() if k not in errors})
    network = pactlog().network(args["as_of"], args["known_at"])
    return _html("dashboard/network.html", 200, graph=layout(network), errors=errors)


def _weight(totals: dict[str, dict[str, Any]]) -> Decimal:
    """An edge's weight: its largest amount in any one currency (never summed across)."""
    amounts = [
        Decimal(value)
        for sums in totals.values()
        for key, value in sums.items()
        if isinstance(value, str) and key not in ("low", "high")
    ]
    return max(amounts, default=Decimal(0))


def _money(totals: dict[str, dict[str, Any]]) -> str:
    parts = []
    for currency, sums in totals.items():
        figures = [
            f"{key} {short_amount(float(Decimal(value)))}"
            for key, value in sums.items()
            if isinstance(value, str) and key not in ("low", "high") and Decimal(value)
        ]
        if figures:
            parts.append(f"{currency}: {', '.join(figures)}")
    return "; ".join(parts) or "none"


def layout(network: Network) -> dict[str, Any]:
    """Nodes on a circle (by name), edges between the parties of each partnership, stroke
    width by the square root of the weight."""
    count = max(1, len(network.nodes))
    radius = SIZE / 2 - MARGIN
    centre = SIZE / 2
    nodes = {}
    for index, name in enumerate(network.nodes):
        angle = 2 * math.pi * index / count - math.pi / 2
        x, y = centre + radius * math.cos(angle), centre + radius * math.sin(angle)
        nodes[name] = {
            "name": name,
            "x": round(x, 1),
            "y": round(y, 1),
            "anchor": "start"
            if math.cos(angle) > 0.1
            else "end"
            if math.cos(angle) < -0.1
            else "middle",
            "lx": round(centre + (radius + 14) * math.cos(angle), 1),
            "ly": round(centre + (radius + 14) * math.sin(angle) + 4, 1),
        }
    heaviest = max((_weight(e["invested"]) for e in network.edges), default=Decimal(0))
    edges, rows = [], []
    for edge in network.edges:
        weight = _weight(edge["invested"])
        width = 1.5 + (8 * math.sqrt(float(weight / heaviest)) if heaviest else 0)
        money = _money(edge["invested"])
        members = [nodes[p] for p in edge["parties"] if p in nodes]
        pairs = list(itertools.pairwise(members))
        if len(members) > 2:  # three or more parties: a ring through them
            pairs.append((members[-1], members[0]))
        for first, second in pairs:
            edges.append({"from": first, "to": second, "width": round(width, 1),
                          "label": f"{edge['name'] or edge['partnership']}: {money}"})  # fmt: skip
        rows.append([edge["partnership"], edge["name"] or "", ", ".join(edge["parties"]), money])
    return {
        "size": SIZE,
        "nodes": list(nodes.values()),
        "edges": edges,
        "rows": rows,
        "as_of": network.as_of,
        "known_at": network.known_at,
        "position": network.position,
    }


def _anchor(cos: float) -> str:
    return "start" if cos > 0.1 else "end" if cos < -0.1 else "middle"


def _html(template: str, status: int, **context: Any) -> Response:
    body = render_template(template, **context)
    response = current_app.response_class(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response
