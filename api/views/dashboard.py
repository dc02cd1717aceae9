"""The dashboard page `GET /`: one partnership as of a date (and as known on a day), rendered on
the server, charts as inline SVG; a small script (api/static) replays other dates and shows new
events live from `/v1/stream`. Nothing comes from elsewhere: it works offline."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from api import session
from api.charts import Chart, invested_chart, short_amount, trust_chart
from api.errors import Problem
from api.schemas import Instant, PeriodBound
from api.services import pactlog
from api.views import signin
from api.web import authorize, operation
from events.catalog import CATALOG, CONFIDENCE_LEVELS
from events.fields import Slug
from events.figures import figure_text
from service.pactlog import PactlogService
from service.read.answers import Knowledge, PartnershipSummary, Uncounted
from service.read.search import BadSearch
from service.steps import Step

bp = Blueprint("dashboard", __name__, template_folder="../templates")
STATIC = Path(__file__).resolve().parent.parent / "static"

TIMELINE_LIMIT = 1000
PAGE_SIZE = 20
MAX_CHART_POINTS = 120


class PageQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    partnership = Slug(load_default=None)
    as_of = PeriodBound(load_default=None)
    known_at = Instant(load_default=None)
    # Which investment figures the headline and charts count (all, or at least this confidence).
    min_confidence = fields.String(load_default=None, validate=validate.OneOf(CONFIDENCE_LEVELS))
    # The timeline's filter and page.
    type = fields.String(load_default=None, validate=validate.OneOf(tuple(CATALOG)))
    confidence = fields.String(load_default=None, validate=validate.OneOf(CONFIDENCE_LEVELS))
    q = fields.String(load_default=None, validate=validate.Length(max=200))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))


@dataclass(frozen=True)
class TimelineFilter:
    """What the page's timeline shows: a type, at least a confidence, words in it; a page."""

    type: str | None = None
    confidence: str | None = None
    text: str | None = None
    page: int = 1

    @property
    def active(self) -> bool:
        return bool(self.type or self.confidence or self.text)


@bp.get("/")
@operation(
    scope=None, response={"type": "string"}, media="text/html", conditional=False, pages=(401,)
)
def page() -> Response:
    """The dashboard: trust and investments over time, disputes, risks, the timeline, live.

    Query: `partnership`, `as_of` (replay the page as of that date), `known_at` (as known on),
    `min_confidence` (count only investment figures at least this sure).
    Needs anonymous reads (`PACTLOG_ANONYMOUS_READS=1`, the default of `pactlog serve`).
    """
    try:
        authorize("read")
    except Problem as problem:
        return signin.page(problem.status, next_url=request.full_path.rstrip("?"))
    errors: dict[str, Any] = {}
    given = {k: v for k, v in request.args.items() if v.strip()}  # the form sends empty fields
    try:
        args = PageQuery().load(given)
    except ValidationError as error:
        errors = error.messages if isinstance(error.messages, dict) else {"_": error.messages}
        args = PageQuery().load({k: v for k, v in given.items() if k not in errors})
    service = pactlog()
    partnerships = service.partnerships()
    slugs = [p.slug for p in partnerships]
    if args["partnership"] and args["partnership"] not in slugs:
        errors["partnership"] = [f"No partnership {args['partnership']!r}."]
    slug = landing(partnerships, args["partnership"], request.cookies.get(REMEMBERED))
    chosen = TimelineFilter(args["type"], args["confidence"], args["q"], args["page"])
    view = (
        build_view(service, slug, args["as_of"], args["known_at"], chosen, args["min_confidence"])
        if slug is not None
        else None
    )
    response = _html(
        "dashboard/index.html",
        200,
        partnerships=partnerships,
        view=view,
        errors=errors,
        today=service.clock().date(),
        short_amount=short_amount,
        signed_in=g.get("token") is not None and session.is_session(g.token),
        catalog=sorted(CATALOG),
        confidence_levels=CONFIDENCE_LEVELS,
        page_link=page_link,
        figure_text=figure_text,
    )
    if slug is not None and slug == args["partnership"]:
        response.set_cookie(
            REMEMBERED, slug, max_age=365 * 86400, httponly=True, samesite="Lax", path="/"
        )
    return response


REMEMBERED = "pactlog_partnership"


def landing(
    partnerships: list[PartnershipSummary], asked: str | None, remembered: str | None
) -> str | None:
    """The partnership to show: the one asked for, else the one this browser chose last, else
    the one with the latest event recorded (most recently active)."""
    slugs = {p.slug for p in partnerships}
    for choice in (asked, remembered):
        if choice in slugs:
            return choice
    if not partnerships:
        return None
    return max(partnerships, key=lambda p: (p.position, p.slug)).slug


