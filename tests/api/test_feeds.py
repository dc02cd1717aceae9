"""Feeds for dashboards: the live log (SSE), time series (JSON, CSV), Prometheus metrics, and the
dashboard page, through Flask's test client."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.services import services
from tests.api.conftest import make_app
from tests.api.helpers import SLUG, configure, investment, problem

SERIES = f"/v1/partnerships/{SLUG}/series"


@pytest.fixture(autouse=True)
def short_streams(app: Flask) -> None:
    """Each stream response ends after a fraction of a second (a slice), as in production it
    ends after `STREAM_MAX_SECONDS`: the test reads whole responses."""
    configure(app, stream_max_seconds=0.05, stream_poll_seconds=0.01)


# --- the live log --------------------------------------------------------------------------


ZERO = {
    "firm": "0",
    "contingent": "0",
    "paid": "0",
    "total": "0",
    "low": "0",
    "high": "0",
    "undisclosed": 0,
}


def messages(text: str) -> Iterator[dict[str, Any]]:
    """Server-Sent Events as an EventSource reads them: fields of each block; comments under
    `comments`."""
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        message: dict[str, Any] = {"comments": []}
        for line in block.split("\n"):
            if line.startswith(":"):
                message["comments"].append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            message[name] = value.removeprefix(" ")
        yield message


def read_stream(client: FlaskClient, headers: dict[str, str], **query: Any) -> list[dict[str, Any]]:
    headers = {"Accept": "text/event-stream", **headers}
    response = client.get("/v1/stream", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    return list(messages(response.get_data(as_text=True)))


def delivered(stream: list[dict[str, Any]]) -> list[int]:
    """Positions of the events delivered (blocks with data)."""
    return [int(m["id"]) for m in stream if "data" in m]


def last_id(stream: list[dict[str, Any]]) -> int:
    """What EventSource would send as Last-Event-ID after this response."""
    return [int(m["id"]) for m in stream if "id" in m][-1]


@pytest.mark.usefixtures("loaded")
def test_the_stream_sends_each_event_of_the_log_as_its_cloud_event_with_the_position_as_id(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    stream = read_stream(client, reader)
    assert stream[0]["retry"] == "500"
    assert delivered(stream) == list(range(1, 39))
    log = client.get("/v1/events?limit=100", headers=reader).get_json()["events"]
    from_stream = [m["data"] for m in stream if "data" in m]
    assert [json.loads(d) for d in from_stream] == log


@pytest.mark.usefixtures("loaded")
def test_a_reconnection_resumes_strictly_after_last_event_id_nothing_skipped_or_repeated(
    client: FlaskClient, reader: dict[str, str], writer: dict[str, str]
) -> None:
    first = read_stream(client, reader, after=20)
    assert delivered(first) == list(range(21, 39))
    client.post(f"/v1/partnerships/{SLUG}/events", json=investment("7"), headers=writer)
    client.post(f"/v1/partnerships/{SLUG}/events", json=investment("8"), headers=writer)
    # EventSource reconnects to the same URL (still ?after=20) and sends Last-Event-ID: it wins.
    second = read_stream(client, {**reader, "Last-Event-ID": str(last_id(first))}, after=20)
    assert delivered(second) == [39, 40]
    third = read_stream(client, {**reader, "Last-Event-ID": str(last_id(second))}, after=20)
    assert delivered(third) == []
    seen = delivered(first) + delivered(second) + delivered(third)
    assert seen == sorted(set(seen)) == list(range(21, 41))


@pytest.mark.usefixtures("loaded")
def test_one_partnerships_stream_skips_the_others_and_marks_its_progress_past_them(
    client: FlaskClient, reader: dict[str, str], acme: str, writer: dict[str, str]
) -> None:
    client.post(f"/v1/partnerships/{SLUG}/events", json=investment("9"), headers=writer)
    stream = read_stream(client, reader, partnership=acme)
    events = [json.loads(m["data"]) for m in stream if "data" in m]
    assert [e["subject"] for e in events] == [acme]
    assert events[0]["position"] == 39
    assert last_id(stream) == 40  # past SLUG's event: a reconnection does not scan it again
    again = read_stream(client, {**reader, "Last-Event-ID": str(last_id(stream))}, partnership=acme)
    assert delivered(again) == []


def test_a_quiet_stream_sends_heartbeat_comments(
    app: Flask, client: FlaskClient, reader: dict[str, str]
) -> None:
    configure(app, stream_heartbeat_seconds=0.01, stream_max_seconds=0.2)
    stream = read_stream(client, reader)
    assert any("heartbeat" in c for m in stream for c in m["comments"])
    assert delivered(stream) == []


def test_a_last_event_id_that_is_not_a_position_is_refused(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    body = problem(client.get("/v1/stream", headers={**reader, "Last-Event-ID": "abc"}), 422)
    assert body["errors"][0]["field"] == "Last-Event-ID"


def test_a_process_refuses_streams_beyond_its_limit_and_says_when_to_retry(
    app: Flask, client: FlaskClient, reader: dict[str, str]
) -> None:
    configure(app, stream_max_clients=0)
    response = client.get("/v1/stream", headers=reader)
    problem(response, 503)
    assert response.headers["Retry-After"]


def test_a_client_that_does_not_accept_an_event_stream_gets_the_log_as_it_is_at_once(
    app: Flask, client: FlaskClient, reader: dict[str, str]
) -> None:
    configure(app, stream_max_seconds=3600)  # a live slice would not end during the test
    response = client.get("/v1/stream", headers=reader)
    assert response.mimetype == "text/event-stream"
    assert "retry: 500" in response.get_data(as_text=True)


def test_the_stream_needs_a_read_token(client: FlaskClient) -> None:
    problem(client.get("/v1/stream"), 401)


# --- time series ---------------------------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_a_series_in_one_pass_equals_the_state_as_of_each_of_its_dates(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    answers = {
        metric: client.get(
            f"{SERIES}/{metric}?from=2019-06-01&to=2026-06-30&step=quarter", headers=reader
        ).get_json()
        for metric in ("trust", "invested", "open_disputes", "open_risks", "events")
    }
    dates = [p["at"] for p in answers["trust"]["points"]]
    assert len(dates) == 29
    assert dates[0] == "2019-07-22"  # formation: nothing before it has a state
    assert dates[1] == "2019-10-01"
    assert dates[-1] == "2026-06-30"  # the cut itself
    for index, at in enumerate(dates):
        state = client.get(f"/v1/partnerships/{SLUG}/state?as_of={at}", headers=reader).get_json()
        state = state["state"]
        assert answers["trust"]["points"][index] == {"at": at, "value": state["trust"]["score"]}
        assert answers["open_disputes"]["points"][index]["value"] == len(state["disputes"]["open"])
        assert answers["open_risks"]["points"][index]["value"] == state["risks"]["open"]
        assert answers["events"]["points"][index]["value"] == state["events"]
        invested = answers["invested"]["points"][index]["value"]
        totals = state["investments"]["totals"]
        assert {c: v for c, v in invested.items() if c in totals} == totals
        before_any = {c: v for c, v in invested.items() if c not in totals}
        assert all(v == ZERO for v in before_any.values())


@pytest.mark.usefixtures("loaded")
def test_a_series_as_known_at_an_instant_ignores_what_was_recorded_later(
    client: FlaskClient, reader: dict[str, str], writer: dict[str, str]
) -> None:
    known_at = client.get("/v1/events?after=37", headers=reader).get_json()["events"][0]["time"]
    late = investment("5000000000", occurred_on="2020-03-01")
    response = client.post(f"/v1/partnerships/{SLUG}/events", json=late, headers=writer)
    assert response.status_code == 201
    query = "from=2019-07-01&to=2024-01-01&step=month"
    then = client.get(f"{SERIES}/invested?{query}&known_at={known_at}", headers=reader).get_json()
    now = client.get(f"{SERIES}/invested?{query}", headers=reader).get_json()
    assert then["known_at"] is not None
    assert then["position"] == 38
    assert now["position"] == 39
    assert then["points"] != now["points"]
    for point in then["points"]:
        state = client.get(
            f"/v1/partnerships/{SLUG}/state?as_of={point['at']}&known_at={known_at}",
            headers=reader,
        ).get_json()["state"]
        assert {k: v for k, v in point["value"].items() if v != ZERO} == (
            state["investments"]["totals"]
        )


@pytest.mark.usefixtures("loaded")
def test_a_series_is_csv_when_asked_by_accept_or_format(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    query = "from=2023-01-01&to=2023-12-31&step=quarter"
    as_json = client.get(f"{SERIES}/open_disputes?{query}", headers=reader).get_json()
    by_accept = client.get(
        f"{SERIES}/open_disputes?{query}", headers={**reader, "Accept": "text/csv"}
    )
    by_format = client.get(f"{SERIES}/open_disputes?{query}&format=csv", headers=reader)
    assert by_accept.mimetype == by_format.mimetype == "text/csv"
    assert by_accept.get_data() == by_format.get_data()
    assert by_format.headers["Pactlog-Position"] == "38"
    rows = list(csv.DictReader(io.StringIO(by_format.get_data(as_text=True))))
    assert [(r["at"], int(r["open_disputes"])) for r in rows] == [
        (p["at"], p["value"]) for p in as_json["points"]
    ]
    assert [r["at"] for r in rows] == [
        "2023-01-01",
        "2023-04-01",
        "2023-07-01",
        "2023-10-01",
        "2023-12-31",
    ]


@pytest.mark.usefixtures("loaded")
def test_invested_as_csv_has_firm_contingent_paid_total_and_range_columns_per_currency(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    text = client.get(
        f"{SERIES}/invested?from=2019-01-01&to=2024-01-01&step=quarter&format=csv", headers=reader
    ).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    columns = ("firm", "contingent", "paid", "total", "low", "high", "undisclosed")
    assert rows[0] == ["at", *(f"USD_{c}" for c in columns)]
    assert rows[1][0] == "2019-07-22"  # from formation
    state = client.get(f"/v1/partnerships/{SLUG}/state?as_of=2024-01-01", headers=reader)
    totals = state.get_json()["state"]["investments"]["totals"]["USD"]
    assert rows[-1] == ["2024-01-01", *(str(totals[c]) for c in columns)]


@pytest.mark.usefixtures("loaded")
def test_a_series_defaults_to_monthly_from_the_first_event_and_as_of_ends_it(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    body = client.get(f"{SERIES}/trust?as_of=2020-12-31", headers=reader).get_json()
    assert body["step"] == "month"
    assert body["from"] == "2019-07-22"
    assert body["to"] == "2020-12-31"
    assert body["as_of"] == "2020-12-31"
    assert [p["at"] for p in body["points"]][:3] == ["2019-07-22", "2019-08-01", "2019-09-01"]
    assert body["points"][-1]["at"] == "2020-12-31"  # the as_of state itself


@pytest.mark.usefixtures("loaded")
def test_a_series_ends_at_the_cut_and_never_in_the_future(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    body = client.get(f"{SERIES}/trust?as_of=2023-11-20", headers=reader).get_json()
    state = client.get(f"/v1/partnerships/{SLUG}/state?as_of=2023-11-20", headers=reader)
    assert body["points"][-1] == {
        "at": "2023-11-20",
        "value": state.get_json()["state"]["trust"]["score"],
    }
    ahead = client.get(f"{SERIES}/trust?to=2099-01-01&step=quarter", headers=reader).get_json()
    today = client.get(f"/v1/partnerships/{SLUG}/trust", headers=reader).get_json()["trust"]["at"]
    assert ahead["to"] == today
    assert ahead["points"][-1]["at"] == today


@pytest.mark.usefixtures("loaded")
def test_series_refuse_unknown_metrics_bad_ranges_and_too_many_points(
    client: FlaskClient, reader: dict[str, str], writer: dict[str, str]
) -> None:
    assert problem(client.get(f"{SERIES}/mood", headers=reader), 404)["metric"] == "mood"
    body = problem(client.get(f"{SERIES}/trust?from=2024&to=2023", headers=reader), 422)
    assert body["errors"][0]["field"] == "from"
    since_formation = client.get(f"{SERIES}/trust?from=1900&step=quarter", headers=reader)
    assert since_formation.get_json()["from"] == "2019-07-22"  # nothing before formation
    old = {"slug": "old-pact", "name": "Old", "parties": ["A", "B"], "occurred_on": "1990"}
    assert client.post("/v1/partnerships", json=old, headers=writer).status_code == 201
    too_many = client.get("/v1/partnerships/old-pact/series/trust?step=day", headers=reader)
    assert problem(too_many, 422)["errors"][0]["field"] == "step"
    problem(client.get("/v1/partnerships/no-such/series/trust", headers=reader), 404)


# --- metrics -------------------------------------------------------------------------------


def sample(text: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus text."""
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$", line)
        if not match or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match[3] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match[4])
    raise AssertionError(f"no {name} {labels} in:\n{text}")


