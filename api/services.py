"""The services a request uses: one typed container per app, its members built lazily once per
process (so after gunicorn forks: the fork check lives here, once)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar, cast

from flask import Flask, current_app

from api.settings import Settings
from api.sse import message
from service.livelog import LogWatch
from service.pactlog import PactlogService
from service.policies import PolicyLibrary
from service.tokens import TokenStore

T = TypeVar("T")
_KEY = "pactlog.services"


class Services:
    """This process's `PactlogService`, token store and log watch, and the settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()  # the watch is built with the service
        self._pid = os.getpid()
        self._built: dict[str, object] = {}

    @property
    def pactlog(self) -> PactlogService:
        """The only thing the API calls for the domain."""
        return self._member(
            "pactlog",
            lambda: PactlogService(
                self.settings.database_url,
                project_inline=self.settings.project_inline,
                process="api",
            ),
        )

    @property
    def tokens(self) -> TokenStore:
        """The token store, with ADMIN_TOKEN stored (hashed) the first time it is built.

        Built on first use, not when the app is created: a worker that starts while the
        database is down must still boot (answering 503 until the database is back), or
        gunicorn's master gives up and exits."""
        return self._member("tokens", self._token_store)

    def _token_store(self) -> TokenStore:
        store = TokenStore(self.settings.database_url, process="api")
        if self.settings.admin_token:
            try:
                store.ensure("admin (ADMIN_TOKEN)", ["admin"], self.settings.admin_token)
            except BaseException:
                store.close()
                raise
        return store

    @property
    def policies(self) -> PolicyLibrary:
        """The trust policies `policy=` may name (the settings' directory, and `default`)."""
        return self._member("policies", lambda: PolicyLibrary(self.settings.policies_dir))

    @property
    def watch(self) -> LogWatch:
        """The log watch of this process's live streams."""
        return self._member(
            "watch",
            lambda: LogWatch(
                self.pactlog.last_position,
                self.settings.stream_poll_seconds,
                read_log=self.pactlog.log,
                render=message,
            ),
        )

    def existing_watch(self) -> LogWatch | None:
        """The log watch if this process has one (without building it)."""
        with self._lock:
            self._forget_after_fork()
            return cast(LogWatch | None, self._built.get("watch"))

    def _forget_after_fork(self) -> None:
        """What a parent process built is not ours to use (or to close)."""
        if self._pid != os.getpid():
            self._built, self._pid = {}, os.getpid()

    def _member(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            self._forget_after_fork()
            if name not in self._built:
                self._built[name] = build()
            return cast(T, self._built[name])

    def close(self) -> None:
        """Close what this process built (tests, CLI)."""
        with self._lock:
            self._forget_after_fork()
            built, self._built = self._built, {}
        for name in ("pactlog", "tokens"):
            member = built.get(name)
            if isinstance(member, PactlogService | TokenStore):
                member.close()


def install(app: Flask, settings: Settings) -> Services:
    services = Services(settings)
    app.extensions[_KEY] = services
    return services


def services(app: Flask | None = None) -> Services:
    """The app's container (the current app's by default)."""
    extensions = (app or current_app).extensions
    return cast(Services, extensions[_KEY])


def pactlog() -> PactlogService:
    return services().pactlog


def tokens() -> TokenStore:
    return services().tokens


def settings() -> Settings:
    return services().settings