def page_link(**changes: Any) -> str:
    """This page's URL with some query parameters changed (empty ones dropped)."""
    args = {k: v for k, v in request.args.items() if v.strip()}
    args.update({k: str(v) for k, v in changes.items() if v is not None})
    values: dict[str, Any] = {k: v for k, v in args.items() if v}
    return url_for("dashboard.page", **values)


@bp.get("/assets/dashboard.css")
@operation(scope=None, response={"type": "string"}, media="text/css", conditional=False)
def stylesheet() -> Response:
    """The dashboard's styles (served here: nothing is loaded from elsewhere)."""
    return _asset("dashboard.css", "text/css")


@bp.get("/assets/favicon.svg")
@operation(scope=None, response={"type": "string"}, media="image/svg+xml", conditional=False)
def favicon() -> Response:
    """The dashboard's icon."""
    return _asset("favicon.svg", "image/svg+xml")


@bp.get("/favicon.ico")
@operation(scope=None, response={"type": "string"}, media="image/svg+xml", conditional=False)
def favicon_ico() -> Response:
    """The same icon where browsers look for it by default."""
    return _asset("favicon.svg", "image/svg+xml")


@bp.get("/assets/dashboard.js")
@operation(scope=None, response={"type": "string"}, media="text/javascript", conditional=False)
def script() -> Response:
    """The dashboard's script (served here: nothing is loaded from elsewhere)."""
    return _asset("dashboard.js", "text/javascript")


def _asset(name: str, mimetype: str) -> Response:
    response = send_from_directory(STATIC, name, mimetype=mimetype, max_age=300)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _html(template: str, status: int, **context: Any) -> Response:
    body = render_template(template, **context)
    response = current_app.response_class(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- what the page shows -------------------------------------------------------------------


@dataclass
class View:
    slug: str
    as_of: date | None
    known_at: datetime | None
    state: dict[str, Any]
    knowledge: Knowledge
    not_yet_counted: list[Uncounted]
    events: list[dict[str, Any]]
    more_events: bool
    shown: TimelineFilter
    matching: int
    pages: int
    step: Step
    start: date
    end: date
    first_day: date
    last_position: int
    series_url: str
    min_confidence: str | None = None
    charts: list[Chart] = field(default_factory=list)


def auto_step(start: date, end: date) -> Step:
    """The finest step that keeps a chart within `MAX_CHART_POINTS` points."""
    days = (end - start).days
    if days < MAX_CHART_POINTS:
        return Step.DAY
    if days < MAX_CHART_POINTS * 7:
        return Step.WEEK
    if days < MAX_CHART_POINTS * 30:
        return Step.MONTH
    return Step.QUARTER


def build_view(
    service: PactlogService,
    slug: str,
    as_of: date | None,
    known_at: datetime | None,
    shown: TimelineFilter | None = None,
    min_confidence: str | None = None,
) -> View:
    answer = service.state(slug, as_of, known_at, min_confidence)
    whole = service.window(slug, known_at=known_at)
    cut = service.window(slug, as_of=as_of, known_at=known_at)
    start, end = cut.start, cut.end
    step = auto_step(start, end)
    rows = service.headlines(slug, start, end, step, known_at, min_confidence).points
    shown = shown or TimelineFilter()
    try:
        timeline = service.timeline(
            slug, as_of=as_of, known_at=known_at, limit=TIMELINE_LIMIT,
            types=[shown.type] if shown.type else (), min_confidence=shown.confidence,
            text=shown.text,
        )  # fmt: skip
        # Newest first, so that what arrives live lands on the first page.
        matching, more = list(reversed(timeline.events)), timeline.cursor is not None
    except BadSearch:  # no words to look for: nothing is found
        matching, more = [], False
    pages = max(1, -(-len(matching) // PAGE_SIZE))
    shown = replace(shown, page=min(shown.page, pages))
    query: dict[str, Any] = {"from": start.isoformat(), "to": end.isoformat(), "step": step.value}
    if known_at is not None:
        query["known_at"] = known_at.isoformat()
    if min_confidence is not None:
        query["min_confidence"] = min_confidence
    view = View(
        slug=slug,
        as_of=as_of,
        known_at=known_at,
        state=answer.state,
        knowledge=answer.knowledge,
        not_yet_counted=answer.not_yet_counted,
        events=matching[(shown.page - 1) * PAGE_SIZE : shown.page * PAGE_SIZE],
        more_events=more,
        shown=shown,
        matching=len(matching),
        pages=pages,
        step=step,
        start=start,
        end=end,
        first_day=min(whole.start, whole.end),
        last_position=service.last_position(),
        series_url=url_for("series.series", slug=slug, metric="trust", **query),
        min_confidence=min_confidence,
    )
    view.charts = [trust_chart(rows, start, end), invested_chart(rows, start, end)]
    return view
