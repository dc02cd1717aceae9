"""The example timeline loads through the service and reads as the article tells it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from service.loading import load_jsonl

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "openai-microsoft.jsonl"


def test_the_example_loads_once_and_a_second_load_stores_nothing(service):
    lines = EXAMPLE.read_text().splitlines()
    first = load_jsonl(service, lines)
    assert first.refused == []
    assert first.appended == len(lines)
    again = load_jsonl(service, lines)
    assert (again.appended, again.already_there) == (0, len(lines))
    assert service.verify("openai-microsoft").ok


def test_the_example_tells_the_partnership_as_of_the_board_crisis(service):
    load_jsonl(service, EXAMPLE.read_text().splitlines())
    before = service.state("openai-microsoft", as_of=date(2023, 11, 16)).state
    after = service.state("openai-microsoft", as_of=date(2023, 11, 20)).state
    assert before["name"] == "OpenAI–Microsoft"
    assert before["investments"]["totals"]["USD"]["firm"] == "11000000000"
    assert after["trust"]["score"] < before["trust"]["score"], "the CEO's removal costs trust"
    now = service.state("openai-microsoft").state
    assert len(now["disputes"]["open"]) >= 2


def test_a_refused_line_is_reported_with_its_number(service):
    report = load_jsonl(service, ['{"type": "ModelReleased"}', "not json"], "nobody")
    assert [number for number, _ in report.refused] == [1, 2]


def test_the_readme_example_runs_as_written(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)
    assert namespace["pactlog"].state("openai-microsoft").state["events"] == 2
