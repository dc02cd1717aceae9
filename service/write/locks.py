"""Serialising a stream's writers across processes (issue 13, item 4).

Several API processes append to the same partnership. Each stages appends on its cached copy of
the stream, and a copy is stale as soon as another process wrote: without a lock, every commit
of a busy stream would conflict at insert and be retried request by request.

On PostgreSQL a process therefore takes, before staging, a session-level advisory lock per
stream it is about to write (in key order, so that two processes never wait on each other),
then reads, in the same round trip, the events stored after each cached copy's version: a copy
that is behind applies only those. The locks are released once the commit is over (or fails).
They are held on a connection of their own, so that a process that dies releases them with it.

On SQLite the database's write lock already serialises writers (and a stale copy still shows as
a conflict at insert, retried): `NoStreamLocks` only hands back no versions.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from typing import Any, Protocol
from uuid import UUID, uuid5

import psycopg
from eventsourcing.persistence import StoredEvent

from service.config import is_postgres
from service.postgres import (
    CONNECTION_NAME,
    STATEMENT_TIMEOUT,
    connection_name,
    statement_timeout_option,
)
from service.write.stream import stream_id

# The first of the two keys of every stream lock: pactlog's stream writers ("pl" + "sw").
LOCK_CLASS = 0x706C7377


Missed = dict[str, list[StoredEvent]]


class StreamLocks(Protocol):
    def hold(self, after: Mapping[str, int | None]) -> contextlib.AbstractContextManager[Missed]:
        """Hold the write locks of the streams `after` names; yield, for each whose version
        it gives (the cached copy's), the events stored after that version."""


class NoStreamLocks:
    """SQLite: one writer at a time already; the cached copies are checked at insert."""

    @contextlib.contextmanager
    def hold(self, after: Mapping[str, int | None]) -> Iterator[Missed]:
        yield {}

    def close(self) -> None:
        pass


def lock_key(schema: str, slug: str) -> int:
    """The stream's lock key (a signed 32-bit integer), distinct per schema."""
    digest = uuid5(UUID(int=LOCK_CLASS), f"{schema}/{slug}").int >> 96
    return digest - (1 << 32) if digest >= 1 << 31 else digest


class PostgresStreamLocks:
    """Session advisory locks on a connection of their own (one commit at a time uses it)."""

    def __init__(self, env: dict[str, str], events_table: str) -> None:
        self._env = env
        self._schema = env.get("POSTGRES_SCHEMA") or "public"
        self._events_table = events_table
        self._lock = threading.Lock()
        self._conn: Any = None

    def _connect(self) -> Any:
        env = self._env
        lock_timeout = int(float(env.get("POSTGRES_LOCK_TIMEOUT") or "10") * 1000)
        return psycopg.connect(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
            autocommit=True,
            connect_timeout=max(1, round(float(env.get("POSTGRES_CONNECT_TIMEOUT") or "2"))),
            options=f"{statement_timeout_option(env)} -c lock_timeout={lock_timeout}",
            application_name=connection_name(env, "stream-locks"),
        )

    @contextlib.contextmanager
    def hold(self, after: Mapping[str, int | None]) -> Iterator[Missed]:
        keys = sorted({lock_key(self._schema, slug) for slug in after})
        with self._lock:
            missed, conn = self._acquire(keys, after)
            try:
                yield missed
            finally:
                self._release(conn)

    def _acquire(self, keys: list[int], after: Mapping[str, int | None]) -> tuple[Missed, Any]:
        """Take the locks, then read what each cached stream missed, in one round trip; a
        connection the server dropped since the last commit is made again, once."""
        for attempt in (0, 1):
            conn = self._ready()
            try:
                # Each read is a statement of its own, after the locks: it sees what the
                # previous holders committed.
                with conn.pipeline():
                    for key in keys:
                        conn.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_CLASS, key))
                    cursors = {
                        slug: conn.execute(
                            f"SELECT originator_version, topic, state FROM {self._events_table} "
                            "WHERE originator_id = %s AND originator_version > %s "
                            "ORDER BY originator_version",
                            (stream_id(slug), version),
                        )
                        for slug, version in after.items()
                        if version is not None
                    }
                missed = {
                    slug: [
                        StoredEvent(stream_id(slug), int(row[0]), str(row[1]), bytes(row[2]))
                        for row in cursor.fetchall()
                    ]
                    for slug, cursor in cursors.items()
                }
                return missed, conn
            except psycopg.OperationalError:
                broken = conn.closed
                self._release(conn)
                if attempt or not broken:
                    raise
            except BaseException:
                self._release(conn)
                raise
        raise AssertionError("unreachable")

    def _ready(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        return self._conn

    def _release(self, conn: Any) -> None:
        try:
            conn.execute("SELECT pg_advisory_unlock_all()")
        except psycopg.Error:  # the connection is gone, and its locks with it
            with contextlib.suppress(psycopg.Error):
                conn.close()
            self._conn = None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(psycopg.Error):
                    self._conn.close()
                self._conn = None


def stream_locks(app: Any) -> NoStreamLocks | PostgresStreamLocks:
    """The locks for `app`'s event store."""
    env = {key: str(app.env.get(key) or "") for key in _SETTINGS}
    if not env["PERSISTENCE_MODULE"] or not is_postgres(env):
        return NoStreamLocks()
    recorder = app.recorder
    table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
    return PostgresStreamLocks(env, table)


_SETTINGS = (
    "PERSISTENCE_MODULE",
    "POSTGRES_DBNAME",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_SCHEMA",
    "POSTGRES_CONNECT_TIMEOUT",
    "POSTGRES_LOCK_TIMEOUT",
    STATEMENT_TIMEOUT,
    CONNECTION_NAME,
)
