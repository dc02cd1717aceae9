"""Storage is configuration: a `DATABASE_URL` becomes the library's environment."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from service.postgres import CONNECTION_NAME, STATEMENT_TIMEOUT

POSTGRES_FACTORY = "service.postgres:BoundedPostgresFactory"
SQLITE_FACTORY = "service.sqlite:ImmediateSQLiteFactory"


class UnsupportedDatabaseUrl(ValueError):
    """Only `sqlite:///path` and `postgresql://…` are understood."""


def store_env(database_url: str) -> dict[str, str]:
    """The `eventsourcing` settings for `database_url`.

    `sqlite:///relative.db`, `sqlite:////absolute/path.db`; `postgresql://user:password@host:port/
    dbname?schema=name` (schema optional, default public). Optional query parameters for
    PostgreSQL, each bounding what one process may take of the server:
    - `pool_size` (default 1) and `max_overflow` (default 2): connections per pool. A process
      has two pools (the event store and the view), so at most 6 connections, plus one for
      the token store and one for the stream locks: 4 workers of 8 are 32 per API replica (see
      docs/operations.md).
    - `connect_timeout` (default 2): seconds to wait for a pooled connection.
    - `statement_timeout` (default 30), `lock_timeout` (default 10), `idle_timeout` (default 30,
      idle in a transaction): seconds after which PostgreSQL ends a statement, a wait for a
      lock, or a session silent inside a transaction, so that nothing holds the store.
    - `application_name`: a prefix for the names its connections show in pg_stat_activity.
    """
    url = urlparse(database_url)
    if url.scheme == "sqlite":
        path = unquote(url.path[1:] if url.path.startswith("/") else url.path)
        if not path:
            raise UnsupportedDatabaseUrl("sqlite URLs name a file: sqlite:///pactlog.db")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            # Writers begin IMMEDIATE: several processes take turns instead of failing at once.
            "PERSISTENCE_MODULE": SQLITE_FACTORY,
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": "service.write.recorders:SQLiteIndexedRecorder",
        }
    if url.scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        query = parse_qs(url.query)
        return {
            "PERSISTENCE_MODULE": POSTGRES_FACTORY,
            "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_SCHEMA": query.get("schema", ["public"])[0],
            "POSTGRES_POOL_SIZE": query.get("pool_size", ["1"])[0],
            "POSTGRES_MAX_OVERFLOW": query.get("max_overflow", ["2"])[0],
            # How long a request waits for a pooled connection. The library retries each read
            # ten times, so with its default (30 s) a request hangs for minutes while the
            # database is down; short, it answers 503 soon and the client retries.
            "POSTGRES_CONNECT_TIMEOUT": query.get("connect_timeout", ["2"])[0],
            "POSTGRES_LOCK_TIMEOUT": query.get("lock_timeout", ["10"])[0],
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": query.get("idle_timeout", ["30"])[0],
            STATEMENT_TIMEOUT: query.get("statement_timeout", ["30"])[0],
            **(
                {CONNECTION_NAME: query["application_name"][0]}
                if "application_name" in query
                else {}
            ),
            "APPLICATION_RECORDER_TOPIC": "service.write.recorders:PostgresIndexedRecorder",
        }
    raise UnsupportedDatabaseUrl(f"unsupported DATABASE_URL scheme {url.scheme!r}")


def is_postgres(env: dict[str, str]) -> bool:
    return env["PERSISTENCE_MODULE"] == POSTGRES_FACTORY


def named(env: dict[str, str], process: str) -> dict[str, str]:
    """`env` with its PostgreSQL connections named after `process` in pg_stat_activity (after
    the URL's `application_name`, when it gives one)."""
    if not is_postgres(env):
        return env
    prefix = env.get(CONNECTION_NAME)
    return {**env, CONNECTION_NAME: f"{prefix}-{process}" if prefix else process}
