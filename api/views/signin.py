"""Signing a browser in and out of the dashboard (see api/session.py for what a session is)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, render_template, request, url_for

from api import session
from api.services import tokens
from api.web import operation

bp = Blueprint("signin", __name__, template_folder="../templates")


@bp.get("/sign-in")
@operation(scope=None, response={"type": "string"}, media="text/html", conditional=False)
def form() -> Response:
    """The sign-in form: paste a token that may read (e.g. `pactlog token create --scope read`)."""
    return page(200, next_url=safe_next(request.args.get("next")))


@bp.post("/sign-in")
@operation(
    scope=None,
    response={"type": "string"},
    status=303,
    media="text/html",
    conditional=False,
    pages=(401, 403),
)
def sign_in() -> Response:
    """Sign in with a token (form field `token`); sets an HttpOnly, SameSite=Strict session
    cookie that lets this browser read, then goes on to `next` (default: the dashboard)."""
    next_url = safe_next(request.form.get("next"))
    if not same_origin():
        return page(403, next_url=next_url, error="Sign in from this site's own form.")
    store = tokens()
    secret = (request.form.get("token") or "").strip()
    token = store.authenticate(secret) if secret and secret.isprintable() else None
    if token is None or session.expired(token):
        return page(401, next_url=next_url, error="That token is unknown or revoked.")
    if not token.allows("read"):
        return page(403, next_url=next_url, error="That token may not read.")
    response = _redirect(next_url)
    session.set_cookie(response, session.start(store, token))
    return response


@bp.post("/sign-out")
@operation(
    scope=None, response={"type": "string"}, status=303, media="text/html", conditional=False
)
def sign_out() -> Response:
    """Sign out: the session's token is revoked and its cookie cleared."""
    if same_origin():
        store = tokens()
        token = session.current(store)
        if token is not None:
            store.revoke(token.id)
    response = _redirect(url_for("signin.form"))
    session.clear_cookie(response)
    return response


def _redirect(location: str) -> Response:
    response = current_app.response_class(status=303, mimetype="text/html")
    response.headers["Location"] = location
    response.headers["Cache-Control"] = "no-store"
    return response


def page(status: int, **context: Any) -> Response:
    hours = max(1, round(session.max_seconds() / 3600))
    body = render_template("dashboard/signin.html", session_hours=hours, **context)
    response = current_app.response_class(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="pactlog"'
    return response


def safe_next(value: str | None) -> str:
    """Only a path on this site (no other host, no scheme): the dashboard by default."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return url_for("dashboard.page")
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return url_for("dashboard.page")
    return value


def same_origin() -> bool:
    """A form posted from another site is refused (browsers send `Origin` on POST)."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return origin.rstrip("/") == request.host_url.rstrip("/")
