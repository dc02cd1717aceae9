"""Storage is configuration: a `DATABASE_URL` becomes the library's environment."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


class UnsupportedDatabaseUrl(ValueError):
    """Only `sqlite:///path` and `postgresql://…` are understood."""


def store_env(database_url: str) -> dict[str, str]:
    """The `eventsourcing` settings for `database_url`.

    `sqlite:///relative.db`, `sqlite:////absolute/path.db`; `postgresql://user:password@host:port/
    dbname?schema=name` (schema optional, default public; `pool_size`, `max_overflow` and
    `connect_timeout`, the seconds to wait for a pooled connection, optional too).
    """
    url = urlparse(database_url)
    if url.scheme == "sqlite":
        path = unquote(url.path[1:] if url.path.startswith("/") else url.path)
        if not path:
            raise UnsupportedDatabaseUrl("sqlite URLs name a file: sqlite:///pactlog.db")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": "service.recorders:SQLiteIndexedRecorder",
        }
    if url.scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        query = parse_qs(url.query)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_SCHEMA": query.get("schema", ["public"])[0],
            "POSTGRES_POOL_SIZE": query.get("pool_size", ["5"])[0],
            "POSTGRES_MAX_OVERFLOW": query.get("max_overflow", ["10"])[0],
            # How long a request waits for a pooled connection. The library retries each read
            # ten times, so with its default (30 s) a request hangs for minutes while the
            # database is down; short, it answers 503 soon and the client retries.
            "POSTGRES_CONNECT_TIMEOUT": query.get("connect_timeout", ["2"])[0],
            "APPLICATION_RECORDER_TOPIC": "service.recorders:PostgresIndexedRecorder",
        }
    raise UnsupportedDatabaseUrl(f"unsupported DATABASE_URL scheme {url.scheme!r}")


def is_postgres(env: dict[str, str]) -> bool:
    return env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
