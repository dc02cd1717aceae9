"""The view's two dialects: how its tables (`service.view.tables`) reach SQLite and PostgreSQL.
Both are the library's tracking recorders, so a view's rows and its tracking record share one
transaction."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL

from service.view import search
from service.view.tables import COPY_ROWS, ViewTables


class SQLiteTables(ViewTables, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.create_statements()]

    def placeholders(self, text: str) -> str:
        return text.replace("%s", "?")

    def search_statements(self) -> list[str]:
        return search.sqlite_statements(self.table("search"))

    def empty(self, cursor: Any, names: Sequence[str]) -> None:
        """As `ViewTables.empty`, but the search table dropped and created again: FTS5
        deletes row by row, a tenth of a rebuild's time on a long log."""
        if "search" in names:
            self.execute(cursor, f"DROP TABLE {self.table('search')}")
            for statement in self.search_statements():
                self.execute(cursor, statement)
        super().empty(cursor, [name for name in names if name != "search"])

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def track(self, cursor: SQLiteCursor, tracking: Tracking) -> None:
        self._insert_tracking(cursor, tracking)

    def tracking_table(self) -> str:
        return "tracking"

    @contextmanager
    def layout_lock(self) -> Iterator[None]:
        """An exclusive lock on a file beside the database (SQLite has no advisory locks)."""
        path = f"{self.datastore.pool.db_name}.layout-lock"
        with open(path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def close(self) -> None:
        self.datastore.close()


class PostgresTables(ViewTables, PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.table_prefix = f'"{self.datastore.schema}".view_'
        for statement in self.create_statements():
            index_name = statement.split(" ")[5] if " INDEX " in statement else None
            unqualified = (  # index names take no schema in PostgreSQL
                statement.replace(index_name, index_name.split(".")[-1], 1)
                if index_name is not None
                else statement
            )
            self.sql_create_statements.append(SQL(unqualified).format())

    def search_statements(self) -> list[str]:
        return search.postgres_statements(self.table("search"), self.table("search_all"))

    def empty(self, cursor: Any, names: Sequence[str]) -> None:
        """One `TRUNCATE`: no row by row delete, and the GIN index starts empty."""
        self.execute(cursor, "TRUNCATE " + ", ".join(f"{{{name}}}" for name in names))

    def execute_many(
        self,
        cursor: Any,
        text: str,
        rows: list[tuple[Any, ...]],
        copy: tuple[str, str] | None = None,
    ) -> None:
        """Large plain INSERTs (a projector's page of rows, a rebuild's) go by `COPY`: one
        statement streaming the rows, the same rows and the same errors (a duplicate key is
        a unique violation either way)."""
        if copy is None or len(rows) < COPY_ROWS:
            super().execute_many(cursor, text, rows)
            return
        table, columns = copy
        with cursor.copy(f"COPY {self.table(table)} ({columns}) FROM STDIN") as stream:
            for row in rows:
                stream.write_row(row)
        rows.clear()

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Cursor[DictRow]]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def track(self, cursor: Cursor[DictRow], tracking: Tracking) -> None:
        self._insert_tracking(cursor, tracking)

    def tracking_table(self) -> str:
        return f'"{self.datastore.schema}"."{self.tracking_table_name}"'

    @contextmanager
    def layout_lock(self) -> Iterator[None]:
        """A session advisory lock, keyed by the schema: one process holds it, the others poll
        for it (a blocking wait would run into the sessions' statement time-out)."""
        key = f"pactlog-view-layout:{self.datastore.schema}"
        with self.datastore.get_connection() as conn:  # autocommit: no transaction held open
            while not conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (key,)).fetchone()[
                "pg_try_advisory_lock"
            ]:  # type: ignore[index]
                time.sleep(0.05)
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))

    def close(self) -> None:
        self.datastore.close()
