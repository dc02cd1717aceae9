"""Bearer tokens: who may read, append or administer. Only a token's SHA-256 is stored.

A small table beside the event store (`pactlog_tokens`), on its own connection: `sqlite3` for
`sqlite:` URLs, `psycopg` for PostgreSQL ones.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from service.config import is_postgres, named, store_env
from service.errors import translating
from service.postgres import connection_name, statement_timeout_option

SCOPES = ("read", "append", "admin")
TOKEN_PREFIX = "pl_"


class UnknownScope(ValueError):
    """A scope other than `read`, `append` or `admin`."""


@dataclass(frozen=True)
class Token:
    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: str
    revoked_at: str | None = None

    def allows(self, scope: str) -> bool:
        """`admin` allows everything; otherwise the scope must be granted."""
        return self.revoked_at is None and (scope in self.scopes or "admin" in self.scopes)


@dataclass(frozen=True)
class IssuedToken:
    token: Token
    secret: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _checked(scopes: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(scope.strip() for scope in scopes if scope.strip()))
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown or not chosen:
        raise UnknownScope(f"scopes are {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}")
    return chosen


@translating
class TokenStore:
    """Create, find, list and revoke tokens. Thread-safe; build one per process."""

    def __init__(self, database_url: str, *, process: str = "pactlog") -> None:
        env = named(store_env(database_url), process)
        self._env = env
        self._lock = threading.Lock()
        self._postgres = is_postgres(env)
        if self._postgres:
            schema = env["POSTGRES_SCHEMA"]
            self._table = f'"{schema}".pactlog_tokens' if schema != "public" else "pactlog_tokens"
            self._mark = "%s"
        else:
            self._table = "pactlog_tokens"
            self._mark = "?"
        self._conn: Any = self._connect()
        for attempt in range(5):  # processes starting together may race to create the table
            try:
                self._execute(
                    f"CREATE TABLE IF NOT EXISTS {self._table} ("
                    "id TEXT PRIMARY KEY, name TEXT NOT NULL, scopes TEXT NOT NULL, "
                    "digest TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT)"
                )
                break
            except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
                if attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _connect(self) -> Any:
        env = self._env
        if self._postgres:
            return psycopg.connect(
                dbname=env["POSTGRES_DBNAME"],
                host=env["POSTGRES_HOST"],
                port=env["POSTGRES_PORT"],
                user=env["POSTGRES_USER"],
                password=env["POSTGRES_PASSWORD"],
                autocommit=True,
                connect_timeout=max(1, round(float(env["POSTGRES_CONNECT_TIMEOUT"]))),
                options=statement_timeout_option(env),
                application_name=connection_name(env, "tokens"),
            )
        return sqlite3.connect(
            env["SQLITE_DBNAME"], timeout=30, check_same_thread=False, isolation_level=None
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        sql = sql.replace("?", self._mark)
        with self._lock:
            try:
                cursor = self._conn.execute(sql, params)
            except psycopg.OperationalError:  # the server went away: reconnect once
                self._conn = self._connect()
                cursor = self._conn.execute(sql, params)
            rows = cursor.fetchall() if cursor.description else []
        return [tuple(row) for row in rows]

    def create(self, name: str, scopes: Iterable[str], *, secret: str | None = None) -> IssuedToken:
        """A new token; the secret is shown once and never stored."""
        chosen = _checked(scopes)
        secret = secret or TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = Token(
            id=uuid.uuid4().hex[:12],
            name=name,
            scopes=chosen,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self._execute(
            f"INSERT INTO {self._table} (id, name, scopes, digest, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (token.id, token.name, " ".join(token.scopes), digest(secret), token.created_at),
        )
        return IssuedToken(token, secret)

    def ensure(self, name: str, scopes: Iterable[str], secret: str) -> Token:
        """The token for `secret`, created with `scopes` if it is not stored yet (bootstrap)."""
        found = self._find(digest(secret), include_revoked=True)
        if found is not None:
            return found
        try:
            return self.create(name, scopes, secret=secret).token
        except Exception:  # another process bootstrapped it at the same moment
            again = self._find(digest(secret), include_revoked=True)
            if again is None:
                raise
            return again

    def authenticate(self, secret: str) -> Token | None:
        """The live token whose secret this is, or None."""
        return self._find(digest(secret), include_revoked=False)

    def _find(self, token_digest: str, *, include_revoked: bool) -> Token | None:
        rows = self._execute(
            f"SELECT id, name, scopes, created_at, revoked_at FROM {self._table} WHERE digest = ?",
            (token_digest,),
        )
        if not rows:
            return None
        token = _token(rows[0])
        if token.revoked_at is not None and not include_revoked:
            return None
        return token

    def list(self) -> list[Token]:
        rows = self._execute(
            f"SELECT id, name, scopes, created_at, revoked_at FROM {self._table} "
            "ORDER BY created_at, id"
        )
        return [_token(row) for row in rows]

    def revoke(self, token_id: str) -> bool:
        """Revoke by id; False when no live token has this id."""
        rows = self._execute(
            f"UPDATE {self._table} SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL "
            "RETURNING id",
            (datetime.now(UTC).isoformat(timespec="seconds"), token_id),
        )
        return bool(rows)


def _token(row: tuple[Any, ...]) -> Token:
    token_id, name, scopes, created_at, revoked_at = row
    return Token(token_id, name, tuple(scopes.split()), created_at, revoked_at)
