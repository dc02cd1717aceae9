"""The library's application recorders, extended with two lookup tables written in the same
transaction as the events: an index of event ids (global uniqueness, find-by-id, corrections of
an event) and the idempotency keys of appends with their original answers.

The same SQL runs on SQLite and PostgreSQL; only placeholders and table names differ.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg.sql import SQL, Identifier

# Well under the size at which one pipelined statement stalls (about 8 MB of parameters).
INSERT_CHUNK_BYTES = 1024 * 1024


def chunked_by_size(events: Sequence[StoredEvent], limit: int) -> list[Sequence[StoredEvent]]:
    """`events` in order, in runs whose stored states add up to at most `limit` bytes (a run
    holds at least one event)."""
    chunks: list[Sequence[StoredEvent]] = []
    start, size = 0, 0
    for index, event in enumerate(events):
        if index > start and size + len(event.state) > limit:
            chunks.append(events[start:index])
            start, size = index, 0
        size += len(event.state)
    if start < len(events):
        chunks.append(events[start:])
    return chunks


@dataclass(frozen=True)
class IndexEntry:
    """Where an event is: its stream, version and global position, and what it said."""

    event_id: str
    partnership: str
    version: int
    digest: str
    target_id: str | None = None
    position: int = 0


@dataclass(frozen=True)
class IdempotencyRecord:
    """An append's idempotency key; `first` and `count` locate its events in the transaction."""

    partnership: str
    key: str
    request_digest: str
    answer: list[dict[str, Any]] | None = None
    first: int = 0
    count: int = 0


def as_tuples(rows: Iterable[Any]) -> list[tuple[Any, ...]]:
    """Rows as tuples, whether the driver gives sqlite3.Row or psycopg's dicts."""
    return [tuple(row.values()) if isinstance(row, dict) else tuple(row) for row in rows]


class IndexedRecorder(ABC):
    """What both dialects share: the statements and the lookups."""

    index_table: str
    keys_table: str

    @abstractmethod
    def _execute_read(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run one query (written with %s placeholders) and return its rows."""

    def _index_rows(
        self, notification_ids: Sequence[int], entries: Sequence[IndexEntry]
    ) -> list[tuple[Any, ...]]:
        return [
            (e.event_id, e.partnership, e.version, position, e.digest, e.target_id)
            for e, position in zip(entries, notification_ids, strict=True)
        ]

    @staticmethod
    def _key_rows(
        notification_ids: Sequence[int],
        entries: Sequence[IndexEntry],
        keys: Sequence[IdempotencyRecord],
    ) -> list[tuple[Any, ...]]:
        """Each key with the answer its request got: its own events' ids and places."""
        rows = []
        for key in keys:
            span = slice(key.first, key.first + key.count)
            answer = [
                {"id": e.event_id, "version": e.version, "position": position}
                for e, position in zip(entries[span], notification_ids[span], strict=True)
            ]
            rows.append((key.partnership, key.key, key.request_digest, json.dumps(answer)))
        return rows

    def _record_lookups(
        self, cursor: Any, mark: str, notification_ids: Sequence[int], kwargs: dict[str, Any]
    ) -> None:
        """Write the id index rows and idempotency keys of the events just inserted, in the
        same transaction (`mark` is the driver's placeholder)."""
        entries: Sequence[IndexEntry] = kwargs.get("pactlog_index", ())
        if not entries:
            return
        self._insert_index_rows(cursor, mark, self._index_rows(notification_ids, entries))
        keys: Sequence[IdempotencyRecord] = kwargs.get("pactlog_idempotency", ())
        if keys:
            cursor.executemany(
                f"INSERT INTO {self.keys_table} VALUES ({','.join([mark] * 4)})",
                self._key_rows(notification_ids, entries, keys),
            )

    def _insert_index_rows(self, cursor: Any, mark: str, rows: list[tuple[Any, ...]]) -> None:
        cursor.executemany(f"INSERT INTO {self.index_table} VALUES ({','.join([mark] * 6)})", rows)

    def find_events(self, event_ids: Sequence[str]) -> dict[str, IndexEntry]:
        if not event_ids:
            return {}
        marks = ",".join(["%s"] * len(event_ids))
        rows = self._execute_read(
            f"SELECT event_id, partnership, version, position, digest, target_id "
            f"FROM {self.index_table} WHERE event_id IN ({marks})",
            list(event_ids),
        )
        return {
            row[0]: IndexEntry(
                event_id=row[0],
                partnership=row[1],
                version=row[2],
                position=row[3],
                digest=row[4],
                target_id=row[5],
            )
            for row in rows
        }

    def find_amendments(self, target_id: str) -> list[IndexEntry]:
        rows = self._execute_read(
            f"SELECT event_id, partnership, version, position, digest, target_id "
            f"FROM {self.index_table} WHERE target_id = %s ORDER BY position",
            [target_id],
        )
        return [
            IndexEntry(
                event_id=r[0],
                partnership=r[1],
                version=r[2],
                position=r[3],
                digest=r[4],
                target_id=r[5],
            )
            for r in rows
        ]

    def find_idempotency_key(self, partnership: str, key: str) -> IdempotencyRecord | None:
        rows = self._execute_read(
            f"SELECT request_digest, answer FROM {self.keys_table} "
            f"WHERE partnership = %s AND idempotency_key = %s",
            [partnership, key],
        )
        if not rows:
            return None
        return IdempotencyRecord(partnership, key, rows[0][0], json.loads(rows[0][1]))


_INDEX_COLUMNS = (
    "(event_id TEXT PRIMARY KEY, partnership TEXT NOT NULL, version BIGINT NOT NULL, "
    "position BIGINT NOT NULL, digest TEXT NOT NULL, target_id TEXT)"
)
_KEYS_COLUMNS = (
    "(partnership TEXT NOT NULL, idempotency_key TEXT NOT NULL, request_digest TEXT NOT NULL, "
    "answer TEXT NOT NULL, PRIMARY KEY (partnership, idempotency_key))"
)


class SQLiteIndexedRecorder(IndexedRecorder, SQLiteApplicationRecorder):
    index_table = "event_index"
    keys_table = "idempotency_keys"

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        statements = [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.index_table} {_INDEX_COLUMNS}",
            f"CREATE INDEX IF NOT EXISTS {self.index_table}_target "
            f"ON {self.index_table} (target_id)",
            f"CREATE TABLE IF NOT EXISTS {self.keys_table} {_KEYS_COLUMNS}",
        ]
        # Append-only at the database: what was recorded is never updated or deleted.
        for table in (self.events_table_name, self.index_table, self.keys_table):
            for operation in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_append_only"
                    f"{'' if operation == 'UPDATE' else '_delete'} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'pactlog is append-only: "
                    f"{operation} on {table} refused'); END"
                )
        return statements

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        if notification_ids:
            self._record_lookups(c, "?", notification_ids, kwargs)
        return notification_ids

    def _execute_read(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql.replace("%s", "?"), params)
            return as_tuples(c.fetchall())


