"""docker-compose.yml is valid as Compose reads it (no Docker engine needed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.e2e.conftest import ROOT


def test_docker_compose_config_accepts_the_file() -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("PACTLOG_REQUIRE_COMPOSE"):
            pytest.fail("PACTLOG_REQUIRE_COMPOSE is set but docker-compose is not installed")
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    done = subprocess.run(
        [binary, "--file", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        cwd=ROOT,
        env={**os.environ, "PACTLOG_ADMIN_TOKEN": "compose-check"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_docker_compose_config_insists_on_an_admin_token() -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed")
    environment = {k: v for k, v in os.environ.items() if k != "PACTLOG_ADMIN_TOKEN"}
    done = subprocess.run(
        [binary, "--file", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "PACTLOG_ADMIN_TOKEN" in done.stderr


def test_every_compose_setting_is_in_env_example_and_images_are_pinned() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    example = (ROOT / ".env.example").read_text()
    settings = set(re.findall(r"\$\{(\w+)", compose))
    given = set(re.findall(r"^(\w+)=", example, re.MULTILINE))
    assert settings
    assert settings <= given, settings - given
    images = re.findall(r"image:\s*(\S+)", compose)
    images += re.findall(r"^FROM\s+(\S+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    for image in images:
        tag = image.partition(":")[2]
        assert re.match(r"\d+\.\d+", tag), f"{image} is not pinned to a release"


def test_the_thread_count_in_the_docs_is_gunicorns() -> None:
    threads = re.search(r'"PACTLOG_THREADS", "(\d+)"', (ROOT / "gunicorn.conf.py").read_text())
    assert threads is not None
    docs = (ROOT / "docs" / "dashboards.md").read_text()
    claimed = re.findall(r"--threads (\d+)` \(the default config\)", docs)
    assert claimed == [threads[1]]
