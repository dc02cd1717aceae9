"""Every error the API answers, in one place: RFC 9457 `application/problem+json`.

A `Problem` names what went wrong and, where a field is to blame, which one (`errors`, each with
the dotted `field`, a JSON `pointer` and a `detail`). Domain errors from `events.errors` map to
statuses here; Werkzeug's HTTP errors (404 route, 405, 413, …) become problems too; a store that
cannot be reached (`service.availability.STORE_ERRORS`) is a 503 with `Retry-After`; anything
unexpected is a 500 that reveals nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from flask import Flask, Response, current_app, json, request
from werkzeug.exceptions import HTTPException

from events.errors import (
    Conflict,
    DomainError,
    DuplicateEventId,
    EventNotFound,
    IdempotencyKeyReused,
    InvalidEvent,
    PartnershipExists,
    PartnershipNotFound,
    RuleViolated,
    StaleVersion,
)
from service.availability import STORE_ERRORS

PROBLEM_JSON = "application/problem+json"

# problem type slug -> (status, title); each is documented at /docs#problem-<slug>.
PROBLEM_TYPES: dict[str, tuple[int, str]] = {
    "malformed-request": (400, "The request is malformed"),
    "unauthorized": (401, "A valid bearer token is needed"),
    "forbidden": (403, "The token lacks the scope this needs"),
    "not-found": (404, "Not found"),
    "partnership-not-found": (404, "No such partnership"),
    "event-not-found": (404, "No such event"),
    "partnership-exists": (409, "The partnership already exists"),
    "duplicate-event-id": (409, "The event id is already used by other content"),
    "conflict": (409, "The partnership kept changing; try again"),
    "stale-version": (412, "The partnership moved past the expected version"),
    "payload-too-large": (413, "The request body is too large"),
    "unsupported-media-type": (415, "Send JSON (Content-Type: application/json)"),
    "invalid-input": (422, "The input is not valid"),
    "rule-violated": (422, "A write rule refuses the event"),
    "idempotency-key-reused": (422, "The Idempotency-Key was used for another request"),
    "not-ready": (503, "Not ready: try again shortly"),
    "store-unavailable": (503, "The event store is unavailable: try again shortly"),
    "internal-error": (500, "Internal error"),
}


class Problem(Exception):
    """An answer other than success, rendered as problem+json."""

    def __init__(
        self,
        kind: str,
        detail: str | None = None,
        *,
        status: int | None = None,
        title: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        default_status, default_title = PROBLEM_TYPES.get(kind, (500, kind))
        self.kind = kind
        self.status = status or default_status
        self.title = title or default_title
        self.detail = detail
        self.errors = errors or []
        self.headers = dict(headers or {})
        self.extensions = extensions
        super().__init__(detail or self.title)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"/docs#problem-{self.kind}",
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            body["detail"] = self.detail
        body["instance"] = request.path
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extensions)
        return body

    def response(self) -> Response:
        response = Response(json.dumps(self.body()), status=self.status, content_type=PROBLEM_JSON)
        response.headers.update(self.headers)
        return response


def field_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """marshmallow's nested messages as a flat list naming each field (`data.amount`)."""
    return [
        {"field": name, "pointer": "/" + name.replace(".", "/") if name else "", "detail": text}
        for name, text in _flatten(messages, prefix)
    ]


def _flatten(messages: Any, prefix: str) -> Iterator[tuple[str, str]]:
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = prefix if key == "_schema" else ".".join(p for p in (prefix, str(key)) if p)
            yield from _flatten(value, name)
    elif isinstance(messages, list | tuple):
        for item in messages:
            yield from _flatten(item, prefix)
    else:
        yield prefix, str(messages)


def invalid(messages: Any, detail: str | None = None, prefix: str = "") -> Problem:
    errors = field_errors(messages, prefix)
    names = ", ".join(dict.fromkeys(e["field"] or "(body)" for e in errors))
    return Problem("invalid-input", detail or f"Invalid: {names}.", errors=errors)


def from_domain(error: DomainError) -> Problem:
    """The status and problem type of each domain error."""
    if isinstance(error, InvalidEvent):
        return invalid(error.messages)
    if isinstance(error, RuleViolated):
        return Problem(
            "rule-violated",
            error.message,
            errors=[
                {
                    "field": error.field,
                    "pointer": "/" + error.field.replace(".", "/"),
                    "detail": error.message,
                }
            ],
        )
    if isinstance(error, PartnershipNotFound):
        return Problem("partnership-not-found", str(error), partnership=error.slug)
    if isinstance(error, EventNotFound):
        return Problem("event-not-found", str(error), event_id=error.event_id)
    if isinstance(error, PartnershipExists):
        return Problem(
            "partnership-exists",
            str(error),
            errors=[{"field": "slug", "pointer": "/slug", "detail": str(error)}],
            partnership=error.slug,
        )
    if isinstance(error, StaleVersion):
        return Problem(
            "stale-version",
            str(error),
            errors=[{"field": "If-Match", "pointer": "", "detail": str(error)}],
            expected_version=error.expected,
            current_version=error.actual,
        )
    if isinstance(error, DuplicateEventId):
        return Problem(
            "duplicate-event-id",
            str(error),
            errors=[{"field": "id", "pointer": "/id", "detail": str(error)}],
            event_id=error.event_id,
        )
    if isinstance(error, IdempotencyKeyReused):
        return Problem(
            "idempotency-key-reused",
            str(error),
            errors=[{"field": "Idempotency-Key", "pointer": "", "detail": str(error)}],
        )
    if isinstance(error, Conflict):
        return Problem("conflict", str(error), headers={"Retry-After": "1"})
    return Problem("invalid-input", str(error))


_HTTP_KINDS = {
    400: "malformed-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    413: "payload-too-large",
    415: "unsupported-media-type",
}


def from_http(error: HTTPException) -> Problem:
    status = error.code or 500
    kind = _HTTP_KINDS.get(status, "http-error")
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    detail = error.description
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        detail = f"The body is over the limit of {limit} bytes."
    return Problem(kind, detail, status=status, title=error.name, headers=headers)


def register(app: Flask) -> None:
    """Install the handlers: every error leaves as problem+json."""

    @app.errorhandler(Problem)
    def _problem(error: Problem) -> Response:
        return error.response()

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response:
        return from_domain(error).response()

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        return from_http(error).response()

    def _store_unavailable(error: Exception) -> Response:
        current_app.logger.warning(
            "store unavailable on %s %s: %s", request.method, request.path, error
        )
        return Problem(
            "store-unavailable",
            "The event store cannot be reached; retry with the same Idempotency-Key.",
            headers={"Retry-After": "1"},
        ).response()

    for store_error in STORE_ERRORS:
        app.register_error_handler(store_error, _store_unavailable)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return Problem("internal-error", "Something went wrong on our side.").response()
