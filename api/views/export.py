"""Exports, streamed (never built in memory): the log as JSON Lines of CloudEvents, the timeline
as CSV (long format) or JSON Lines, a snapshot of every partnership as of a date. The format is
`format=` or, without it, the `Accept` header (the lines themselves: `service.export`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import Blueprint, Response, current_app, request
from marshmallow import fields, validate

from api.schemas import MAX_POSITION, KnowledgeQuery, QueryInteger, Strict, TimelineQuery
from api.services import pactlog
from api.web import operation
from events.fields import Slug
from service import export

bp = Blueprint("export", __name__, url_prefix="/v1/export")

MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv"}


def _format(name: str, default: str, allowed: tuple[str, ...]) -> fields.String:
    return fields.String(
        load_default=None,
        validate=validate.OneOf(allowed),
        metadata={
            "description": f"{' or '.join(allowed)}; default: by the Accept header "
            f"({', '.join(MEDIA[a] for a in allowed)}), else {default}."
        },
    )


class LogExportQuery(Strict):
    after = QueryInteger(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_POSITION),
        metadata={"description": "Resume: only events strictly after this position."},
    )
    format = _format("log", "jsonl", ("jsonl",))


class TimelineExportQuery(TimelineQuery):
    partnership = Slug(
        load_default=None, metadata={"description": "Only this partnership (default: all)."}
    )
    format = _format("timeline", "csv", ("csv", "jsonl"))


class SnapshotQuery(KnowledgeQuery):
    format = _format("snapshot", "jsonl", ("jsonl", "csv"))


@bp.get("/log")
@operation(
    query=LogExportQuery,
    response={"type": "string", "description": "One CloudEvent (JSON) a line."},
    media=MEDIA["jsonl"],
    conditional=False,
)
def log(args: dict[str, Any]) -> Any:
    """The global log as JSON Lines: the same CloudEvents as /v1/events, streamed.

    The export is the log as it stood when it began (its end is the `Pactlog-Position`
    header); resume an interrupted one with `after=` the last line's `position`.
    `pactlog load` takes the file back.
    """
    service = pactlog()
    until = service.last_position()
    return _stream(export.log_lines(service, args["after"], until), "jsonl", "pactlog-log", until)


@bp.get("/timeline")
@operation(
    query=TimelineExportQuery,
    response={"type": "string", "description": "CSV (header row first) or JSON Lines."},
    media=MEDIA["csv"],
    alternatives=((MEDIA["jsonl"], {"type": "string", "description": "One event a line."}),),
    errors=(404,),
    conditional=False,
)
def timeline(args: dict[str, Any]) -> Any:
    """The timeline as CSV in long format (one row per event) or JSON Lines, streamed.

    Every partnership's (one after the other, by slug) or one's (`partnership=`), with the
    timeline's filters and cut-offs. Columns: partnership, id, type, occurred_on, precision,
    confidence, summary, amount, currency (amounts as recorded, text), recorded_at, position,
    version, corrected_by, sources and data (JSON text). `pactlog load` takes the CSV back.
    """
    service = pactlog()
    slug = args["partnership"]
    if slug is not None:
        service.knowledge(slug, None, None)  # 404 before the stream starts
    records = export.timeline_records(
        service,
        None if slug is None else [slug],
        as_of=args["as_of"], known_at=args["known_at"], types=args["type"],
        start=args["from_"], end=args["to"], min_confidence=args["confidence"],
        text=args["q"],
    )  # fmt: skip
    form = _chosen(args["format"], ("csv", "jsonl"))
    lines = export.timeline_csv(records) if form == "csv" else export.timeline_jsonl(records)
    return _stream(lines, form, f"pactlog-timeline-{slug or 'all'}", service.projected_position())


@bp.get("/snapshot")
@operation(
    query=SnapshotQuery,
    response={"type": "string", "description": "JSON Lines (one partnership a line) or CSV."},
    media=MEDIA["jsonl"],
    alternatives=((MEDIA["csv"], {"type": "string", "description": "Long format."}),),
    conditional=False,
)
def snapshot(args: dict[str, Any]) -> Any:
    """The state of every partnership as of a date (as known at an instant), streamed.

    JSON Lines: one partnership a line (`partnership`, `position`, `version`, `as_of`,
    `known_at`, `state` as /state answers it). CSV, long format: partnership, as_of, known_at,
    position, metric, key, value (one figure a row).
    """
    service = pactlog()
    records = export.snapshot_records(service, args["as_of"], args["known_at"])
    form = _chosen(args["format"], ("jsonl", "csv"))
    lines = export.snapshot_csv(records) if form == "csv" else export.snapshot_jsonl(records)
    name = f"pactlog-snapshot-{args['as_of'] or 'now'}"
    return _stream(lines, form, name, service.projected_position())


def _chosen(given: str | None, allowed: tuple[str, ...]) -> str:
    """`format=`, else the best of `allowed` by the Accept header, else the first."""
    if given is not None:
        return given
    best = request.accept_mimetypes.best_match([MEDIA[a] for a in allowed])
    return next((a for a in allowed if MEDIA[a] == best), allowed[0])


def _stream(lines: Iterable[str | bytes], form: str, name: str, position: int) -> Response:
    def encoded() -> Iterator[bytes]:
        for line in lines:
            yield line if isinstance(line, bytes) else line.encode()

    response = current_app.response_class(encoded(), mimetype=MEDIA[form])
    suffix = "csv" if form == "csv" else "jsonl"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{suffix}"'
    response.headers["Pactlog-Position"] = str(position)
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass the lines on as they come
    return response
