"""The one wiring point: `create_app(config)` builds the app from plain config.

Config keys (nothing below reads the environment):
- `DATABASE_URL` (required): `sqlite:///path.db` or `postgresql://…`.
- `ANONYMOUS_READS` (default False): reads need no token.
- `ADMIN_TOKEN` (optional): a secret to store as an admin token when the process first
  reaches the database (bootstrap).
- `MAX_CONTENT_LENGTH` (default 8 MiB): larger bodies are a 413.
- `PROJECT_INLINE` (default True): reads project pending events first (one process, SQLite);
  False when a separate projector runs.
- `READ_WAIT_SECONDS` (default 5): how long `min_position` waits before a 503.
- `READY_WAIT_SECONDS` (default 2): how long /readyz lets the projections catch up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.routing import BaseConverter

from api import errors, extensions
from api.views import (
    catalog,
    dashboard,
    docs,
    events,
    health,
    log,
    metrics,
    partnerships,
    portfolio,
    series,
    stream,
    tokens,
)
from events.fields import SLUG_PATTERN

DEFAULTS: dict[str, Any] = {
    "ANONYMOUS_READS": False,
    "ADMIN_TOKEN": None,
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    "PROJECT_INLINE": True,
    "READ_WAIT_SECONDS": 5.0,
    "READY_WAIT_SECONDS": 2.0,
}


class SlugConverter(BaseConverter):
    """Only well-formed slugs reach a view; anything else is a 404."""

    regex = SLUG_PATTERN.pattern.strip("^$")


def create_app(config: Mapping[str, Any]) -> Flask:
    if not config.get("DATABASE_URL"):
        raise ValueError("create_app needs DATABASE_URL (sqlite:///path.db or postgresql://…)")
    app = Flask("pactlog")
    app.config.update(DEFAULTS)
    app.config.update(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.url_map.converters["slug"] = SlugConverter
    app.url_map.strict_slashes = False
    extensions.init(app)
    errors.register(app)
    for module in (
        partnerships,
        events,
        portfolio,
        log,
        catalog,
        tokens,
        health,
        docs,
        stream,
        series,
        metrics,
        dashboard,
    ):
        app.register_blueprint(module.bp)
    # Nothing here touches the database: a worker must boot while it is down (see extensions).
    return app
