"""Time series for dashboards and spreadsheets: `GET /v1/partnerships/{slug}/series/{metric}`,
JSON records or CSV (the series itself: `service.read.series`)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, current_app, request
from marshmallow import fields, validate

from api.contracts import typed
from api.errors import Problem
from api.headers import already_kept, kept
from api.schemas import (
    MAX_POSITION,
    DateRange,
    Instant,
    PeriodBound,
    QueryInteger,
    StreamKnowledge,
    min_confidence_field,
    policy_param,
)
from api.services import pactlog
from api.views._common import knows
from api.views.whatif import series_what_if
from api.web import operation
from service.read.answers import Series
from service.read.series import METRICS
from service.steps import Step

bp = Blueprint("series", __name__)
INVESTED_COLUMNS = ("firm", "contingent", "paid", "total", "low", "high", "undisclosed")


class SeriesQuery(DateRange):
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
    min_confidence = min_confidence_field()
    format = fields.String(
        load_default=None,
        validate=validate.OneOf(("json", "csv")),
        metadata={"description": "csv or json; default: by the Accept header, else JSON."},
    )
    min_position = QueryInteger(
        load_default=None,
        validate=validate.Range(min=0, max=MAX_POSITION),
        metadata={"description": "Wait until the answer reflects at least this log position."},
    )
    policy = policy_param()


class SeriesOut(StreamKnowledge):
    metric = fields.String(required=True)
    step = fields.String(required=True)
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)
    points = typed(
        "SeriesPoint",
        fields.List,
        cls_or_instance=fields.Dict(),
        required=True,
        metadata={
            "description": "`{at, value}` per point; `invested` gives per currency "
            "`{firm, contingent, paid, total, low, high}` as decimal strings and the "
            "`undisclosed` count."
        },
    )
    what_if = fields.Dict(
        metadata={"description": "Only with `policy=`: `{policy, points}` under that policy."}
    )


@bp.get("/v1/partnerships/<slug:slug>/series/<metric>")
@operation(
    query=SeriesQuery,
    response=SeriesOut,
    errors=(404, 422),
    answered=already_kept,
    alternatives=(("text/csv", {"type": "string", "example": "at,trust\n2023-11-01,62.0\n"}),),
)
def series(slug: str, metric: str, args: dict[str, Any]) -> Any:
    """A time series: trust, invested, open_disputes, open_risks or events (JSON or CSV).

    One value per step (`day`, `week`, `month`, `quarter`) from `from` to `to`, each the state
    as of that date (as known at `known_at`), all computed in one pass over the events.
    `invested` is cumulative, per currency: firm, contingent, paid, total (firm + paid), the
    low–high range across claims and the undisclosed count; `min_confidence` counts only
    figures at least that certain. CSV with `Accept: text/csv` or `format=csv`: `at,<metric>`
    (invested: `at,USD_firm,USD_contingent,USD_paid,USD_total,USD_low,USD_high,…`).
    """
    if metric not in METRICS:
        raise Problem(
            "not-found", f"No metric {metric!r}; there are {', '.join(METRICS)}.", metric=metric
        )
    return kept(slug, lambda: _series(slug, metric, args))


def _series(slug: str, metric: str, args: dict[str, Any]) -> Any:
    answer = pactlog().metric_series(
        slug, metric, start=args["from_"], end=args["to"], step=Step(args["step"]),
        as_of=args["as_of"], known_at=args["known_at"], min_confidence=args["min_confidence"],
    )  # fmt: skip
    alternative = series_what_if(answer, args["policy"])
    if _wants_csv(args["format"]):
        return _csv_response(answer, alternative.get("what_if"))
    return {**knows(slug, answer.knowledge), "as_of": args["as_of"], "metric": metric,
            "step": answer.step.value, "from_": answer.start, "to": answer.end,
            "points": answer.points, **alternative}  # fmt: skip


def _wants_csv(format_: str | None) -> bool:
    if format_ is not None:
        return format_ == "csv"
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv"


def series_csv(answer: Series, what_if: dict[str, Any] | None = None) -> str:
    """The series as CSV; with a what-if, one more column (`<metric>_what_if`) holds it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if answer.metric == "invested":
        currencies = answer.currencies
        writer.writerow(["at", *(f"{c}_{s}" for c in currencies for s in INVESTED_COLUMNS)])
        for point in answer.points:
            value = point["value"]
            writer.writerow(
                [point["at"], *(value[c][s] for c in currencies for s in INVESTED_COLUMNS)]
            )
    elif what_if is not None:
        writer.writerow(["at", answer.metric, f"{answer.metric}_what_if"])
        for point, other in zip(answer.points, what_if["points"], strict=True):
            writer.writerow([point["at"], point["value"], other["value"]])
    else:
        writer.writerow(["at", answer.metric])
        for point in answer.points:
            writer.writerow([point["at"], point["value"]])
    return out.getvalue()


def _csv_response(answer: Series, what_if: dict[str, Any] | None) -> Response:
    response = current_app.response_class(series_csv(answer, what_if), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'inline; filename="{answer.partnership}-{answer.metric}.csv"'
    )
    response.headers["Pactlog-Position"] = str(answer.knowledge.position)
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()  # If-None-Match is answered where the answer is kept (`api.headers`)
    return response