@pytest.mark.usefixtures("loaded")
def test_metrics_count_requests_and_show_the_log_and_each_partnership(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    client.get(f"/v1/partnerships/{SLUG}/state", headers=reader)
    state = client.get(f"/v1/partnerships/{SLUG}/state", headers=reader).get_json()["state"]
    client.get("/v1/partnerships/no-such/state", headers=reader)
    response = client.get("/metrics", headers=reader)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    rule = "/v1/partnerships/<slug:slug>/state"
    ok = {"endpoint": rule, "method": "GET", "status": "200"}
    assert sample(text, "pactlog_http_requests_total", **ok) == 2
    assert sample(text, "pactlog_http_requests_total", endpoint=rule, status="404") == 1
    assert sample(text, "pactlog_http_request_duration_seconds_count", **ok) == 2
    assert sample(text, "pactlog_http_request_duration_seconds_bucket", **ok, le="+Inf") == 2
    assert sample(text, "pactlog_log_position") == 38
    assert "_created" not in text
    assert sample(text, "pactlog_projection_lag_events") == 0
    assert sample(text, "pactlog_trust_level", partnership=SLUG) == state["trust"]["score"]
    assert sample(text, "pactlog_open_disputes", partnership=SLUG) == len(state["disputes"]["open"])
    usd = state["investments"]["totals"]["USD"]
    for status in ("firm", "contingent", "paid"):
        assert sample(
            text, "pactlog_invested_currency_units", partnership=SLUG, currency="USD", status=status
        ) == float(usd[status])


def test_each_app_has_its_own_metrics(
    client: FlaskClient, reader: dict[str, str], tmp_path: Path
) -> None:
    client.get("/v1/partnerships", headers=reader)
    (tmp_path / "other").mkdir()
    other = make_app(tmp_path / "other", ANONYMOUS_READS=True)
    try:
        text = other.test_client().get("/metrics").get_data(as_text=True)
        assert sample(text, "pactlog_store_up") == 1
        assert "pactlog_http_requests_total{" not in text
    finally:
        services(other).close()


# --- the dashboard page --------------------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_the_page_shows_the_timeline_the_trust_figure_and_charts_with_the_series_points(
    app: Flask, client: FlaskClient, reader: dict[str, str]
) -> None:
    configure(app, anonymous_reads=True)
    html = client.get("/?as_of=2023-11-20").get_data(as_text=True)
    state = client.get(f"/v1/partnerships/{SLUG}/state?as_of=2023-11-20", headers=reader)
    score = state.get_json()["state"]["trust"]["score"]
    assert f'id="trust-figure" data-value="{score}"' in html
    assert html.count('class="event conf-') == state.get_json()["state"]["events"]
    found = re.search(r'data-series-url="([^"]+)"', html)
    assert found is not None
    series_url = found[1].replace("&amp;", "&")
    points = client.get(series_url, headers=reader).get_json()["points"]
    trust_chart = html.split('id="trust-chart"')[1].split("</svg>")[0]
    assert trust_chart.count('<circle class="point"') == len(points)
    assert points[-1]["at"] <= "2023-11-20"


