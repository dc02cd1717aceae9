"""The benchmark runs end to end at tiny sizes, so that it cannot rot (no timing is asserted)."""

from __future__ import annotations

import pytest

from bench.__main__ import main

FIGURES = (
    "single appends",
    "batches over HTTP",
    "vs their floor",
    "vs the bare library's batched save",
    "append cost",
    "current-state read",
    "as_of read",
    "series vs one as_of",
    "dated within",
    "in random vs in date order",
    "rows per event",
    "rebuild all projections",
    "live streams: one append reaches",
    "live streams: single appends with",
    "peak RSS",
    "`pactlog load` of",
    "conditional (304)",
    "timeline page",
)


def run_quick(tmp_path, store: str, postgres: str = "") -> str:
    output = tmp_path / "RESULTS.md"
    arguments = ["--quick", "--stores", store, "--output", str(output)]
    if postgres:
        arguments += ["--postgres", postgres.split("?", maxsplit=1)[0]]
    assert main(arguments) == 0
    return output.read_text()


def test_the_benchmark_runs_on_sqlite_and_writes_its_results(tmp_path):
    report = run_quick(tmp_path, "sqlite")
    for figure in FIGURES:
        assert figure in report
    assert report.count("| sqlite |") == 26


@pytest.mark.postgres
def test_the_benchmark_runs_on_postgres(tmp_path, postgres_url):
    report = run_quick(tmp_path, "postgres", postgres_url)
    assert report.count("| postgres |") == 27
    assert "to 1 partnership" in report
