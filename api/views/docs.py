"""The OpenAPI document and a page to read it, rendered on the server (works offline)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template_string
from markupsafe import Markup

from api.errors import PROBLEM_TYPES
from api.openapi import build_spec
from api.web import operation

bp = Blueprint("docs", __name__)


def spec() -> dict[str, Any]:
    """The document, built once per app (the routes do not change after start)."""
    built = current_app.extensions.get("pactlog.openapi")
    if built is None:
        built = current_app.extensions["pactlog.openapi"] = build_spec(current_app)
    return dict(built)


@bp.get("/openapi.json")
@operation(scope=None, response={"type": "object"})
def openapi() -> Any:
    """The OpenAPI 3 document of this API."""
    return spec()


@bp.get("/docs")
@operation(scope=None, response={"type": "string"}, media="text/html")
def docs() -> Any:
    """This API's reference, as a page."""
    return current_app.response_class(
        render_template_string(_PAGE, spec=spec(), problems=PROBLEM_TYPES, ref=_ref),
        mimetype="text/html",
    )


def _ref(schema: dict[str, Any] | None) -> Markup:
    """A schema in a few words: a link to its component, or its type."""
    if not schema:
        return Markup("")
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return Markup('<a href="#schema-{0}">{0}</a>').format(name)
    if "oneOf" in schema:
        return Markup(" or ").join(_ref(s) for s in schema["oneOf"])
    if schema.get("type") == "array":
        return Markup("array of {}").format(_ref(schema.get("items")))
    return Markup("{}").format(schema.get("type", "object"))


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ spec.info.title }} API</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:13px ui-monospace,monospace}h2{margin-top:2.5rem;border-bottom:1px solid #ddd}
.op{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4rem;font-weight:700;text-transform:uppercase}
.get{color:#0a6}.post{color:#06c}table{border-collapse:collapse;margin:.4rem 0}
td,th{border-bottom:1px solid #eee;padding:.2rem .6rem;text-align:left;vertical-align:top}
.muted{color:#777}
</style></head><body>
<h1>{{ spec.info.title }} API <span class="muted">v{{ spec.info.version }}</span></h1>
<p>{{ spec.info.description }}</p>
<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI
{{ spec.openapi }}). Send <code>Authorization: Bearer &lt;token&gt;</code>.</p>
<h2>Endpoints</h2>
{% for path, ops in spec.paths.items() %}{% for method, op in ops.items() %}
<div class="op" id="{{ op.operationId }}">
<div><span class="m {{ method }}">{{ method }}</span> <code>{{ path }}</code>
 — {{ op.summary }}</div>
{% if op.description %}<p>{{ op.description }}</p>{% endif %}
{% if op.security %}<p class="muted">Scope: {% for s in op.security %}
{% for name, scopes in s.items() %}{{ scopes|join(", ") }}{% endfor %}
{% if not s %}anonymous allowed{% endif %}{% if not loop.last %} or {% endif %}{% endfor %}
</p>{% endif %}
{% if op.parameters %}<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code>{% if p.required %} *{% endif %}</td>
<td>{{ p.in }}</td><td>{{ ref(p.schema) }}</td><td>{{ p.description }}</td></tr>{% endfor %}
</table>{% endif %}
{% if op.requestBody %}<p>Body: <code>{{ ref(op.requestBody.content["application/json"].schema)
 }}</code></p>{% endif %}
<table>{% for status, r in op.responses.items() %}<tr><td>{{ status }}</td><td>{{ r.description }}
{% for type, c in (r.content or {}).items() %} <code>{{ type }}</code> {{ ref(c.schema) }}
{% endfor %}</td></tr>{% endfor %}</table>
</div>{% endfor %}{% endfor %}
<h2>Schemas</h2>
{% for name, schema in spec.components.schemas.items() %}
<h3 id="schema-{{ name }}">{{ name }}</h3>{% if schema.description %}<p>{{ schema.description }}
</p>{% endif %}<table><tr><th>field</th><th>type</th><th>description</th></tr>
{% for field, f in (schema.properties or {}).items() %}<tr><td><code>{{ field }}</code>
{% if field in (schema.required or []) %} *{% endif %}</td><td>{{ ref(f) }}{% if f.enum %}:
{{ f.enum|join(", ") }}{% endif %}</td><td>{{ f.description }}</td></tr>{% endfor %}</table>
{% endfor %}
<h2>Problems</h2>
<table><tr><th>type</th><th>status</th><th>title</th></tr>
{% for kind, (status, title) in problems.items() %}<tr id="problem-{{ kind }}">
<td><code>/docs#problem-{{ kind }}</code></td><td>{{ status }}</td><td>{{ title }}</td></tr>
{% endfor %}</table>
</body></html>
"""
