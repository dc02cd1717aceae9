"""Bearer tokens, for admins: issue, list, revoke. Secrets are shown once and stored hashed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, url_for

from api.errors import Problem
from api.schemas import CreateToken, IssuedTokenOut, TokenList
from api.services import tokens
from api.web import operation

bp = Blueprint("tokens", __name__, url_prefix="/v1/tokens")


@bp.post("")
@operation(
    scope="admin",
    body=CreateToken,
    response=IssuedTokenOut,
    status=201,
    errors=(400, 413, 415, 422),
)
def create(body: dict[str, Any]) -> Any:
    """Issue a token; its secret is in this answer only."""
    issued = tokens().create(body["name"], body["scopes"])
    location = url_for(".revoke", token_id=issued.token.id)
    return {**asdict(issued.token), "secret": issued.secret}, {"Location": location}


@bp.get("")
@operation(scope="admin", response=TokenList, conditional=False)
def list_() -> Any:
    """Every token, live or revoked (never their secrets)."""
    return {"tokens": [asdict(token) for token in tokens().list()]}


@bp.delete("/<token_id>")
@operation(scope="admin", status=204, conditional=False, errors=(404,))
def revoke(token_id: str) -> Any:
    """Revoke a token: it stops working at once in this process."""
    if not tokens().revoke(token_id):
        raise Problem("not-found", f"No live token {token_id!r}.")
    return None
