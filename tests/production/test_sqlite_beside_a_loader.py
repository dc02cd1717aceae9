"""SQLite shared by processes (issue 10, item 3): `pactlog load` of a large file while gunicorn
(4 workers, projecting inline) takes appends and reads on the same file. Writers wait their turn
(`BEGIN IMMEDIATE`, short projection pages): no 503, no long stall, and the loader exits 0.
Before, reads and appends failed at once with "database is locked" (a 503) whenever the
loader had committed since they began, and a 20,000-line load could exit 1 after storing
everything."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from tests.e2e.conftest import ROOT
from tests.production.conftest import VENV_BIN, call, running_stack

LINES = 5000


def write_timeline(path: Path, lines: int) -> None:
    with path.open("w") as out:
        for index in range(lines):
            first = index == 0
            out.write(
                json.dumps(
                    {
                        "id": str(uuid.uuid4()),
                        "type": "PartnershipFormed" if first else "StatementMade",
                        "partnership": "loaded",
                        "occurred_on": "2020-01-01",
                        "summary": f"line {index}",
                        "data": {"name": "Loaded", "parties": ["A", "B"]}
                        if first
                        else {"speaker": "S", "organization": "O", "statement": "x" * 100},
                    }
                )
                + "\n"
            )


def test_a_large_load_beside_the_api_on_one_sqlite_file(tmp_path: Path) -> None:
    timeline = tmp_path / "large.jsonl"
    write_timeline(timeline, LINES)
    url = f"sqlite:///{tmp_path}/shared.sqlite"
    with running_stack(url, tmp_path, projector=False, PACTLOG_PROJECT_INLINE="true") as stack:
        server = stack.server
        created = call(
            server,
            "POST",
            "/v1/partnerships",
            {"slug": "live", "name": "L", "parties": ["A", "B"], "occurred_on": "2024"},
        )
        assert created.status == 201
        answers: list[tuple[int, float]] = []
        stop = threading.Event()

        def client(number: int) -> None:
            while not stop.is_set():
                started = time.monotonic()
                if number % 2:
                    answer = call(
                        server,
                        "POST",
                        "/v1/partnerships/live/events",
                        {
                            "type": "StatementMade",
                            "occurred_on": "2021",
                            "summary": "live",
                            "data": {"speaker": "a", "organization": "b", "statement": "c"},
                        },
                        timeout=60,
                    )
                else:
                    answer = call(server, "GET", "/v1/partnerships/live/state", timeout=60)
                answers.append((answer.status, time.monotonic() - started))
                stop.wait(0.05)

        clients = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for thread in clients:
            thread.start()
        started = time.monotonic()
        loaded = subprocess.run(
            [str(VENV_BIN / "pactlog"), "load", str(timeline)],
            cwd=ROOT,
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        took = time.monotonic() - started
        stop.set()
        for thread in clients:
            thread.join()
        final: Any = call(server, "GET", "/v1/partnerships/loaded/state", timeout=60)
    statuses = {status: sum(1 for s, _ in answers if s == status) for status, _ in answers}
    slowest = max(seconds for _, seconds in answers)
    print(f"load of {LINES} in {took:.1f}s; beside it {statuses}, slowest {slowest:.2f}s")
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert f"{LINES} events added" in loaded.stdout
    assert set(statuses) <= {200, 201}, statuses
    assert slowest < 10.0
    assert final.status == 200
    assert final.body["version"] == LINES
