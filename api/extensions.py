"""The services a request uses, built lazily once per process (so after gunicorn forks) and kept
in `app.extensions`."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, current_app

from service.pactlog import PactlogService
from service.tokens import TokenStore

T = TypeVar("T")


def init(app: Flask) -> None:
    app.extensions["pactlog.lock"] = threading.Lock()


def _per_process(app: Flask, name: str, build: Callable[[], T]) -> T:
    pid = os.getpid()
    built = app.extensions.get(name)
    if built is not None and app.extensions.get(f"{name}.pid") == pid:
        return cast(T, built)
    with app.extensions["pactlog.lock"]:
        if app.extensions.get(name) is None or app.extensions.get(f"{name}.pid") != pid:
            app.extensions[name] = build()
            app.extensions[f"{name}.pid"] = pid
        return cast(T, app.extensions[name])


def pactlog(app: Flask | None = None) -> PactlogService:
    """This process's `PactlogService` (the only thing the API calls for the domain)."""
    app = app or cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    config = app.config
    return _per_process(
        app,
        "pactlog",
        lambda: PactlogService(
            config["DATABASE_URL"],
            project_inline=bool(config.get("PROJECT_INLINE", True)),
            process="api",
        ),
    )


def tokens(app: Flask | None = None) -> TokenStore:
    """This process's token store, with ADMIN_TOKEN stored (hashed) the first time it is built.

    Built on first use, not when the app is created: a worker that starts while the database
    is down must still boot (answering 503 until the database is back), or gunicorn's master
    gives up and exits."""
    app = app or cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    return _per_process(app, "pactlog.tokens", lambda: _token_store(app.config))


def _token_store(config: Any) -> TokenStore:
    store = TokenStore(config["DATABASE_URL"], process="api")
    if config.get("ADMIN_TOKEN"):
        try:
            store.ensure("admin (ADMIN_TOKEN)", ["admin"], str(config["ADMIN_TOKEN"]))
        except BaseException:
            store.close()
            raise
    return store


def close(app: Flask) -> None:
    """Close what this process built (tests, CLI)."""
    for name in ("pactlog", "pactlog.tokens"):
        built: Any = app.extensions.pop(name, None)
        if built is not None and app.extensions.pop(f"{name}.pid", None) == os.getpid():
            built.close()
