"""`python -m bench.analyst [DATABASE_URL …]`: search latency and export rate on a 100,000-event
store (issue 15), for the note. Builds the store (10 partnerships, varied summaries, sources and
names), projects it, then times each query (median of several runs) and a full log export."""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from typing import Any

import psycopg

from events.envelope import parse_event
from service.export import log_lines, timeline_csv, timeline_records
from service.pactlog import PactlogService

EVENTS = 100_000
PARTNERSHIPS = 10
WORDS = (
    "azure",
    "cloud",
    "compute",
    "board",
    "governance",
    "revenue",
    "share",
    "exclusivity",
    "chips",
    "datacenter",
    "model",
    "release",
    "partnership",
    "talks",
    "investors",
    "regulators",
    "antitrust",
    "review",
    "dispute",
    "escalation",
    "liaison",
    "roadmap",
    "pricing",
    "enterprise",
    "customers",
    "licensing",
    "inference",
    "training",
    "capacity",
)
PUBLISHERS = ("Reuters", "Bloomberg", "Financial Times", "The Information", "Axios")
ORGS = ("Microsoft", "OpenAI", "Google", "Anthropic", "Amazon", "Nvidia", "Meta", "Oracle")
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("azure", {}),  # common: about 1 in 6 events
    ("azure governance", {}),
    ("reut", {}),  # a prefix, in sources
    ("nvidia", {}),  # in names
    ("zanzibar", {}),  # rare: 10 events
    ("azure", {"partnership": "p-3"}),
    ("azure", {"types": ["StatementMade"], "as_of": date(2022, 6, 30)}),
]


def build(service: PactlogService) -> None:
    rng = random.Random(15)
    start = date(2015, 1, 1)
    per = EVENTS // PARTNERSHIPS
    for n in range(PARTNERSHIPS):
        slug = f"p-{n}"
        a, b = rng.sample(ORGS, 2)
        service.create_partnership(slug, parse_event({
            "type": "PartnershipFormed", "occurred_on": "2015-01-01", "summary": f"{a} and {b}",
            "data": {"name": f"{a}–{b}", "parties": [a, b]}}))  # fmt: skip
        drafts = []
        # In date order: out-of-order history is another bench's subject (issue 13).
        days = sorted(rng.randrange(3650) for _ in range(per - 1))
        for i, day in enumerate(days):
            words = " ".join(rng.choices(WORDS, k=8))
            if i % (per // 10) == 0 and n == 0:
                words += " zanzibar"
            drafts.append(parse_event({
                "type": "StatementMade",
                "occurred_on": (start + timedelta(days=day)).isoformat(),
                "summary": f"{rng.choice(ORGS)} on {words}",
                "sources": [{"publisher": rng.choice(PUBLISHERS), "title": words[:40],
                             "url": f"https://news.example/{uuid.uuid4().hex[:8]}"}],
                "data": {"speaker": "A. Person", "organization": rng.choice(ORGS),
                         "statement": words}}))  # fmt: skip
        for first in range(0, len(drafts), 2_000):
            service.append(slug, drafts[first : first + 2_000])


def median_ms(call: Any, runs: int = 7) -> float:
    call()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def measure(url: str) -> None:
    service = PactlogService(url)
    began = time.perf_counter()
    build(service)
    built = time.perf_counter() - began
    began = time.perf_counter()
    projected = service.catch_up()
    projecting = time.perf_counter() - began
    print(f"{url.split(':', maxsplit=1)[0]}: built {EVENTS:,} events in {built:.0f}s; projected "
          f"{projected:,} in {projecting:.0f}s ({projected / projecting:,.0f}/s)")  # fmt: skip
    if url.startswith("postgresql"):
        # What autovacuum does within a minute of a large load: without statistics the planner
        # guesses two rows per table and joins the wrong way round.
        with psycopg.connect(url.split("?", maxsplit=1)[0], autocommit=True) as conn:
            schema = url.split("schema=")[1]
            for table in ("view_rows", "view_search", "view_changes"):
                conn.execute(f'ANALYZE "{schema}".{table}')
    for query, options in QUERIES:
        answer = service.search(query, limit=20, **options)
        ms = median_ms(lambda q=query, o=options: service.search(q, limit=20, **o))
        print(f"  search {query!r} {options or ''}: {ms:.1f} ms median ({len(answer.hits)} hits)")
    began = time.perf_counter()
    size = sum(len(line) for line in log_lines(service))
    took = time.perf_counter() - began
    print(f"  export log: {EVENTS / took:,.0f} events/s ({size / 1e6:.0f} MB JSON Lines)")
    began = time.perf_counter()
    size = sum(len(line) for line in timeline_csv(timeline_records(service)))
    took = time.perf_counter() - began
    print(f"  export timeline CSV: {EVENTS / took:,.0f} events/s ({size / 1e6:.0f} MB)")
    service.close()


def main() -> None:
    urls = sys.argv[1:] or [f"sqlite:///{tempfile.mkdtemp()}/analyst.sqlite"]
    for url in urls:
        if url.startswith("postgresql") and "schema=" not in url:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            try:
                measure(f"{url}?schema={schema}")
            finally:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        else:
            measure(url)


if __name__ == "__main__":
    main()
