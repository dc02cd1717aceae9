"""Across partnerships: investments and disputes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.schemas import DisputesOut, DisputesQuery, InvestmentsOut, InvestmentsQuery
from api.services import pactlog
from api.web import operation

bp = Blueprint("portfolio", __name__, url_prefix="/v1")


@bp.get("/investments")
@operation(query=InvestmentsQuery, response=InvestmentsOut, errors=(422,))
def investments(args: dict[str, Any]) -> Any:
    """Investments per investor and currency, across partnerships and per partnership; filter
    by `partnership`, count only figures of at least `min_confidence`."""
    _fresh()
    return pactlog().investments(
        args["as_of"], args["known_at"], args["partnership"], args["min_confidence"]
    )


@bp.get("/disputes")
@operation(query=DisputesQuery, response=DisputesOut, errors=(422,))
def disputes(args: dict[str, Any]) -> Any:
    """Disputes across partnerships, open and resolved; filter by `status`, `partnership`."""
    _fresh()
    answer = pactlog().disputes(args["as_of"], args["known_at"], args["partnership"])
    chosen = [d.to_dict() for d in answer.disputes if args["status"] in (None, d.status)]
    return {
        "position": answer.position,
        "as_of": answer.as_of,
        "known_at": answer.known_at,
        "disputes": chosen,
    }


def _fresh() -> None:
    """Consistent after a 201: the service's cross-partnership reads list the partnerships the
    view knows before projecting, so project what is pending first (without waiting when a
    separate projector does it)."""
    service = pactlog()
    service.wait_for(service.last_position(), timeout=0)
