"""Headers every answer gets on its way out: security headers on HTML, CORS for the origins the
configuration allows, and one `Date` (the server's).

Settings: `cors_origins` (default none): the origins (`https://portal.example`) whose pages may
call the API from a browser; `*` allows any. Preflights (`OPTIONS`) are answered for them.
"""

from __future__ import annotations

from flask import Flask, Response, request

from api.services import settings

# Nothing inline, nothing from elsewhere: the page's script and styles are files of the app.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HTML_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# What a page elsewhere may send and read.
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "Last-Event-ID",
    "X-Request-ID",
)
EXPOSED_HEADERS = (
    "ETag",
    "Location",
    "Pactlog-Position",
    "Idempotent-Replayed",
    "Retry-After",
    "X-Request-ID",
)
PREFLIGHT_MAX_AGE = 600


def register(app: Flask) -> None:
    app.after_request(_finish)


def _finish(response: Response) -> Response:
    # Werkzeug's conditional answers set a Date and every server adds its own: keep the server's.
    del response.headers["Date"]
    if response.mimetype == "text/html":
        for name, value in HTML_HEADERS.items():
            response.headers.setdefault(name, value)
    else:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    _cors(response)
    return response


def _cors(response: Response) -> None:
    origin = request.headers.get("Origin")
    if not origin:
        return
    allowed = settings().cors_origins
    response.vary.add("Origin")
    if origin.rstrip("/") not in allowed and "*" not in allowed:
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
        response.headers["Access-Control-Allow-Methods"] = ", ".join(
            sorted(set(response.allow) - {"OPTIONS"}) or ["GET"]
        )
        response.headers["Access-Control-Allow-Headers"] = ", ".join(ALLOWED_HEADERS)
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    else:
        response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
