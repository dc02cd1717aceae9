"""The one wiring point: `create_app(settings)` builds the app from its settings.

`settings` is an `api.settings.Settings` or plain config with its upper-case names
(`DATABASE_URL` required; see `Settings` for the rest and their defaults). Nothing below reads
the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import BaseConverter

from api import access, errors, headers, services
from api.settings import Settings
from api.views import (
    catalog,
    dashboard,
    docs,
    events,
    export,
    health,
    log,
    metrics,
    network,
    organizations,
    partnerships,
    portfolio,
    search,
    series,
    signin,
    stream,
    tokens,
    whatif,
)
from events.fields import SLUG_PATTERN


class SlugConverter(BaseConverter):
    """Only well-formed slugs reach a view; anything else is a 404."""

    regex = SLUG_PATTERN.pattern


class AnswerJSON(DefaultJSONProvider):
    """Answers keep their fields in the schemas' order and their text as written."""

    sort_keys = False
    ensure_ascii = False


def create_app(config: Settings | Mapping[str, Any]) -> Flask:
    settings = config if isinstance(config, Settings) else Settings.from_config(config)
    app = Flask("pactlog")
    app.config.update(settings.flask_config())
    app.json = AnswerJSON(app)
    app.url_map.converters["slug"] = SlugConverter
    app.url_map.strict_slashes = False
    services.install(app, settings)
    errors.register(app)
    access.register(app)
    headers.register(app)
    for module in (
        partnerships,
        events,
        export,
        portfolio,
        organizations,
        log,
        catalog,
        tokens,
        health,
        docs,
        stream,
        search,
        series,
        metrics,
        dashboard,
        signin,
        network,
        whatif,
    ):
        app.register_blueprint(module.bp)
    # Nothing here touches the database: a worker must boot while it is down (see services).
    return app
