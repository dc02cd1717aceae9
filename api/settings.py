"""The API's settings: one object, its defaults, and the only reader of the environment.

`Settings.from_env()` is what the entry points (`pactlog …`, `api.wsgi`) call; `create_app`
also takes plain config (upper-case keys, e.g. from tests), which `from_config` reads. Nothing
below the factory looks at `os.environ`.

Environment (all optional): `DATABASE_URL` (default `sqlite:///var/pactlog.sqlite`),
`PACTLOG_ADMIN_TOKEN`, `PACTLOG_ANONYMOUS_READS`, `PACTLOG_MAX_CONTENT_LENGTH`,
`PACTLOG_PROJECT_INLINE`, `PACTLOG_READ_WAIT_SECONDS`, `PACTLOG_READY_WAIT_SECONDS`,
`PACTLOG_STREAM_MAX_SECONDS`, `PACTLOG_STREAM_HEARTBEAT_SECONDS`, `PACTLOG_STREAM_POLL_SECONDS`,
`PACTLOG_STREAM_RETRY_MS`, `PACTLOG_STREAM_MAX_CLIENTS`, `PACTLOG_THREADS` (under gunicorn),
`PACTLOG_CORS_ORIGINS`, `PACTLOG_LOG_FORMAT`, `PACTLOG_LOG_LEVEL`, `PACTLOG_SESSION_MAX_SECONDS`,
`PACTLOG_COMPRESS_MIN_BYTES`, `PACTLOG_POLICIES_DIR`, and `PROMETHEUS_MULTIPROC_DIR` (set up by
gunicorn.conf.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

DEFAULT_DATABASE_URL = "sqlite:///var/pactlog.sqlite"


@dataclass(frozen=True)
class Settings:
    database_url: str
    # Reads need no token.
    anonymous_reads: bool = False
    # A secret to store as an admin token when the process first reaches the database.
    admin_token: str | None = None
    # Larger bodies are a 413.
    max_content_length: int = 8 * 1024 * 1024
    # Reads project pending events first (one process, SQLite); False when a projector runs.
    project_inline: bool = True
    # How long `min_position` waits before a 503.
    read_wait_seconds: float = 5.0
    # How long /readyz lets the projections catch up.
    ready_wait_seconds: float = 2.0
    # One /v1/stream response lasts at most this long, then ends (the browser reconnects and
    # resumes with Last-Event-ID): an idle client holds a thread one slice at a time.
    stream_max_seconds: float = 25.0
    # A comment line this often, so proxies keep a quiet stream open.
    stream_heartbeat_seconds: float = 10.0
    # How often one thread per process looks for new events (local appends wake at once).
    stream_poll_seconds: float = 0.5
    # The reconnection delay a stream asks for.
    stream_retry_ms: int = 500
    # More concurrent streams in one process get a 503.
    stream_max_clients: int = 1000
    # Origins whose pages may call the API from a browser (CORS); `*` allows any. Given as a
    # tuple, or as one string of origins separated by commas or spaces.
    cors_origins: tuple[str, ...] = ()
    # `json`: one JSON line per request (and for every log record); `text`: logging as it is.
    log_format: str = "json"
    log_level: str = "INFO"
    # How long a browser's sign-in lasts.
    session_max_seconds: int = 12 * 3600
    # JSON and CSV answers at least this large are gzipped for clients that accept it.
    compress_min_bytes: int = 1024
    # Where gunicorn's workers keep their metrics (prometheus-client's multiprocess mode); none:
    # this process counts alone.
    metrics_dir: str | None = None
    # Where alternative trust policies live (`<name>.toml` / `<name>.json`), for `policy=`.
    policies_dir: str = ""

    def __post_init__(self) -> None:
        origins = self.cors_origins
        if isinstance(origins, str):
            origins = tuple(origins.replace(",", " ").split())
        object.__setattr__(
            self, "cors_origins", tuple(o.strip().rstrip("/") for o in origins if o.strip())
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """From plain config: each field by its upper-case name (`DATABASE_URL`, …)."""
        if not config.get("DATABASE_URL"):
            raise ValueError("create_app needs DATABASE_URL (sqlite:///path.db or postgresql://…)")
        given = {f.name: config[f.name.upper()] for f in fields(cls) if f.name.upper() in config}
        return cls(**given)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, anonymous_reads: bool = True
    ) -> Settings:
        """From the environment; `anonymous_reads` is the default of `PACTLOG_ANONYMOUS_READS`
        (on for `pactlog serve`, off under a WSGI server)."""
        env = os.environ if environ is None else environ
        settings = cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            anonymous_reads=anonymous_reads,
        )
        changes: dict[str, Any] = {
            "admin_token": env.get("PACTLOG_ADMIN_TOKEN") or None,
            "metrics_dir": env.get("PROMETHEUS_MULTIPROC_DIR") or None,
        }
        for f in fields(cls):
            text = env.get(f"PACTLOG_{f.name.upper()}", "").strip()
            if f.name in ("database_url", "admin_token", "metrics_dir") or not text:
                continue
            default = getattr(settings, f.name)
            if isinstance(default, tuple):
                changes[f.name] = text
            elif isinstance(default, bool):
                changes[f.name] = text.lower() not in ("0", "false", "no", "off")
            else:
                changes[f.name] = type(default)(text)
        return replace(settings, **changes)

    @classmethod
    def for_server(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """From the environment, under gunicorn: no anonymous reads by default, and streams
        leave some of the worker's `PACTLOG_THREADS` (default 32) to ordinary requests."""
        env = os.environ if environ is None else environ
        settings = cls.from_env(env, anonymous_reads=False)
        if not env.get("PACTLOG_STREAM_MAX_CLIENTS", "").strip():
            threads = int(env.get("PACTLOG_THREADS", "32"))
            settings = replace(settings, stream_max_clients=max(1, threads - 8))
        return settings

    def flask_config(self) -> dict[str, Any]:
        """The same values as Flask config (upper-case keys; Flask reads MAX_CONTENT_LENGTH)."""
        return {f.name.upper(): getattr(self, f.name) for f in fields(self)}
