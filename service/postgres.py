"""PostgreSQL sessions that cannot hold the store: the library's factory, with every pooled
connection given a statement time-out and a name (`application_name`) that tells which pactlog
process holds it.

The library's own settings cover the rest: `POSTGRES_LOCK_TIMEOUT` (how long an append waits for
the events table's lock) and `POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT` (a session that
stops talking inside a transaction is ended, and its locks with it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventsourcing.postgres import PostgresFactory

STATEMENT_TIMEOUT = "PACTLOG_STATEMENT_TIMEOUT"
CONNECTION_NAME = "PACTLOG_CONNECTION_NAME"


def statement_timeout_option(env: Mapping[str, str]) -> str:
    """libpq's `options` that set the statement time-out `env` asks for (30 s by default)."""
    seconds = float(env.get(STATEMENT_TIMEOUT) or "30")
    return f"-c statement_timeout={int(seconds * 1000)}"


def connection_name(env: Mapping[str, str], purpose: str) -> str:
    """What pg_stat_activity shows for a connection of this process made for `purpose`."""
    return f"{env.get(CONNECTION_NAME) or 'pactlog'}:{purpose}"[:63]


class BoundedPostgresFactory(PostgresFactory):
    """`PostgresFactory` whose connections carry `statement_timeout` and `application_name`."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        settings = {key: self.env.get(key) or "" for key in (STATEMENT_TIMEOUT, CONNECTION_NAME)}
        kwargs = self.datastore.pool.kwargs
        assert isinstance(kwargs, dict)
        kwargs["options"] = statement_timeout_option(settings)
        kwargs["application_name"] = connection_name(settings, self.env.name.lower())