class PostgresIndexedRecorder(IndexedRecorder, PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        prefix = events_table_name.removesuffix("_events")
        schema = self.datastore.schema
        self.index_table = f'"{schema}"."{prefix}_event_index"'
        self.keys_table = f'"{schema}"."{prefix}_idempotency_keys"'
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.index_table} {_INDEX_COLUMNS}",
            f"CREATE INDEX IF NOT EXISTS {Identifier(prefix + '_event_index_target').as_string()} "
            f"ON {self.index_table} (target_id)",
            f"CREATE TABLE IF NOT EXISTS {self.keys_table} {_KEYS_COLUMNS}",
        ]
        # Append-only at the database: what was recorded is never updated or deleted. Created
        # only when missing, so that processes starting beside busy writers take no table locks.
        guard = f'"{schema}"."{prefix}_refuse_change"'
        create_guard = (
            f"CREATE FUNCTION {guard}() RETURNS trigger LANGUAGE plpgsql AS $g$ "
            "BEGIN RAISE EXCEPTION 'pactlog is append-only: % on % refused', "
            "TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $g$"
        )
        statements.append(
            "DO $$ BEGIN "
            f"IF to_regprocedure('{guard}()') IS NULL THEN {create_guard}; END IF; "
            "EXCEPTION WHEN duplicate_function THEN NULL; END $$"
        )
        for table, name in (
            (f'"{schema}"."{events_table_name}"', f"{prefix}_events_append_only"),
            (self.index_table, f"{prefix}_event_index_append_only"),
            (self.keys_table, f"{prefix}_idempotency_keys_append_only"),
        ):
            statements.append(
                "DO $$ BEGIN "
                f"IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{name}' "
                f"AND tgrelid = '{table}'::regclass) THEN "
                f'CREATE TRIGGER "{name}" BEFORE UPDATE OR DELETE ON {table} '
                f"FOR EACH STATEMENT EXECUTE FUNCTION {guard}(); END IF; "
                "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
            )
        for statement in statements:
            self.sql_create_statements.append(SQL(statement).format())  # type: ignore[arg-type]

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """The library's insert, one statement per chunk of at most `INSERT_CHUNK_BYTES`.

        One pipelined statement with a parameter of several megabytes never completes (psycopg
        and the server each wait for the other while the events table is locked), so a large
        batch goes as several statements in the same transaction: still all or nothing.
        """
        self._lock_table(curs)
        self._notify_channel(curs)
        chunks = [
            [
                self.construct_pg_stored_event(
                    e.originator_id, e.originator_version, e.topic, e.state
                )
                for e in chunk
            ]
            for chunk in chunked_by_size(stored_events, INSERT_CHUNK_BYTES)
        ]
        curs.executemany(
            self.insert_events_statement, [(chunk,) for chunk in chunks], returning=True
        )

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The cursor holds the results of the lock, the notify and each chunk's insert.
        notification_ids: list[int] = []
        while True:
            if curs.description is not None:
                notification_ids += [row["notification_id"] for row in curs.fetchall()]
            if not curs.nextset():
                break
        if len(notification_ids) != len(stored_events):
            raise ProgrammingError(
                f"inserted {len(stored_events)} events but got {len(notification_ids)} positions"
            )
        self._record_lookups(curs, "%s", notification_ids, kwargs)
        return notification_ids

    def _insert_index_rows(self, cursor: Any, mark: str, rows: list[tuple[Any, ...]]) -> None:
        """One statement for all the rows (columns as arrays), not one per row: a 1,000-event
        batch sent 1,000 statements."""
        if len(rows) == 1:
            super()._insert_index_rows(cursor, mark, rows)
            return
        cursor.execute(
            f"INSERT INTO {self.index_table} SELECT * FROM unnest("
            "%s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::text[], %s::text[])",
            [list(column) for column in zip(*rows, strict=True)],
        )

    def _execute_read(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(sql, params)  # type: ignore[arg-type]
            return as_tuples(curs.fetchall())
