"""The OpenAPI 3 document, generated (apispec + its marshmallow plugin) from the `@operation`
declarations of the registered views: their schemas, headers, scopes and docstrings."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from api.contracts import DOCUMENTED, TYPED_AS
from api.errors import PROBLEM_JSON, PROBLEM_TYPES
from api.schemas import Instant, PeriodBound, ProblemOut
from api.services import services
from api.web import Operation
from events.catalog import CATALOG
from events.fields import Amount, PartialDateField
from service.read.series import METRICS

_PATH_VARIABLE = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")
_DESCRIPTIONS = {
    "slug": "The partnership's slug, e.g. openai-microsoft.",
    "event_id": "The event's id (a UUID).",
}
# Path parameters with a closed set of values (views add theirs).
PATH_ENUMS = {"metric": list(METRICS)}
# The reference lists the API first, the pages last.
TAG_ORDER = (
    "partnerships", "events", "series", "portfolio", "search", "organizations", "whatif", "log",
    "stream", "export", "catalog", "tokens", "health", "metrics", "docs", "signin", "dashboard",
    "network",
)  # fmt: skip
# What generated clients call each operation (endpoint -> operationId).
OPERATION_IDS = {
    "partnerships.create": "create_partnership",
    "partnerships.list_": "list_partnerships",
    "partnerships.state": "get_state",
    "partnerships.trust": "get_trust",
    "partnerships.diff": "get_diff",
    "partnerships.verify": "verify_partnership",
    "events.append": "append_events",
    "events.timeline": "get_timeline",
    "events.event": "get_event",
    "series.series": "get_series",
    "portfolio.investments": "list_investments",
    "portfolio.disputes": "list_disputes",
    "log.log": "list_log_events",
    "stream.stream": "stream_log_events",
    "catalog.catalog": "get_catalog",
    "tokens.create": "create_token",
    "tokens.list_": "list_tokens",
    "tokens.revoke": "revoke_token",
    "health.healthz": "check_liveness",
    "health.readyz": "check_readiness",
    "metrics.metrics": "get_metrics",
    "docs.openapi": "get_openapi_document",
    "docs.docs": "get_reference_page",
    "docs.problems": "get_problem_types_page",
    "docs.asset": "get_reference_asset",
    "dashboard.page": "get_dashboard_page",
    "dashboard.stylesheet": "get_dashboard_stylesheet",
    "dashboard.script": "get_dashboard_script",
    "dashboard.favicon": "get_favicon",
    "dashboard.favicon_ico": "get_favicon_ico",
    "signin.form": "get_sign_in_page",
    "signin.sign_in": "sign_in",
    "signin.sign_out": "sign_out",
    "search.search": "search_timelines",
    "search.partnership_search": "search_partnership",
    "organizations.list_": "list_organizations",
    "organizations.one": "get_organization",
    "policies.policies": "list_trust_policies",
    "export.log": "export_log",
    "export.timeline": "export_timeline",
    "export.snapshot": "export_snapshot",
    "network.page": "get_network_page",
}
_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    303: "See Other: go on to `Location`",
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
    for name, documented in DOCUMENTED.items():
        spec.components.schema(name, schema=documented)
    for event_type, data in CATALOG.items():
        spec.components.schema(f"{event_type}Data", schema=data)
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
    document = spec.to_dict()
    document["tags"] = [{"name": name} for name in TAG_ORDER]
    _one_schema_per_event_type(document["components"]["schemas"])
    tidy: dict[str, Any] = _tidy(document)
    return tidy


def _one_schema_per_event_type(schemas: dict[str, Any]) -> None:
    """`EventInput` and `RecordedEvent` become a `oneOf` with one schema per event type (its
    `type` a one-value enum, its `data` that type's schema), discriminated by `type`."""
    for name, suffix in (("EventInput", "Input"), ("RecordedEventOut", "Event")):
        generic = schemas[name]
        mapping = {}
        for event_type in CATALOG:
            specific = {
                **generic,
                "description": f"A {event_type} event.",
                "properties": {
                    **generic["properties"],
                    "type": {"type": "string", "enum": [event_type]},
                    "data": {"$ref": f"#/components/schemas/{event_type}Data"},
                },
                "required": sorted({*generic.get("required", []), "type", "data"}),
            }
            schemas[f"{event_type}{suffix}"] = specific
            mapping[event_type] = f"#/components/schemas/{event_type}{suffix}"
        schemas[name] = {
            "description": generic.get("description", ""),
            "oneOf": [{"$ref": ref} for ref in mapping.values()],
            "discriminator": {"propertyName": "type", "mapping": mapping},
        }


def _tidy(node: Any) -> Any:
    """What the generator leaves loose: fields that only document a read model
    (`x-pactlog-typed-as`) point to it; enums list no `null` (an absent parameter is not a
    value); a member that may be null is not also required."""
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _tidy(value) for key, value in node.items()}
    if "enum" in node:
        node["enum"] = [value for value in node["enum"] if value is not None]
    typed_as = node.pop(TYPED_AS, None)
    if typed_as is not None:
        ref = {"$ref": f"#/components/schemas/{typed_as}"}
        if node.get("type") == "array":
            node["items"] = ref
        else:
            description = node.get("description")
            node = {"allOf": [ref]}
            if description:
                node["description"] = description
    if isinstance(node.get("properties"), dict) and node.get("required"):
        # A member that may be null is not required: generators (datamodel-codegen without
        # --strict-nullable) read required as "never null".
        nullable = {
            k for k, v in node["properties"].items() if isinstance(v, dict) and v.get("nullable")
        }
        node["required"] = [name for name in node["required"] if name not in nullable]
        if not node["required"]:
            del node["required"]
    if node.get("in") == "query" and isinstance(node.get("schema"), dict):
        node["schema"].pop("nullable", None)
        if "default" in node["schema"] and node["schema"]["default"] is None:
            del node["schema"]["default"]
    return node


def _operation(
    endpoint: str, view: Any, declared: Operation, arguments: set[str], anonymous_reads: bool
) -> dict[str, Any]:
    doc = (view.__doc__ or "").strip()
    summary, _, description = doc.partition("\n")
    operation: dict[str, Any] = {
        "operationId": OPERATION_IDS.get(endpoint, endpoint.replace(".", "_")),
        "summary": summary.strip(),
        "tags": [view.__module__.rsplit(".", 1)[-1]],
        "parameters": [
            {
                "in": "path",
                "name": name,
                "required": True,
                "schema": {"type": "string", "enum": PATH_ENUMS[name]}
                if name in PATH_ENUMS
                else {"type": "string"},
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
        for media, schema in declared.alternatives:
            success["content"][media] = {"schema": schema}
    responses: dict[str, Any] = {str(declared.status): success}
    for status in declared.pages:
        responses[str(status)] = {
            "description": _STATUS_TEXT.get(status, "A page that says why"),
            "content": {declared.media: {"schema": {"type": "string"}}},
        }
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
