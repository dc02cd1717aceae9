"""An upgrade keeps what was recorded: a store written by the release before issue 12 (version-1
payloads, the old module's topics, a view in the old layout) reads, folds and gives the same
answers where the meaning did not change, on SQLite and loaded into PostgreSQL, and takes new
events after it."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from api.services import services
from events.versions import upgrade_data
from tests.api.helpers import bearer
from tests.upgrade import ADMIN, ANSWERS, copy_store, load_store

HEADERS = bearer(ADMIN)
SLUG = "openai-microsoft"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def upgraded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    if request.param == "sqlite":
        url = copy_store(tmp_path)
    else:
        url = str(request.getfixturevalue("postgres_url"))
        assert load_store(url) == 38
    app = create_app({"DATABASE_URL": url, "ADMIN_TOKEN": ADMIN})
    yield app
    services(app).close()


def invested_then_and_now(old: dict[str, Any]) -> dict[str, Any]:
    """An old totals entry as the new code says it: committed is now firm; total is firm + paid;
    every recorded amount was exact, so the range is the total itself."""
    firm, paid = old.pop("committed"), old.pop("paid")
    total = str(Decimal(firm) + Decimal(paid))
    return old | {
        "firm": firm,
        "contingent": "0",
        "paid": paid,
        "total": total,
        "low": total,
        "high": total,
        "undisclosed": 0,
    }


def same_meaning(old: Any, new: Any, path: str = "") -> None:
    """`new` says what `old` said: every old key is there with the same value, except what the
    upgrade renamed (investment totals, version-1 amounts)."""
    if isinstance(old, dict) and {"committed", "paid"} <= set(old):
        old = invested_then_and_now(dict(old))
    if isinstance(old, dict) and old.get("type") in ("InvestmentMade", "CommitmentMade"):
        old = old | {"data": upgrade_data(old["type"], old["data"])}
    if isinstance(old, dict):
        assert isinstance(new, dict), path
        for key, value in old.items():
            assert key in new, f"{path}.{key} is gone"
            same_meaning(value, new[key], f"{path}.{key}")
    elif isinstance(old, list):
        assert isinstance(new, list), path
        assert len(new) == len(old), path
        for number, (was, now) in enumerate(zip(old, new, strict=True)):
            same_meaning(was, now, f"{path}.{number}")
    else:
        assert new == old, f"{path}: {old!r} became {new!r}"


def read(client: FlaskClient, path: str) -> dict[str, Any]:
    response = client.get(path, headers=HEADERS)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


@pytest.mark.parametrize("name", sorted(ANSWERS["reads"]))
def test_every_recorded_answer_reads_the_same_after_the_upgrade(upgraded: Flask, name: str) -> None:
    recorded = ANSWERS["reads"][name]
    same_meaning(recorded["body"], read(upgraded.test_client(), recorded["path"]), name)


def test_the_upgraded_store_verifies_and_rebuilt_its_view_once(upgraded: Flask) -> None:
    client = upgraded.test_client()
    verified = read(client, f"/v1/partnerships/{SLUG}/verify")
    assert (verified["ok"], verified["checked"]) == (True, 38)
    url = services(upgraded).settings.database_url
    services(upgraded).close()
    again = create_app({"DATABASE_URL": url})
    try:
        assert services(again).pactlog.rebuilt_layout is False
    finally:
        services(again).close()


def test_the_upgraded_store_takes_new_events_in_the_new_shapes(upgraded: Flask) -> None:
    client = upgraded.test_client()
    timeline = read(client, f"/v1/partnerships/{SLUG}/events?type=InvestmentMade")["events"]
    corrected = next(e for e in timeline if e["occurred_on"] == "2023-01-23")
    assert corrected["data"]["amount"] == {"kind": "exact", "value": "13000000000", "unit": "USD"}
    attached = client.post(
        f"/v1/partnerships/{SLUG}/events",
        json={
            "type": "SourceAttached",
            "summary": "A filing gives a range",
            "data": {
                "target_id": corrected["id"],
                "source": {
                    "title": "Microsoft 10-K",
                    "published_on": "2024-07",
                    "figure": {
                        "kind": "range",
                        "low": "10000000000",
                        "high": "13000000000",
                        "unit": "USD",
                    },
                },
            },
        },
        headers=HEADERS,
    )
    assert attached.status_code == 201, attached.get_json()
    option = client.post(
        f"/v1/partnerships/{SLUG}/events",
        json={
            "type": "InvestmentMade",
            "occurred_on": "2025-03",
            "summary": "An option on more",
            "data": {
                "investor": "Microsoft",
                "amount": {"kind": "up_to", "value": "5000000000", "unit": "USD"},
                "tranches": [
                    {
                        "status": "contingent",
                        "amount": {"kind": "exact", "value": "5000000000", "unit": "USD"},
                        "condition": "milestones",
                    }
                ],
            },
        },
        headers=HEADERS,
    )
    assert option.status_code == 201, option.get_json()
    totals = read(client, f"/v1/partnerships/{SLUG}/state")["state"]["investments"]["totals"]["USD"]
    assert totals == {
        "firm": "14000000000",
        "contingent": "5000000000",
        "paid": "2000000000",
        "total": "16000000000",
        "low": "13000000000",
        "high": "16000000000",
        "undisclosed": 0,
    }
    assert read(client, f"/v1/partnerships/{SLUG}/verify")["ok"] is True
    before = ANSWERS["reads"]["state_2025_06_before_amendments"]
    same_meaning(before["body"]["state"], read(client, before["path"])["state"], "known_at")
