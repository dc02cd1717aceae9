"""docker-compose.yml is valid as Compose reads it (no Docker engine needed)."""

from __future__ import annotations

import os
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
