"""Time series for dashboards and spreadsheets: `GET /v1/partnerships/{slug}/series/{metric}`,
JSON records or CSV, from the view's daily summaries (no fold)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, request
from marshmallow import ValidationError, fields, validate, validates_schema

from api import extensions
from api.errors import Problem, invalid
from api.schemas import MAX_POSITION, Instant, PeriodBound, StreamKnowledge, Strict
from api.views._common import knows
from api.web import operation
from events.dates import PartialDate
from service.pactlog import PactlogService
from service.steps import Step, TooManyPoints, steps

bp = Blueprint("series", __name__)

METRICS = ("trust", "invested", "open_disputes", "open_risks", "events")

# --- time series ---------------------------------------------------------------------------


class SeriesQuery(Strict):
    from_ = PeriodBound(
        edge="start",
        data_key="from",
        load_default=None,
        metadata={"description": "The first point (default: the partnership's first event)."},
    )
    to = PeriodBound(
        load_default=None,
        metadata={"description": "The last point at most (default: today, or `as_of`)."},
    )
    step = fields.String(
        load_default=Step.MONTH.value,
        validate=validate.OneOf([s.value for s in Step]),
        metadata={"description": "day, week, month or quarter (months: the 1st of each)."},
    )
    as_of = PeriodBound(
        load_default=None,
        metadata={"description": "Valid time: the series ends at this date."},
    )
    known_at = Instant(
        load_default=None,
        metadata={"description": "Transaction time: only events recorded by this instant."},
    )
    format = fields.String(
        load_default=None,
        validate=validate.OneOf(("json", "csv")),
        metadata={"description": "csv or json; default: by the Accept header, else JSON."},
    )
    min_position = fields.Integer(
        load_default=None,
        validate=validate.Range(min=0, max=MAX_POSITION),
        metadata={"description": "Wait until the answer reflects at least this log position."},
    )

    @validates_schema
    def _ordered(self, values: dict[str, Any], **kwargs: Any) -> None:
        start, end = values.get("from_"), values.get("to")
        if start and end and start > end:
            raise ValidationError("`from` is after `to`.", "from")


class SeriesOut(StreamKnowledge):
    metric = fields.String(required=True)
    step = fields.String(required=True)
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)
    points = fields.List(
        fields.Dict(),
        required=True,
        metadata={
            "description": "`{at, value}` per point; `invested` gives per currency "
            "`{committed, paid}` as decimal strings."
        },
    )


@dataclass(frozen=True)
class Series:
    """One metric at each point, computed in one pass; what the API and the page show."""

    slug: str
    metric: str
    step: Step
    start: date
    end: date
    knowledge: Any
    points: list[dict[str, Any]]

    @property
    def currencies(self) -> list[str]:
        found: set[str] = set()
        for point in self.points:
            if isinstance(point["value"], dict):
                found |= set(point["value"])
        return sorted(found)


def window(
    service: PactlogService,
    slug: str,
    start: date | None,
    end: date | None,
    as_of: date | None,
    known_at: Any,
) -> tuple[date, date]:
    """The first and last day a series covers: by default from the first event to today (or
    `as_of`); `as_of` caps `to`."""
    if end is None:
        end = as_of or service.clock().date()
    elif as_of is not None:
        end = min(end, as_of)
    if start is None:
        _, first, _ = service.timeline(slug, known_at=known_at, limit=1)
        start = PartialDate.parse(first[0]["occurred_on"]).start if first else end
        start = min(start, end)
    return start, end


def headline_series(
    service: PactlogService,
    slug: str,
    start: date,
    end: date,
    step: Step,
    known_at: Any = None,
) -> tuple[Any, list[dict[str, Any]]]:
    """Every headline figure at each step from `start` to `end`: one pass over the events."""
    try:
        points = steps(start, end, step)
    except TooManyPoints as error:
        raise invalid({"step": [str(error)]}) from None
    return service.series(slug, points, known_at)


def pick(metric: str, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One metric's `{at, value}` records from the headline rows (invested: every currency
    seen in the series at every point, "0" before its first investment)."""
    if metric != "invested":
        return [{"at": row["at"], "value": row[metric]} for row in rows]
    currencies = sorted({code for row in rows for code in row["invested"]})
    zero = {"committed": "0", "paid": "0"}
    return [
        {"at": row["at"], "value": {c: dict(row["invested"].get(c, zero)) for c in currencies}}
        for row in rows
    ]


@bp.get("/v1/partnerships/<slug:slug>/series/<metric>")
@operation(query=SeriesQuery, response=SeriesOut, errors=(404, 422))
def series(slug: str, metric: str, args: dict[str, Any]) -> Any:
    """A time series: trust, invested, open_disputes, open_risks or events (JSON or CSV).

    One value per step (`day`, `week`, `month`, `quarter`) from `from` to `to`, each the state
    as of that date (as known at `known_at`), all computed in one pass over the events.
    `invested` is cumulative, per currency, committed and paid. CSV with `Accept: text/csv` or
    `format=csv`: `at,<metric>` (invested: `at,USD_committed,USD_paid,…`).
    """
    if metric not in METRICS:
        raise Problem(
            "not-found", f"No metric {metric!r}; there are {', '.join(METRICS)}.", metric=metric
        )
    service = extensions.pactlog()
    start, end = window(service, slug, args["from_"], args["to"], args["as_of"], args["known_at"])
    step = Step(args["step"])
    knowledge, rows = headline_series(service, slug, start, end, step, args["known_at"])
    answer = Series(slug, metric, step, start, end, knowledge, pick(metric, rows))
    if _wants_csv(args["format"]):
        return _csv_response(answer)
    return {
        **knows(slug, knowledge),
        "as_of": args["as_of"],
        "metric": metric,
        "step": step.value,
        "from_": start,
        "to": end,
        "points": answer.points,
    }


def _wants_csv(format_: str | None) -> bool:
    if format_ is not None:
        return format_ == "csv"
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv"


def series_csv(answer: Series) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if answer.metric == "invested":
        currencies = answer.currencies
        writer.writerow(["at", *(f"{c}_{s}" for c in currencies for s in ("committed", "paid"))])
        for point in answer.points:
            value = point["value"]
            writer.writerow(
                [point["at"], *(value[c][s] for c in currencies for s in ("committed", "paid"))]
            )
    else:
        writer.writerow(["at", answer.metric])
        for point in answer.points:
            writer.writerow([point["at"], point["value"]])
    return out.getvalue()


def _csv_response(answer: Series) -> Response:
    response = current_app.response_class(series_csv(answer), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'inline; filename="{answer.slug}-{answer.metric}.csv"'
    )
    response.headers["Pactlog-Position"] = str(answer.knowledge.position)
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    response.make_conditional(request)
    return response
