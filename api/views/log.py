"""The global log, as CloudEvents 1.0: every event of every partnership in position order."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, json, request, url_for

from api.schemas import CloudEvent, LogPage, LogQuery
from api.services import pactlog
from api.web import operation
from service.export import cloud_event

bp = Blueprint("log", __name__, url_prefix="/v1/events")
CLOUDEVENTS_BATCH = "application/cloudevents-batch+json"


@bp.get("")
@operation(
    query=LogQuery,
    response=LogPage,
    errors=(422,),
    alternatives=((CLOUDEVENTS_BATCH, {"type": "array", "items": CloudEvent}),),
)
def log(args: dict[str, Any]) -> Any:
    """The log strictly after position `after`; resume from the answer's `position`. With
    `partnership`, only its events (a page may then hold fewer than `limit`, or none; the
    position still moves past the others).

    With `Accept: application/cloudevents-batch+json` the page is a CloudEvents batch (a JSON
    array of events); the position to resume from is then in `Pactlog-Position` and the next
    page in `Link: <…>; rel="next"`.
    """
    events = pactlog().log(args["after"], args["limit"])
    position = events[-1].position if events else args["after"]
    chosen = args["partnership"]
    more = {"partnership": chosen} if chosen else {}
    next_page = url_for(".log", after=position, limit=args["limit"], **more)
    shown = [cloud_event(e) for e in events if chosen in (None, e.partnership)]
    if request.accept_mimetypes.best_match(["application/json", CLOUDEVENTS_BATCH]) == (
        CLOUDEVENTS_BATCH
    ):
        return _batch(shown, position, next_page)
    return {
        "after": args["after"],
        "position": position,
        "events": shown,
        "next": next_page,
    }


def _batch(events: list[dict[str, Any]], position: int, next_page: str) -> Response:
    response = current_app.response_class(json.dumps(events), mimetype=CLOUDEVENTS_BATCH)
    response.headers["Pactlog-Position"] = str(position)
    response.headers["Link"] = f'<{next_page}>; rel="next"'
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    response.make_conditional(request)
    return response