def test_the_page_asks_for_a_token_when_reads_are_not_anonymous(client: FlaskClient) -> None:
    response = client.get("/?as_of=2023-11-20")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert 'action="/sign-in"' in html
    assert 'name="next" value="/?as_of=2023-11-20"' in html


@pytest.mark.usefixtures("loaded")
def test_the_page_names_a_malformed_date_and_still_shows_today(
    app: Flask, client: FlaskClient
) -> None:
    configure(app, anonymous_reads=True)
    response = client.get("/?as_of=yesterday&known_at=")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html
    assert "<strong>as_of</strong>" in html
    assert "known_at" not in html.split('role="alert"')[1].split("</ul>")[0]


# --- the Grafana dashboard in examples/ ----------------------------------------------------

GRAFANA = Path(__file__).resolve().parents[2] / "examples" / "grafana-pactlog.json"


def grafana_requests() -> Iterator[tuple[str, dict[str, Any]]]:
    """Each panel query of the Grafana dashboard as the URL it asks (variables at their
    defaults, the time range 2019-01-01 to 2026-01-01) and its target."""
    dashboard = json.loads(GRAFANA.read_text())
    defaults = {v["name"]: v["current"].get("value") for v in dashboard["templating"]["list"]}
    values = {
        "${pactlog}": "",
        "${partnership}": defaults["partnership"],
        "${step}": defaults["step"],
        "${currency}": defaults["currency"],
        "${__from:date:YYYY-MM-DD}": "2019-01-01",
        "${__to:date:YYYY-MM-DD}": "2026-01-01",
    }

    def fill(text: str) -> str:
        for name, value in values.items():
            text = text.replace(name, value)
        return text

    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            assert target["datasource"]["type"] == "yesoreyeram-infinity-datasource"
            query = "&".join(
                f"{p['key']}={fill(p['value'])}" for p in target["url_options"]["params"]
            )
            filled = {
                **target,
                "columns": [{**c, "selector": fill(c["selector"])} for c in target["columns"]],
            }
            yield f"{fill(target['url'])}?{query}", filled


