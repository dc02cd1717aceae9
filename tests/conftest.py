"""Fixtures shared by every layer: stores on SQLite and PostgreSQL, a clock we control."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlparse

import psycopg
import pytest

from service.pactlog import PactlogService

POSTGRES_URL = os.environ.get("PACTLOG_TEST_DATABASE_URL")


class Clock:
    """Recording time under the test's control: each reading moves on by a millisecond."""

    def __init__(self, start: datetime = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def postgres_schema_url(base: str, schema: str) -> str:
    url = urlparse(base)
    return url._replace(query=urlencode({"schema": schema})).geturl()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards."""
    if not POSTGRES_URL:
        if os.environ.get("PACTLOG_REQUIRE_POSTGRES"):
            pytest.fail("PACTLOG_REQUIRE_POSTGRES is set but PACTLOG_TEST_DATABASE_URL is not")
        pytest.skip("PACTLOG_TEST_DATABASE_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield postgres_schema_url(POSTGRES_URL, schema)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/pactlog.sqlite"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def service(database_url: str, clock: Clock) -> Iterator[PactlogService]:
    svc = PactlogService(database_url, clock=clock)
    yield svc
    svc.close()
