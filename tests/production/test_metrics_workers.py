"""Metrics across gunicorn workers: whichever worker answers the scrape, it counts the requests
every worker answered (prometheus-client's multiprocess mode, set up by gunicorn.conf.py)."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.api.test_feeds import sample
from tests.production.conftest import call, running_stack

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
REQUESTS = 40


def answered_by(log: Path) -> dict[str, int]:
    """Request id -> the pid of the worker that answered it, from the JSON request log."""
    pids = {}
    for line in log.read_text().splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        if record.get("logger") == "pactlog.access":
            pids[record["request_id"]] = record["pid"]
    return pids


def test_a_scrape_of_any_worker_sums_the_requests_of_both(
    postgres_url: str, tmp_path: Path
) -> None:
    with running_stack(
        postgres_url, tmp_path, projector=False, WEB_CONCURRENCY="2", PACTLOG_THREADS="4"
    ) as stack:
        log = stack.logs[0]

        def ask(request_id: str) -> None:
            answer = call(stack.server, "GET", "/v1/catalog", headers={"X-Request-ID": request_id})
            assert answer.status == 200
            assert answer.headers["X-Request-ID"] == request_id

        sent: list[str] = []
        deadline = time.monotonic() + 60
        # A connection each, several at once, until both workers have answered some.
        with ThreadPoolExecutor(max_workers=8) as pool:
            while len(sent) < REQUESTS or len({answered_by(log).get(i) for i in sent}) < 2:
                assert time.monotonic() < deadline, "one worker answered everything"
                batch = [f"metrics-{len(sent) + n}" for n in range(8)]
                list(pool.map(ask, batch))
                sent += batch
        time.sleep(0.5)  # the last log lines
        pids = answered_by(log)
        assert len({pids[i] for i in sent}) == 2, "both workers answered"
        scrapers: set[int] = set()
        for n in range(60):
            scrape = call(stack.server, "GET", "/metrics", headers={"X-Request-ID": f"scrape-{n}"})
            assert scrape.status == 200
            text = scrape.body
            assert "_created" not in text
            total = sample(
                text,
                "pactlog_http_requests_total",
                endpoint="/v1/catalog",
                method="GET",
                status="200",
            )
            assert total == len(sent)
            assert re.search(r"^pactlog_projection_lag_events ", text, re.MULTILINE)
            time.sleep(0.05)
            scrapers.add(answered_by(log).get(f"scrape-{n}", 0))
            if len(scrapers - {0}) == 2:
                break
        assert len(scrapers - {0}) == 2, "each worker answered a scrape, and each gave the sum"
