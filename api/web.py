"""What every view shares, declared once per view with `@operation(...)`: the scope it needs, the
schemas of its query, body and answer (the same declaration feeds the OpenAPI document), reading
your own write (`min_position`), and `ETag`/`If-None-Match` on reads."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Response, current_app, g, json, request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from api import session
from api.errors import Problem, invalid
from api.services import pactlog, settings, tokens
from events import strict_json
from service.tokens import Token

View = Callable[..., Any]


@dataclass(frozen=True)
class Header:
    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class Operation:
    """How a view is called and documented."""

    scope: str | None = "read"
    query: type[Schema] | None = None
    body: type[Schema] | dict[str, Any] | None = None
    response: type[Schema] | dict[str, Any] | None = None
    status: int = 200
    headers: tuple[Header, ...] = ()
    errors: tuple[int, ...] = ()
    conditional: bool = True
    media: str = "application/json"
    # Other representations of the answer, by Accept: (media type, schema).
    alternatives: tuple[tuple[str, Any], ...] = ()
    # Other statuses answered in `media` rather than as problems (a page's 401, say).
    pages: tuple[int, ...] = ()
    # Called with the view's arguments once the request is authorized, before its query is
    # parsed: a ready answer (a kept one, `api.headers.already_kept`) or None.
    answered: Callable[..., Response | None] | None = None


def operation(
    *,
    scope: str | None = "read",
    query: type[Schema] | None = None,
    body: type[Schema] | dict[str, Any] | None = None,
    response: type[Schema] | dict[str, Any] | None = None,
    status: int = 200,
    headers: tuple[Header, ...] = (),
    errors: tuple[int, ...] = (),
    conditional: bool = True,
    media: str = "application/json",
    alternatives: tuple[tuple[str, Any], ...] = (),
    pages: tuple[int, ...] = (),
    answered: Callable[..., Response | None] | None = None,
) -> Callable[[View], View]:
    """Wrap a view: authorize, load `args` (query) and `body` (JSON, when `body` is a schema
    class), wait for `min_position`, and dump what the view returns with `response`.

    A view returns a payload, or `(payload, headers)`, or a ready `Response`.
    """
    spec = Operation(
        scope,
        query,
        body,
        response,
        status,
        headers,
        errors,
        conditional,
        media,
        alternatives,
        pages,
        answered,
    )

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(**kwargs: Any) -> Response:
            authorize(spec.scope)
            if spec.answered is not None and (ready := spec.answered(**kwargs)) is not None:
                return ready
            if spec.query is not None:
                args = load(spec.query, _query_args())
                wait_for(args.pop("min_position", None))
                kwargs["args"] = args
            if isinstance(spec.body, type):
                kwargs["body"] = load(spec.body, json_body())
            result = view(**kwargs)
            if isinstance(result, Response):
                return result
            payload, extra = result if isinstance(result, tuple) else (result, {})
            return respond(payload, spec, extra)

        wrapper.operation = spec  # type: ignore[attr-defined]
        return wrapper

    return decorate


# --- input ---------------------------------------------------------------------------------


@functools.cache
def instance(schema: type[Schema]) -> Schema:
    """One shared instance per schema class: building one is costly, using one keeps no
    per-call state."""
    return schema()


def _query_args() -> dict[str, Any]:
    args: dict[str, Any] = {}
    for name, values in request.args.lists():
        args[name] = values[0] if len(values) == 1 else ",".join(values)
    return args


def load(schema: type[Schema], data: Any, prefix: str = "") -> Any:
    """Load with `schema`; invalid input is a 422 naming each field."""
    if not isinstance(data, dict):
        raise invalid({"_schema": ["Expected a JSON object."]}, prefix=prefix)
    try:
        return instance(schema).load(data)
    except ValidationError as error:
        raise invalid(error.messages, prefix=prefix) from None


def json_body() -> Any:
    """The request's JSON: 415 if it is not JSON, 400 if it does not parse or is ambiguous (a
    duplicate key, NaN, a lone surrogate: see `events.strict_json`)."""
    if not request.is_json:
        raise Problem(
            "unsupported-media-type",
            f"Content-Type is {request.mimetype or 'missing'}; send application/json.",
        )
    raw = request.get_data(cache=True)
    _within_the_limit(raw)
    try:
        return strict_json.loads(raw)
    except strict_json.MalformedJson as error:
        errors = (
            [{"field": error.pointer[1:].replace("/", "."), "pointer": error.pointer,
              "detail": str(error)}]
            if error.pointer else []
        )  # fmt: skip
        raise Problem(
            "malformed-request", f"The body is not valid JSON: {error}", errors=errors
        ) from None


def _within_the_limit(raw: bytes) -> None:
    """A chunked body (no Content-Length) is cut at MAX_CONTENT_LENGTH by Werkzeug without a
    word; if the client sent more than that, it is a 413, not a truncated body (a 400)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    unsaid = request.content_length is None and limit is not None and len(raw) >= limit
    if unsaid and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


