"""The README's curl examples, run as written against a real server (SQLite, as `make run`)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import ADMIN, ROOT, running_server

README_BASE = "http://127.0.0.1:8000"
_BLOCK = re.compile(r"```(?:sh|bash|shell|console)\n(.*?)```", re.DOTALL)


def readme_curls(text: str) -> list[str]:
    """Each `curl …` command of the README's shell blocks, continuation lines joined."""
    commands = []
    for block in _BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.strip().removeprefix("$ ")
            if command.startswith("curl "):
                commands.append(command)
    return commands


def test_readme_curls_are_found_in_shell_blocks() -> None:
    text = "```sh\ncurl -s \\\n  http://127.0.0.1:8000/healthz\n# not curl\n```\n"
    assert readme_curls(text) == ["curl -s    http://127.0.0.1:8000/healthz"]


def test_the_readme_curl_examples_work_as_written(tmp_path: Path) -> None:
    commands = readme_curls((ROOT / "README.md").read_text(encoding="utf-8"))
    if not commands:
        pytest.skip("the README has no curl examples yet")
    run_curls(commands, tmp_path)


def run_curls(commands: list[str], workdir: Path) -> None:
    """Run each command against a fresh server (as `make run` starts it); each must succeed
    and answer JSON (or JSON Lines)."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    url = f"sqlite:///{workdir}/readme.sqlite"
    with running_server(url, workdir) as (server, _):
        for written in commands:
            command = written.replace(README_BASE, server.base).replace(
                "curl ", "curl --fail-with-body ", 1
            )
            done = subprocess.run(
                ["bash", "-c", command],
                env={**server.env, "TOKEN": ADMIN, "PACTLOG_TOKEN": ADMIN},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            answers(done.stdout)


def answers(text: str) -> list[object]:
    """The JSON an example answered: one document, or JSON Lines (an export)."""
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        assert lines, "an example answered nothing"
        return lines


def test_the_readme_shows_search_an_organization_an_export_and_a_what_if() -> None:
    commands = readme_curls((ROOT / "README.md").read_text(encoding="utf-8"))
    for path in ("/v1/search?", "/v1/organizations/", "/v1/export/", "policy="):
        assert any(path in command for command in commands), path