@pytest.mark.usefixtures("loaded")
def test_every_query_of_the_grafana_dashboard_reads_the_series_endpoint(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    asked = 0
    for url, target in grafana_requests():
        response = client.get(url, headers=reader)
        assert response.status_code == 200, (url, response.get_data(as_text=True))
        if target["type"] == "csv":
            rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        else:
            rows = response.get_json()[target["root_selector"]]
        assert rows
        for column in target["columns"]:
            assert column["selector"] in rows[0], (url, column)
        asked += 1
    assert asked >= 7


@pytest.mark.usefixtures("loaded")
def test_the_grafana_dashboard_asks_for_its_inputs_and_lists_the_partnerships(
    client: FlaskClient, reader: dict[str, str]
) -> None:
    dashboard = json.loads(GRAFANA.read_text())
    inputs = {i["name"]: i for i in dashboard["__inputs"]}
    assert inputs["DS_PACTLOG"]["pluginId"] == "yesoreyeram-infinity-datasource"
    uids = {
        target["datasource"]["uid"] for panel in dashboard["panels"] for target in panel["targets"]
    }
    assert uids == {"${DS_PACTLOG}"}
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    partnership = variables["partnership"]
    assert partnership["type"] == "query"
    query = partnership["query"]["infinityQuery"]
    answer = client.get(query["url"].replace("${pactlog}", ""), headers=reader).get_json()
    slugs = [row[query["columns"][0]["selector"]] for row in answer[query["root_selector"]]]
    assert partnership["current"]["value"] in slugs


def test_the_page_counts_only_figures_as_sure_as_asked_like_the_state(
    client: FlaskClient, reader: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    def invested(html: str) -> list[str]:
        return re.findall(r'class="amount" data-total="([0-9.]+)"', html)

    def totals(query: str) -> list[str]:
        state = client.get(f"/v1/partnerships/{SLUG}/state{query}", headers=reader).get_json()
        return [sums["total"] for sums in state["state"]["investments"]["totals"].values()]

    everything = client.get(f"/?partnership={SLUG}", headers=reader).get_data(as_text=True)
    confirmed = client.get(
        f"/?partnership={SLUG}&min_confidence=confirmed", headers=reader
    ).get_data(as_text=True)
    assert invested(everything) == totals("")
    assert invested(confirmed) == totals("?min_confidence=confirmed")
    assert invested(confirmed) != invested(everything)
    assert "min_confidence=confirmed" in confirmed  # the series links and the filter keep it
    assert 'id="counted"' in confirmed
    assert 'id="counted"' not in everything