def header(name: str, *, max_length: int = 200) -> str | None:
    """A header's value exactly as sent: 1 to `max_length` visible ASCII characters (inner
    spaces allowed). Whitespace around it is refused, not trimmed: a key that means `k` to us
    but `  k  ` to the client (or a proxy) would match requests it should not."""
    value = request.headers.get(name)
    if value is None:
        return None
    if (
        not value
        or len(value) > max_length
        or not value.isascii()
        or not value.isprintable()
        or value != value.strip()
    ):
        raise Problem(
            "malformed-request",
            f"{name} must be 1 to {max_length} visible ASCII characters, with no whitespace "
            "around them.",
            errors=[{"field": name, "pointer": "", "detail": "Malformed header."}],
        )
    return value


# --- auth ----------------------------------------------------------------------------------


def authorize(scope: str | None) -> None:
    """Check the bearer token for `scope` (None: open to all)."""
    if scope is None:
        return
    given = request.headers.get("Authorization")
    if given is None:
        if scope == "read" and settings().anonymous_reads:
            return
        if scope == "read" and request.method in ("GET", "HEAD"):
            signed_in = session.current(tokens())
            if signed_in is not None:  # a browser session: reads only
                g.token = signed_in
                return
        raise Problem(
            "unauthorized",
            "Send Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": 'Bearer realm="pactlog"'},
        )
    kind, _, secret = given.partition(" ")
    token = None
    if kind.lower() == "bearer" and secret.strip():
        token = _authenticate(secret.strip())
    if token is None or session.expired(token):
        raise Problem(
            "unauthorized",
            "The bearer token is unknown, revoked or expired.",
            headers={"WWW-Authenticate": 'Bearer realm="pactlog", error="invalid_token"'},
        )
    if not token.allows(scope):
        raise Problem(
            "forbidden",
            f"This needs a token with the {scope!r} scope.",
            headers={
                "WWW-Authenticate": f'Bearer realm="pactlog", error="insufficient_scope", '
                f'scope="{scope}"'
            },
            required_scope=scope,
        )
    g.token = token


def _authenticate(secret: str) -> Token | None:
    return tokens().authenticate(secret)


# --- reading your own write ----------------------------------------------------------------


def wait_for(position: int | None) -> None:
    """Until the read side reflects `position`: 422 past the end of the log, 503 on time-out."""
    if not position:
        return
    service = pactlog()
    if position > service.last_position():
        raise invalid(
            {"min_position": [f"The log ends at {service.last_position()}."]},
            "min_position is beyond the end of the log.",
        )
    if not service.wait_for(position, timeout=settings().read_wait_seconds):
        raise Problem(
            "not-ready",
            f"The read side has not reached position {position} yet.",
            headers={"Retry-After": "1"},
        )


# --- output --------------------------------------------------------------------------------


def respond(payload: Any, spec: Operation, headers: dict[str, str]) -> Response:
    if spec.status == 204:
        return current_app.response_class(status=204, headers=headers)
    body = instance(spec.response).dump(payload) if isinstance(spec.response, type) else payload
    response = current_app.response_class(
        json.dumps(body), status=spec.status, mimetype="application/json"
    )
    response.headers.update(headers)
    if isinstance(body, dict) and isinstance(body.get("position"), int):
        response.headers["Pactlog-Position"] = str(body["position"])
    if spec.conditional and request.method in ("GET", "HEAD"):
        response.headers["Cache-Control"] = "no-cache"  # cache, but ask with the ETag first
        response.add_etag()
        response.make_conditional(request)
    return response
