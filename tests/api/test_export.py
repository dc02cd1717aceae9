"""Exports over HTTP and by the CLI: streamed JSON Lines and CSV, loaded back by `pactlog load`
(all or nothing, row-numbered errors)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from api.app import create_app
from api.cli import cli
from api.services import services
from service.export import TIMELINE_COLUMNS
from tests.api.helpers import SLUG, example_lines, problem


def _lines(response: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def test_the_log_exports_as_json_lines_of_the_same_cloud_events(
    client: FlaskClient, reader: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    response = client.get("/v1/export/log", headers=reader)
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert response.is_streamed
    lines = _lines(response)
    page = client.get("/v1/events?limit=1000", headers=reader).get_json()["events"]
    assert lines == page
    assert response.headers["Pactlog-Position"] == str(lines[-1]["position"])


def test_a_log_export_resumes_after_a_position(
    client: FlaskClient, reader: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    whole = _lines(client.get("/v1/export/log", headers=reader))
    rest = _lines(client.get(f"/v1/export/log?after={whole[9]['position']}", headers=reader))
    assert rest == whole[10:]


def test_the_timeline_exports_as_csv_in_long_format_by_accept_or_format(
    client: FlaskClient, reader: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    by_accept = client.get(
        f"/v1/export/timeline?partnership={SLUG}", headers={**reader, "Accept": "text/csv"}
    )
    by_format = client.get(f"/v1/export/timeline?partnership={SLUG}&format=csv", headers=reader)
    assert by_accept.mimetype == by_format.mimetype == "text/csv"
    assert by_accept.get_data() == by_format.get_data()
    rows = list(csv.DictReader(io.StringIO(by_accept.get_data(as_text=True))))
    assert tuple(rows[0]) == TIMELINE_COLUMNS
    timeline = client.get(f"/v1/partnerships/{SLUG}/events?limit=1000", headers=reader)
    events = timeline.get_json()["events"]
    assert [row["id"] for row in rows] == [event["id"] for event in events]
    investments = [row for row in rows if row["type"] == "InvestmentMade"]
    assert investments[0]["amount"] == "1000000000"
    assert investments[0]["currency"] == "USD"
    first = next(event for event in events if event["id"] == investments[0]["id"])
    assert json.loads(investments[0]["data"]) == first["data"]


def test_the_timeline_export_takes_the_timelines_filters(
    client: FlaskClient, reader: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    response = client.get(
        "/v1/export/timeline?format=jsonl&type=InvestmentMade&as_of=2023-01-31", headers=reader
    )
    lines = _lines(response)
    assert lines
    assert {line["type"] for line in lines} == {"InvestmentMade"}
    assert all(line["occurred_on"] <= "2023-01-31" for line in lines)


def test_an_unknown_partnership_is_a_404_before_anything_streams(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    problem(client.get("/v1/export/timeline?partnership=nobody-here", headers=reader), 404)


def test_a_snapshot_gives_every_partnerships_state_as_of_a_date(
    client: FlaskClient, reader: dict[str, str], loaded: list[dict[str, Any]], acme: str
) -> None:
    lines = _lines(client.get("/v1/export/snapshot?as_of=2023-11-20", headers=reader))
    assert [line["partnership"] for line in lines] == [acme, SLUG]
    state = client.get(f"/v1/partnerships/{SLUG}/state?as_of=2023-11-20", headers=reader)
    assert lines[1]["state"] == state.get_json()["state"]
    table = client.get("/v1/export/snapshot?as_of=2023-11-20&format=csv", headers=reader)
    rows = list(csv.DictReader(io.StringIO(table.get_data(as_text=True))))
    trust = [r for r in rows if r["partnership"] == SLUG and r["metric"] == "trust"]
    assert trust[0]["value"] == str(lines[1]["state"]["trust"]["score"])


def _cli(tmp_path: Path, name: str) -> tuple[Flask, FlaskCliRunner]:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/{name}.db"})
    return app, FlaskCliRunner(app)


def test_the_cli_exports_the_log_and_loads_it_into_an_empty_store(tmp_path: Path) -> None:
    source, run = _cli(tmp_path, "source")
    assert run.invoke(cli, ["load", "examples/openai-microsoft.jsonl"]).exit_code == 0
    out = tmp_path / "log.jsonl"
    assert run.invoke(cli, ["export", "log", "--out", str(out)]).exit_code == 0
    target, load = _cli(tmp_path, "target")
    loaded = load.invoke(cli, ["load", str(out)])
    assert loaded.exit_code == 0, loaded.output
    assert f"{len(example_lines())} events added" in loaded.output
    for when in (None, date(2023, 11, 20)):
        before = services(source).pactlog.state(SLUG, as_of=when)
        after = services(target).pactlog.state(SLUG, as_of=when)
        assert before.state == after.state
    services(source).close()
    services(target).close()


def test_a_csv_with_a_bad_row_stores_nothing_and_names_the_rows(tmp_path: Path) -> None:
    source, run = _cli(tmp_path, "source")
    run.invoke(cli, ["load", "examples/openai-microsoft.jsonl"])
    out = tmp_path / "timeline.csv"
    assert run.invoke(cli, ["export", "timeline", "-o", str(out)]).exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    rows[3][TIMELINE_COLUMNS.index("confidence")] = "certain"  # spreadsheet row 4
    rows[6][TIMELINE_COLUMNS.index("occurred_on")] = "2999-01-01"  # row 7: in the future
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as sink:
        csv.writer(sink).writerows(rows)
    target, load = _cli(tmp_path, "target")
    refused = load.invoke(cli, ["load", str(bad)])
    assert refused.exit_code != 0
    assert "row 4: refused" in refused.output
    assert "confidence" in refused.output
    assert "row 7: refused" in refused.output
    assert "future" in refused.output
    assert "nothing stored" in refused.output
    assert services(target).pactlog.last_position() == 0
    partial = load.invoke(cli, ["load", "--partial", str(bad)])
    assert partial.exit_code == 0, partial.output
    assert f"{len(rows) - 3} events added" in partial.output
    assert f"2 of {len(rows) - 1} rows refused" in partial.output
    services(source).close()
    services(target).close()


def test_the_cli_loads_with_as_many_validating_processes_as_it_is_given(tmp_path: Path) -> None:
    app, run = _cli(tmp_path, "one")
    loaded = run.invoke(cli, ["load", "--workers", "1", "examples/openai-microsoft.jsonl"])
    assert loaded.exit_code == 0, loaded.output
    assert f"{len(example_lines())} events added" in loaded.output
    assert run.invoke(cli, ["load", "--workers", "0", "examples/openai-microsoft.jsonl"]).exit_code
    services(app).close()
