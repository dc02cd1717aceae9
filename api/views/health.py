"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from api.errors import Problem
from api.schemas import Health
from api.services import pactlog, settings
from api.web import operation

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@operation(scope=None, response=Health, conditional=False)
def healthz() -> Any:
    """Liveness: the process answers."""
    return {"status": "ok"}


@bp.get("/readyz")
@operation(scope=None, response=Health, conditional=False, errors=(503,))
def readyz() -> Any:
    """Readiness: the store answers and the projections have caught up with the log."""
    try:
        service = pactlog()
        position = service.last_position()
        caught_up = service.wait_for(position, timeout=settings().ready_wait_seconds)
    except Exception as error:  # the store is unreachable: not ready, whatever the reason
        current_app.logger.warning("not ready: %s", error)
        raise Problem("not-ready", "The event store is not reachable.") from None
    if not caught_up:
        raise Problem("not-ready", "The projections are catching up.", headers={"Retry-After": "1"})
    return {
        "status": "ready",
        "position": position,
        "projected_position": service.projected_position(),
    }
