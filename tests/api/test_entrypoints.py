"""The entry points read the environment; the factory reads only its config."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from flask.testing import FlaskCliRunner

from api import wsgi
from api.app import create_app
from api.cli import _app, cli
from api.services import services
from service.errors import StoreUnavailable
from service.pactlog import PactlogService
from tests.api.helpers import EXAMPLE


def test_the_factory_needs_a_database_url() -> None:
    with pytest.raises(ValueError, match="DATABASE_URL"):
        create_app({})


def test_the_wsgi_entry_point_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/w.db")
    monkeypatch.setenv("PACTLOG_MAX_CONTENT_LENGTH", "1234")
    monkeypatch.delenv("PACTLOG_THREADS", raising=False)
    monkeypatch.delenv("PACTLOG_STREAM_MAX_CLIENTS", raising=False)
    app = wsgi.create()
    settings = services(app).settings
    assert settings.database_url == f"sqlite:///{tmp_path}/w.db"
    assert settings.anonymous_reads is False
    assert settings.max_content_length == app.config["MAX_CONTENT_LENGTH"] == 1234
    assert settings.stream_max_clients == 32 - 8  # threads left for ordinary requests
    assert app.test_client().get("/v1/partnerships").status_code == 401


def test_the_cli_loads_verifies_and_manages_tokens(tmp_path: Path) -> None:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/c.db"})
    runner = FlaskCliRunner(app)
    loaded = runner.invoke(cli, ["load", str(EXAMPLE)])
    assert loaded.exit_code == 0, loaded.output
    assert "38 events added" in loaded.output
    again = runner.invoke(cli, ["load", str(EXAMPLE)])
    assert "0 events added, 38 already there" in again.output
    verified = runner.invoke(cli, ["verify"])
    assert verified.exit_code == 0
    assert "openai-microsoft: ok, 38 events" in verified.output
    created = runner.invoke(cli, ["token", "create", "--name", "ci", "--scope", "read"])
    token_id, secret = created.output.split()[1], created.output.strip().splitlines()[-1]
    assert services(app).tokens.authenticate(secret) is not None
    assert runner.invoke(cli, ["token", "revoke", token_id]).exit_code == 0
    assert services(app).tokens.authenticate(secret) is None
    assert runner.invoke(cli, ["token", "revoke", token_id]).exit_code != 0
    assert "revoked" in runner.invoke(cli, ["token", "list"]).output
    services(app).close()


def test_the_cli_help_shows_pactlog_options_only_and_a_version() -> None:
    runner = CliRunner()
    shown = runner.invoke(cli, ["--help"], obj=ScriptInfo(create_app=_app))
    assert shown.exit_code == 0
    assert "--app" not in shown.output
    assert "--debug" not in shown.output
    assert "--env-file" not in shown.output
    assert "serve" in shown.output
    version = runner.invoke(cli, ["--version"])
    assert version.exit_code == 0
    assert version.output.startswith("pactlog, version ")


def test_a_load_that_stored_everything_succeeds_even_if_projecting_must_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10, item 3: the loader's last step (projecting what it stored) met a busy SQLite
    file and exited 1 with a traceback, after every line was stored."""

    def locked(self: PactlogService) -> int:
        raise StoreUnavailable("database is locked")

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/c.db"})
    monkeypatch.setattr(PactlogService, "catch_up", locked)
    loaded = FlaskCliRunner(app).invoke(cli, ["load", str(EXAMPLE)])
    assert loaded.exit_code == 0, loaded.output
    assert "38 events added" in loaded.output
    assert services(app).pactlog.last_position() == 38
    services(app).close()
