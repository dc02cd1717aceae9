"""The organizations network page: SVG drawn on the server, with its data table."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.api.helpers import SLUG


def test_the_network_draws_organizations_and_partnerships_with_a_data_table(
    client: FlaskClient, admin: dict[str, str], loaded: list[dict[str, Any]], acme: str
) -> None:
    page = client.get("/network", headers=admin)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<svg id="network-chart"' in html
    assert html.count("<line ") == 2
    assert ">Microsoft</text>" in html
    assert ">OpenAI</text>" in html
    assert f"<td>{SLUG}</td>" in html
    assert "USD: " in html


def test_the_network_as_of_a_date_before_a_partnership_leaves_it_out(
    client: FlaskClient, admin: dict[str, str], loaded: list[dict[str, Any]], acme: str
) -> None:
    html = client.get("/network?as_of=2019-12-31", headers=admin).get_data(as_text=True)
    assert html.count("<line ") == 1
    assert ">Acme</text>" not in html
    assert client.get("/network?as_of=nonsense", headers=admin).status_code == 200
