"""The catalog: every event type and its fields, read off the schemas that validate them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.schemas import CatalogOut
from api.web import operation
from events.catalog import CONFIDENCE_LEVELS, describe_catalog

bp = Blueprint("catalog", __name__, url_prefix="/v1/catalog")


@bp.get("")
@operation(scope=None, response=CatalogOut)
def catalog() -> Any:
    """Every event type, its description and its `data` fields."""
    return {"types": describe_catalog(), "confidence": list(CONFIDENCE_LEVELS)}
