"""The OpenAPI 3 document, generated (apispec + its marshmallow plugin) from the `@operation`
declarations of the registered views: their schemas, headers, scopes and docstrings."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from api.errors import PROBLEM_JSON, PROBLEM_TYPES
from api.schemas import Instant, PeriodBound, ProblemOut
from api.services import services
from api.web import Operation
from events.fields import Amount, PartialDateField

_PATH_VARIABLE = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")
_DESCRIPTIONS = {
    "slug": "The partnership's slug, e.g. openai-microsoft.",
    "event_id": "The event's id (a UUID).",
}
_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    304: "Not modified since the ETag you sent",
}


def build_spec(app: Flask) -> dict[str, Any]:
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="pactlog",
        version="1",
        openapi_version="3.0.3",
        plugins=[plugin],
        info={
            "description": "An event-sourced, bitemporal timeline of business partnerships. "
            "Errors are RFC 9457 problem+json; every read names the log position it reflects."
        },
    )
    plugin.map_to_openapi_type(PartialDateField, "string", None)  # type: ignore[no-untyped-call]
    plugin.map_to_openapi_type(Amount, "string", None)  # type: ignore[no-untyped-call]
    plugin.map_to_openapi_type(PeriodBound, "string", None)  # type: ignore[no-untyped-call]
    plugin.map_to_openapi_type(Instant, "string", None)  # type: ignore[no-untyped-call]
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Problem", schema=ProblemOut)
    anonymous_reads = services(app).settings.anonymous_reads
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        declared: Operation | None = getattr(view, "operation", None)
        if view is None or declared is None:
            continue
        path = _PATH_VARIABLE.sub(r"{\1}", rule.rule)
        operations = {
            method.lower(): _operation(
                rule.endpoint, view, declared, rule.arguments, anonymous_reads
            )
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        }
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(
    endpoint: str, view: Any, declared: Operation, arguments: set[str], anonymous_reads: bool
) -> dict[str, Any]:
    doc = (view.__doc__ or "").strip()
    summary, _, description = doc.partition("\n")
    operation: dict[str, Any] = {
        "operationId": endpoint.replace(".", "_").rstrip("_"),
        "summary": summary.strip(),
        "tags": [view.__module__.rsplit(".", 1)[-1]],
        "parameters": [
            {
                "in": "path",
                "name": name,
                "required": True,
                "schema": {"type": "string"},
                "description": _DESCRIPTIONS.get(name, ""),
            }
            for name in sorted(arguments)
        ],
        "responses": _responses(declared),
    }
    if description.strip():
        operation["description"] = description.strip()
    if declared.query is not None:
        operation["parameters"].append({"in": "query", "schema": declared.query})
    for header in declared.headers:
        operation["parameters"].append(
            {
                "in": "header",
                "name": header.name,
                "required": False,
                "schema": header.schema,
                "description": header.description,
            }
        )
    if declared.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": declared.body}},
        }
    if declared.scope is None:
        operation["security"] = []
    elif declared.scope == "read" and anonymous_reads:
        operation["security"] = [{}, {"bearer": ["read"]}]
    else:
        operation["security"] = [{"bearer": [declared.scope]}]
    return operation


def _responses(declared: Operation) -> dict[str, Any]:
    success: dict[str, Any] = {"description": _STATUS_TEXT.get(declared.status, "OK")}
    if declared.response is not None:
        success["content"] = {declared.media: {"schema": declared.response}}
    responses: dict[str, Any] = {str(declared.status): success}
    if declared.conditional and declared.status == 200:
        responses["304"] = {"description": _STATUS_TEXT[304]}
    statuses = set(declared.errors)
    if declared.scope is not None:
        statuses |= {401, 403}
    if declared.query is not None:
        statuses.add(422)
    for status in sorted(statuses):
        kinds = [kind for kind, (code, _) in PROBLEM_TYPES.items() if code == status]
        responses[str(status)] = {
            "description": "; ".join(PROBLEM_TYPES[k][1] for k in kinds) or "Problem",
            "content": {PROBLEM_JSON: {"schema": ProblemOut}},
        }
    responses["default"] = {
        "description": "Any other problem (RFC 9457)",
        "content": {PROBLEM_JSON: {"schema": ProblemOut}},
    }
    return responses
