"""The global log, as CloudEvents 1.0: every event of every partnership in position order."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, url_for

from api.schemas import LogPage, LogQuery
from api.services import pactlog
from api.web import operation
from events.envelope import RecordedEvent

bp = Blueprint("log", __name__, url_prefix="/v1/events")


@bp.get("")
@operation(query=LogQuery, response=LogPage, errors=(422,))
def log(args: dict[str, Any]) -> Any:
    """The log strictly after position `after`; resume from the answer's `position`."""
    events = pactlog().log(args["after"], args["limit"])
    position = events[-1].position if events else args["after"]
    return {
        "after": args["after"],
        "position": position,
        "events": [cloud_event(e) for e in events],
        "next": url_for(".log", after=position, limit=args["limit"]),
    }


def cloud_event(event: RecordedEvent) -> dict[str, Any]:
    """One recorded event in CloudEvents 1.0 JSON form (`position`, `streamversion` are
    extension attributes)."""
    return {
        "specversion": "1.0",
        "id": event.id,
        "source": f"/v1/partnerships/{event.partnership}",
        "type": f"pactlog.{event.type}",
        "time": event.recorded_at.isoformat().replace("+00:00", "Z"),
        "subject": event.partnership,
        "datacontenttype": "application/json",
        "data": event.to_dict(),
        "position": event.position,
        "streamversion": event.version,
    }
