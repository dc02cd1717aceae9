"""Every error the API answers, in one place: RFC 9457 `application/problem+json`.

A `Problem` names what went wrong and, where a field is to blame, which one (`errors`, each with
the dotted `field`, a JSON `pointer` and a `detail`). Domain errors from `events.errors` map to
statuses here through one table (`PROBLEMS`), and so do the service's own (`service.errors`: a store
that cannot be reached is a 503 with `Retry-After`); Werkzeug's HTTP errors (404 route, 405, 413,
…) become problems too; anything unexpected is a 500 that reveals nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask import Flask, Response, current_app, json, request
from werkzeug.exceptions import HTTPException

from api.services import settings
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
from service.errors import ServiceError, StoreUnavailable, TooManyPoints
from service.policies import InvalidPolicy, UnknownPolicy
from service.read.organizations import OrganizationNotFound
from service.read.search import BadSearch

PROBLEM_JSON = "application/problem+json"

# problem type slug -> (status, title); each is documented at /docs/problems#<slug>.
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
    "request-timeout": (408, "The request took too long to arrive"),
    "payload-too-large": (413, "The request body is too large"),
    "unsupported-media-type": (415, "Send JSON (Content-Type: application/json)"),
    "invalid-input": (422, "The input is not valid"),
    "rule-violated": (422, "A write rule refuses the event"),
    "idempotency-key-reused": (422, "The Idempotency-Key was used for another request"),
    "method-not-allowed": (405, "The method is not allowed here"),
    "http-error": (400, "The request cannot be answered as asked"),
    "not-ready": (503, "Not ready: try again shortly"),
    "store-unavailable": (503, "The event store is unavailable: try again shortly"),
    "internal-error": (500, "Internal error"),
}


# What each problem means and what to do, shown at /docs/problems#<slug> (its `type` URI).
problem_descriptions: dict[str, str] = {
    "malformed-request": "The body is not JSON, or a header (If-Match, Idempotency-Key, "
    "X-Request-ID) is malformed. Fix the request; retrying it as it is will fail again.",
    "unauthorized": "No token, or one that is unknown, revoked or expired. Send "
    "`Authorization: Bearer <token>` (a browser signs in at /sign-in).",
    "forbidden": "The token is valid but lacks the scope this needs (`required_scope` names "
    "it): read, append or admin.",
    "not-found": "No such route, or no such metric.",
    "partnership-not-found": "No partnership has this slug (`partnership`).",
    "event-not-found": "No event of this partnership has this id (`event_id`).",
    "partnership-exists": "A partnership with this slug exists already: choose another slug.",
    "duplicate-event-id": "The event id you chose belongs to an event with other content.",
    "conflict": "The partnership kept changing under concurrent appends; retry after "
    "`Retry-After` with the same Idempotency-Key.",
    "stale-version": "`If-Match` names a stream version the partnership has moved past: read "
    "it again (`current_version`) and decide.",
    "method-not-allowed": "The route exists but not for this method: `Allow` lists those it takes.",
    "http-error": "Another HTTP error (its `status` and `title` say which), e.g. 406 when no "
    "answer fits the `Accept` header.",
    "request-timeout": "The headers or the body arrived too slowly (answered by the nginx in "
    "front of the API): send the request again, at once.",
    "payload-too-large": "The body is over the configured limit (8 MiB by default): split a batch.",
    "unsupported-media-type": "Send JSON with `Content-Type: application/json`.",
    "invalid-input": "A field is invalid: `errors` lists each (`field`, `pointer`, `detail`). "
    "Nothing was stored.",
    "rule-violated": "A write rule refuses the event (e.g. escalating a dispute that is not "
    "open): `errors` names the field. Nothing was stored.",
    "idempotency-key-reused": "The Idempotency-Key was used with another body: use a new key "
    "for a new request.",
    "not-ready": "The read side has not reached `min_position` yet: retry after `Retry-After`.",
    "store-unavailable": "The event store cannot be reached: retry after `Retry-After`, with "
    "the same Idempotency-Key for writes.",
    "internal-error": "Something went wrong on our side; the log line with this answer's "
    "`X-Request-ID` says what.",
}


def problem_type(kind: str) -> str:
    """The absolute URI of a problem type: its entry on /docs/problems."""
    return f"{request.host_url}docs/problems#{kind}"


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
            "type": problem_type(self.kind),
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


def invalid(
    messages: Any, detail: str | None = None, prefix: str = "", **extensions: Any
) -> Problem:
    errors = field_errors(messages, prefix)
    names = ", ".join(dict.fromkeys(e["field"] or "(body)" for e in errors))
    return Problem("invalid-input", detail or f"Invalid: {names}.", errors=errors, **extensions)


def _field_problem(kind: str, field: str, pointer: str, error: Exception, **extra: Any) -> Problem:
    detail = str(error)
    return Problem(
        kind, detail, errors=[{"field": field, "pointer": pointer, "detail": detail}], **extra
    )


def _rule_violated(error: RuleViolated) -> Problem:
    pointer = "/" + error.field.replace(".", "/")
    return Problem(
        "rule-violated",
        error.message,
        errors=[{"field": error.field, "pointer": pointer, "detail": error.message}],
    )


def _store_unavailable(error: StoreUnavailable) -> Problem:
    current_app.logger.warning(
        "store unavailable on %s %s: %s", request.method, request.path, error.__cause__ or error
    )
    return Problem(
        "store-unavailable",
        "The event store cannot be reached; retry with the same Idempotency-Key.",
        headers={"Retry-After": "1"},
    )


# Every error of the domain (`events.errors`) and of the service (`service.errors`), class by
# class, with the problem it answers. A class missing here fails a test (tests/api/test_errors).
PROBLEMS: dict[type[Exception], Callable[[Any], Problem]] = {
    InvalidEvent: lambda e: invalid(e.messages),
    RuleViolated: _rule_violated,
    PartnershipNotFound: lambda e: Problem("partnership-not-found", str(e), partnership=e.slug),
    EventNotFound: lambda e: Problem("event-not-found", str(e), event_id=e.event_id),
    PartnershipExists: lambda e: _field_problem(
        "partnership-exists", "slug", "/slug", e, partnership=e.slug
    ),
    StaleVersion: lambda e: _field_problem(
        "stale-version", "If-Match", "", e, expected_version=e.expected, current_version=e.actual
    ),
    DuplicateEventId: lambda e: _field_problem(
        "duplicate-event-id", "id", "/id", e, event_id=e.event_id
    ),
    IdempotencyKeyReused: lambda e: _field_problem(
        "idempotency-key-reused", "Idempotency-Key", "", e
    ),
    Conflict: lambda e: Problem("conflict", str(e), headers={"Retry-After": "1"}),
    StoreUnavailable: _store_unavailable,
    TooManyPoints: lambda e: invalid({e.field: [str(e)]}),
    InvalidPolicy: lambda e: invalid(e.messages, "The trust policy is not valid.", prefix="policy"),
    UnknownPolicy: lambda e: invalid({"policy": [str(e)]}, policies=e.known),
    BadSearch: lambda e: invalid({e.field: [str(e)]}),
    OrganizationNotFound: lambda e: Problem("not-found", f"No organization {e.name!r}."),
}


def from_error(error: DomainError | ServiceError) -> Problem:
    """The problem a domain or service error answers: its class's entry in `PROBLEMS`."""
    answer = PROBLEMS.get(type(error))
    if answer is None:  # a class left out of the table (a test guards against it)
        current_app.logger.error("%s is not in api.errors.PROBLEMS", type(error).__name__)
        return Problem("internal-error", "Something went wrong on our side.")
    return answer(error)


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
    if status == 405:
        kind = "method-not-allowed"
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    detail = error.description
    if status == 413:
        limit = settings().max_content_length
        detail = f"The body is over the limit of {limit} bytes."
    return Problem(kind, detail, status=status, title=error.name, headers=headers)


def register(app: Flask) -> None:
    """Install the handlers: every error leaves as problem+json."""

    @app.errorhandler(Problem)
    def _problem(error: Problem) -> Response:
        return error.response()

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response:
        return from_error(error).response()

    @app.errorhandler(ServiceError)
    def _service(error: ServiceError) -> Response:
        return from_error(error).response()

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        return from_http(error).response()

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return Problem("internal-error", "Something went wrong on our side.").response()
