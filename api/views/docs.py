"""The OpenAPI document and an interactive reference to read and try it: Swagger UI, served from
the `swagger-ui-bundle` package (nothing from a CDN: it works offline), and a page documenting
every problem type at the anchor its `type` URI points to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import swagger_ui_bundle
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_from_directory,
)

from api.errors import PROBLEM_TYPES, problem_descriptions
from api.openapi import PATH_ENUMS, build_spec
from api.web import operation

bp = Blueprint("docs", __name__, template_folder="../templates")
SWAGGER_UI = Path(swagger_ui_bundle.swagger_ui_path)
STATIC = Path(__file__).resolve().parent.parent / "static"
# What the page loads: Swagger UI from the package (nothing else of it is served) and our own
# start-up script and styles (no inline script: the page's Content-Security-Policy forbids it).
ASSETS = {
    "swagger-ui.css": (SWAGGER_UI, "text/css"),
    "swagger-ui-bundle.js": (SWAGGER_UI, "text/javascript"),
    "docs.js": (STATIC, "text/javascript"),
    "docs.css": (STATIC, "text/css"),
}
PATH_ENUMS["name"] = list(ASSETS)


def spec() -> dict[str, Any]:
    """The document, built once per app (the routes do not change after start); `servers` names
    the URL it was asked at, as the client saw it."""
    built = current_app.extensions.get("pactlog.openapi")
    if built is None:
        built = current_app.extensions["pactlog.openapi"] = build_spec(current_app)
    document = dict(built)
    document["servers"] = [{"url": request.host_url.rstrip("/"), "description": "This server"}]
    return document


@bp.get("/openapi.json")
@operation(scope=None, response={"type": "object"})
def openapi() -> Any:
    """The OpenAPI 3 document of this API."""
    return spec()


@bp.get("/docs")
@operation(scope=None, response={"type": "string"}, media="text/html", conditional=False)
def docs() -> Response:
    """This API's interactive reference (Swagger UI: read it, and try requests with a token)."""
    return _html("docs/reference.html")


@bp.get("/docs/problems")
@operation(scope=None, response={"type": "string"}, media="text/html", conditional=False)
def problems() -> Response:
    """Every problem type an answer can name: its status, what it means, what to do."""
    rows = [
        {"kind": kind, "status": status, "title": title, "description": problem_descriptions[kind]}
        for kind, (status, title) in sorted(PROBLEM_TYPES.items(), key=lambda i: (i[1][0], i[0]))
    ]
    return _html("docs/problems.html", problems=rows)


@bp.get("/docs/assets/<name>")
@operation(
    scope=None,
    response={"type": "string"},
    media="text/javascript",
    alternatives=(("text/css", {"type": "string"}),),
    conditional=False,
)
def asset(name: str) -> Response:
    """The reference page's script and styles (Swagger UI's from the swagger-ui-bundle package)."""
    if name not in ASSETS:
        abort(404)
    directory, mimetype = ASSETS[name]
    return send_from_directory(directory, name, mimetype=mimetype, max_age=3600)


def _html(template: str, **context: Any) -> Response:
    response = current_app.response_class(
        render_template(template, **context), mimetype="text/html"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response
