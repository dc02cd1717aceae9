"""Trust "what if": `policy=` on /trust, /state and /series resolves here (a name from the
policies directory, or inline JSON), and `GET /v1/policies` lists what may be named."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.schemas import ReadQuery
from api.services import pactlog, services
from api.web import operation
from service.policies import default_document
from service.read.answers import Series

bp = Blueprint("policies", __name__, url_prefix="/v1/policies")


def what_if(slug: str, args: dict[str, Any], *, contributions: bool = True) -> dict[str, Any]:
    """`{"what_if": …}` for a read with `policy=`; nothing without it."""
    given = args.pop("policy", None)
    if given is None:
        return {}
    policy = services().policies.resolve(given)
    answer = pactlog().what_if(slug, policy, args["as_of"], args["known_at"])
    body: dict[str, Any] = {
        "policy": answer.policy,
        "trust": answer.trust,
        "differing": answer.differing,
    }
    if contributions:
        body["contributions"] = answer.contributions
    return {"what_if": body}


def series_what_if(series: Series, given: str | None) -> dict[str, Any]:
    """`{"what_if": {policy, points}}` for a series read with `policy=`."""
    if given is None:
        return {}
    policy = services().policies.resolve(given)
    return {"what_if": {"policy": policy.name, "points": pactlog().what_if_series(series, policy)}}


@bp.get("")
@operation(query=ReadQuery, response={"type": "object"})
def policies(args: dict[str, Any]) -> Any:
    """The trust policies `policy=` may name, and the default policy's document.

    A policy states what it changes from the default (docs/trust-policy.md).
    """
    return {"policies": services().policies.names(), "default": default_document()}
