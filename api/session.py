"""Browser sessions: how a person reads the dashboard when reads need a token.

Signing in takes a token that may read and gives the browser a session of its own: a new token
with only the `read` scope, whose secret travels in an HttpOnly, SameSite=Strict cookie (a page's
script cannot read it, and no other site's request carries it). The cookie counts for reads only
(so no form elsewhere can make it write), it expires after `SESSION_MAX_SECONDS`, and signing out
revokes the session's token at once. Every worker checks it against the token store: no secret
key to share between processes.

Settings: `session_max_seconds` (default 43200, 12 hours): how long a sign-in lasts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, request

from api.services import settings
from service.tokens import IssuedToken, Token, TokenStore

COOKIE = "pactlog_session"
SESSION_NAME = "browser session"


def max_seconds() -> int:
    return settings().session_max_seconds


def is_session(token: Token) -> bool:
    return token.name.startswith(SESSION_NAME)


def expired(token: Token) -> bool:
    """A session token past its age (other tokens do not expire)."""
    if not is_session(token):
        return False
    created = datetime.fromisoformat(token.created_at)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return (datetime.now(UTC) - created).total_seconds() > max_seconds()


def current(store: TokenStore) -> Token | None:
    """The live, unexpired session token of this request's cookie, or None."""
    secret = request.cookies.get(COOKIE)
    if not secret:
        return None
    token = store.authenticate(secret)
    if token is None or not is_session(token) or expired(token):
        return None
    return token


def start(store: TokenStore, signed_in_with: Token) -> IssuedToken:
    return store.create(f"{SESSION_NAME} (signed in with {signed_in_with.name})", ["read"])


def set_cookie(response: Response, issued: IssuedToken) -> None:
    response.set_cookie(
        COOKIE,
        issued.secret,
        max_age=max_seconds(),
        path="/",
        secure=request.is_secure,
        httponly=True,
        samesite="Strict",
    )


def clear_cookie(response: Response) -> None:
    response.delete_cookie(
        COOKIE, path="/", secure=request.is_secure, httponly=True, samesite="Strict"
    )
