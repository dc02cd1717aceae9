"""The store written by the release before issue 12 (`tests/fixtures/v1`), as the upgrade tests
use it: copied for SQLite, loaded event by event for PostgreSQL."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from service.pactlog import PactlogService
from service.write.recorders import IndexEntry

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "v1"
ANSWERS: dict[str, Any] = json.loads((FIXTURE / "answers.json").read_text())
ADMIN = "fixture-admin-secret"


def copy_store(folder: Path) -> str:
    """A copy of the fixture store (never the committed file itself); its SQLite URL."""
    target = folder / "v1.sqlite"
    shutil.copyfile(FIXTURE / "store.sqlite", target)
    return f"sqlite:///{target}"


def load_store(database_url: str) -> int:
    """The fixture's events, as they were stored (version-1 payloads, old topics), in the same
    order and with their id index, into the (empty) store at `database_url`."""
    source = sqlite3.connect(FIXTURE / "store.sqlite")
    try:
        events = source.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        ).fetchall()
        index = {
            (row[1], row[2]): row
            for row in source.execute(
                "SELECT event_id, partnership, version, position, digest, target_id "
                "FROM event_index"
            )
        }
    finally:
        source.close()
    service = PactlogService(database_url, project_inline=False)
    try:
        for originator_id, version, topic, state in events:
            event_id, partnership, _, _, digest, target_id = next(
                row for (slug, v), row in index.items() if v == version
            )
            service.app.recorder.insert_events(
                [StoredEvent(UUID(originator_id), version, topic, bytes(state))],
                pactlog_index=[IndexEntry(event_id, partnership, version, digest, target_id)],
            )
    finally:
        service.close()
    return len(events)
