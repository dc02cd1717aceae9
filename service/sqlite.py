"""SQLite shared by several processes (the API's workers, `pactlog load`, a projector): the
library's factory, with every writing transaction begun `BEGIN IMMEDIATE`.

The library begins every transaction with a deferred `BEGIN`: a writer first reads (the last
position, the tracking record) on a snapshot, then asks for the write lock. In WAL mode, if
another process committed meanwhile, that upgrade fails at once with "database is locked"
(SQLITE_BUSY_SNAPSHOT), whatever the busy time-out; the API answered those as 503s. Begun
IMMEDIATE, a writer takes the write lock first and so waits its turn (the busy time-out,
`SQLITE_LOCK_TIMEOUT`), and what it reads is the latest. Readers are untouched: in WAL mode they
never wait for writers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import OperationalError
from eventsourcing.sqlite import (
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteFactory,
    SQLiteTransaction,
)


class _ImmediateTransaction(SQLiteTransaction):
    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE" if self.commit else "BEGIN")
        except sqlite3.OperationalError as error:  # still locked after the busy time-out
            raise OperationalError(error) from error
        return cursor


class _ImmediateConnection(SQLiteConnection):
    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        with _ImmediateTransaction(self, commit=commit) as cursor, cursor:
            yield cursor


class _ImmediatePool(SQLiteConnectionPool):
    def _create_connection(self) -> SQLiteConnection:
        made = super()._create_connection()
        return _ImmediateConnection(made._sqlite_conn, max_age=self.max_age)


class ImmediateSQLiteFactory(SQLiteFactory):
    """`SQLiteFactory` whose writing transactions begin IMMEDIATE (see the module)."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        old = self.datastore
        pool = old.pool
        old.pool = _ImmediatePool(
            db_name=pool.db_name,
            lock_timeout=pool.lock_timeout,
            pool_size=pool.pool_size,
            max_overflow=pool.max_overflow,
            pool_timeout=pool.pool_timeout,
            max_age=pool.max_age,
            pre_ping=pool.pre_ping,
        )
        pool.close()
