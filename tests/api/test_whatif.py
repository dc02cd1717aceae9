"""Trust "what if": the same events folded with another policy, named or inline, beside the
stored answer; a bad policy is a 422 naming what is wrong; nothing stored changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.services import services
from tests.api.conftest import make_app
from tests.api.helpers import SLUG, fields_named, problem

HARSH = {"effects": {"DisputeOpened": -20.0}, "open_dispute": {"per_severity": -6.0}}


def _inline(document: dict[str, Any]) -> str:
    return quote(json.dumps(document))


@pytest.mark.parametrize("as_of", ["", "&as_of=2023-11-20"])
def test_what_if_with_the_default_policy_equals_the_stored_answer_exactly(
    client: FlaskClient, reader: dict[str, str], loaded: list[dict[str, Any]], as_of: str
) -> None:
    stored = client.get(f"/v1/partnerships/{SLUG}/trust?{as_of}", headers=reader).get_json()
    answer = client.get(
        f"/v1/partnerships/{SLUG}/trust?policy=default{as_of}", headers=reader
    ).get_json()
    assert answer["what_if"]["trust"] == stored["trust"] == answer["trust"]
    assert answer["what_if"]["contributions"] == stored["contributions"]
    assert answer["what_if"]["differing"] == []
    assert answer["what_if"]["policy"] == "default"


def test_an_inline_policy_changes_the_score_and_names_the_contributions_that_differ(
    client: FlaskClient, reader: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    url = f"/v1/partnerships/{SLUG}/trust?as_of=2023-11-20&policy={_inline(HARSH)}"
    answer = client.get(url, headers=reader).get_json()
    assert answer["what_if"]["policy"] == "inline"
    assert answer["what_if"]["trust"]["score"] < answer["trust"]["score"]
    differing = answer["what_if"]["differing"]
    assert {d["type"] for d in differing if d["kind"] == "event"} == {"DisputeOpened"}
    assert any(d["kind"] == "open_dispute" for d in differing)
    for item in differing:
        assert item["change"] == pytest.approx(item["alternative"] - item["stored"], abs=1e-3)
    after = client.get(f"/v1/partnerships/{SLUG}/trust?as_of=2023-11-20", headers=reader)
    assert after.get_json()["trust"] == answer["trust"], "the stored answer is untouched"


def test_a_named_policy_comes_from_the_policies_directory(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "harsh.toml").write_text(
        "[effects]\nDisputeOpened = -20.0\n[open_dispute]\nper_severity = -6.0\n"
    )
    app = make_app(tmp_path, POLICIES_DIR=str(policies), ANONYMOUS_READS=True)
    client = app.test_client()
    client.post(
        "/v1/partnerships",
        json={"slug": "a-b", "name": "A–B", "parties": ["A", "B"], "occurred_on": "2020-01"},
        headers={"Authorization": "Bearer test-admin-secret"},
    )
    assert client.get("/v1/policies").get_json()["policies"] == ["default", "harsh"]
    named = client.get("/v1/partnerships/a-b/trust?policy=harsh").get_json()
    inline = client.get(f"/v1/partnerships/a-b/trust?policy={_inline(HARSH)}").get_json()
    assert named["what_if"]["trust"] == inline["what_if"]["trust"]
    body = problem(client.get("/v1/partnerships/a-b/trust?policy=lenient"), 422)
    assert fields_named(body) == {"policy"}
    assert body["policies"] == ["default", "harsh"]
    services(app).close()


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        ({"effects": {"DisputeOpenned": -3}}, "policy.effects.DisputeOpenned", "Unknown event"),
        ({"effects": {"DisputeOpened": -300}}, "policy.effects.DisputeOpened", "out of range"),
        ({"confidence": {"rumored": 2}}, "policy.confidence.rumored", "out of range"),
        ({"half_life_days": 0}, "policy.half_life_days", "out of range"),
        ({"effects": {"LeadershipChanged": {"by": "mood"}}}, "policy.effects.LeadershipChanged.by",
         "no data field"),
        ({"weights": {}}, "policy.weights", "Unknown setting"),
    ],
)  # fmt: skip
def test_a_bad_policy_is_a_422_naming_what_is_wrong(
    client: FlaskClient, reader: dict[str, str], acme: str, document: Any, field: str, words: str
) -> None:
    body = problem(
        client.get(f"/v1/partnerships/{acme}/trust?policy={_inline(document)}", headers=reader),
        422,
    )
    assert field in fields_named(body)
    assert any(words in error["detail"] for error in body["errors"])


def test_inline_policy_text_that_is_not_json_is_a_422(
    client: FlaskClient, reader: dict[str, str], acme: str
) -> None:
    body = problem(client.get(f"/v1/partnerships/{acme}/trust?policy={{oops", headers=reader), 422)
    assert fields_named(body) == {"policy"}


def test_state_and_series_take_a_policy_too(
    client: FlaskClient, reader: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    policy = _inline(HARSH)
    state = client.get(
        f"/v1/partnerships/{SLUG}/state?as_of=2024-06-30&policy={policy}", headers=reader
    ).get_json()
    assert state["what_if"]["trust"]["score"] < state["state"]["trust"]["score"]
    assert "contributions" not in state["what_if"]
    base = f"/v1/partnerships/{SLUG}/series/trust?from=2023-01&to=2024-06&step=quarter"
    stored = client.get(base, headers=reader).get_json()
    series = client.get(f"{base}&policy={policy}", headers=reader).get_json()
    assert series["points"] == stored["points"]
    alternative = series["what_if"]["points"]
    assert [p["at"] for p in alternative] == [p["at"] for p in stored["points"]]
    assert alternative[-1]["value"] < stored["points"][-1]["value"]
    same = client.get(f"{base}&policy=default", headers=reader).get_json()
    assert same["what_if"]["points"] == stored["points"]
    table = client.get(f"{base}&policy={policy}&format=csv", headers=reader)
    assert table.get_data(as_text=True).splitlines()[0] == "at,trust,trust_what_if"


def test_the_policies_list_shows_the_default_document(app: Flask, client: FlaskClient) -> None:
    answer = client.get("/v1/policies", headers={"Authorization": "Bearer test-admin-secret"})
    assert answer.get_json()["default"]["baseline"] == 50.0
