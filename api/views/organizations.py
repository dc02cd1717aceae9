"""Organizations across partnerships: `GET /v1/organizations`, `GET /v1/organizations/{name}`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint
from marshmallow import fields

from api.schemas import Answer, Cited, KnowledgeQuery
from api.services import pactlog
from api.web import operation

bp = Blueprint("organizations", __name__, url_prefix="/v1/organizations")


class OrganizationSummaryOut(Answer):
    name = fields.String(required=True)
    key = fields.String(required=True, metadata={"description": "Its URL name."})
    aliases = fields.List(fields.String(), required=True)
    partnerships = fields.List(fields.String(), required=True)
    invested = fields.Dict(required=True, metadata={"description": "Made, per currency."})
    received = fields.Dict(required=True, metadata={"description": "Received, per currency."})


class OrganizationsOut(Cited):
    organizations = fields.List(fields.Nested(OrganizationSummaryOut), required=True)


class OrganizationOut(Cited):
    name = fields.String(required=True)
    key = fields.String(required=True)
    aliases = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Other spellings seen, and names declared aliases of it."},
    )
    partnerships = fields.List(
        fields.Dict(),
        required=True,
        metadata={
            "description": "Each partnership it is in (as party, investor or recipient), with "
            "its headline figures and the money it made and received there."
        },
    )
    investments = fields.Dict(
        required=True,
        metadata={
            "description": "`made` and `received`: totals per currency (split by status, "
            "e.g. firm/contingent/paid) and per partnership."
        },
    )
    open_disputes = fields.List(fields.Dict(), required=True)
    open_risks = fields.List(fields.Dict(), required=True)
    latest = fields.List(
        fields.Dict(), required=True, metadata={"description": "Its latest developments."}
    )


@bp.get("")
@operation(query=KnowledgeQuery, response=OrganizationsOut)
def list_(args: dict[str, Any]) -> Any:
    """Every organization: parties, investors and recipients across partnerships.

    Names are compared without case, accents or punctuation; `OrganizationAliased` events make
    two names one from when they were recorded (see `known_at`).
    """
    answer = pactlog().organizations(args["as_of"], args["known_at"])
    return {
        "position": answer.position,
        "as_of": answer.as_of,
        "known_at": answer.known_at,
        "organizations": [asdict(o) for o in answer.organizations],
    }


@bp.get("/<path:name>")
@operation(query=KnowledgeQuery, response=OrganizationOut, errors=(404,))
def one(name: str, args: dict[str, Any]) -> Any:
    """One organization, by any of its names or its key: partnerships, investments made and
    received (firm, contingent, paid), open disputes and risks, latest developments."""
    return asdict(pactlog().organization(name, args["as_of"], args["known_at"]))
