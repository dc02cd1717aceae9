"""History is reproducible across partnerships: for a fixed (`as_of`, `known_at`), every
cross-partnership answer is byte-identical before and after later appends — new partnerships,
new events, corrections and retractions included."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.services import services
from tests.api.helpers import ADMIN, bearer

HEADERS = bearer(ADMIN)
SLUGS = ("acme-globex", "initech-hooli", "stark-wayne")
READS = (
    "/v1/investments",
    "/v1/disputes",
    "/v1/investments?partnership=acme-globex",
    "/v1/disputes?partnership=acme-globex",
    "/v1/investments?min_confidence=confirmed",
)

operations = st.lists(
    st.tuples(
        st.sampled_from(("invest", "dispute", "resolve", "correct", "retract")),
        st.sampled_from(SLUGS),
        st.sampled_from(("2021", "2023-06", "2024-02-10", "2025")),
        st.sampled_from(("rumored", "reported", "confirmed")),
        st.integers(min_value=1, max_value=9),
    ),
    min_size=1,
    max_size=8,
)


def apply(
    client: FlaskClient, operation: tuple[str, str, str, str, int], seen: dict[str, list[str]]
) -> None:
    kind, slug, occurred_on, confidence, number = operation
    if slug not in seen:
        response = client.post(
            "/v1/partnerships",
            json={"slug": slug, "name": slug, "parties": slug.split("-"), "occurred_on": "2020"},
            headers=HEADERS,
        )
        assert response.status_code == 201, response.get_json()
        seen[slug] = []
    base = {"occurred_on": occurred_on, "summary": kind, "confidence": confidence}
    if kind == "invest":
        body = {
            **base,
            "type": "InvestmentMade",
            "data": {
                "investor": "Acme",
                "amount": {"kind": "exact", "value": f"{number}000000", "unit": "USD"},
                "status": ("firm", "contingent", "paid")[number % 3],
                **({"condition": "milestone"} if number % 3 == 1 else {}),
            },
        }
    elif kind == "dispute":
        body = {
            **base,
            "type": "DisputeOpened",
            "data": {
                "dispute_id": f"d{number}",
                "topic": "t",
                "raised_by": "Acme",
                "severity": 1 + number % 5,
            },
        }
    elif kind == "resolve":
        body = {
            **base,
            "type": "DisputeResolved",
            "data": {"dispute_id": f"d{number}", "resolution": "r"},
        }
    elif seen[slug]:
        target = seen[slug][number % len(seen[slug])]
        if kind == "correct":
            body = {
                "type": "EventCorrected",
                "summary": "c",
                "data": {"target_id": target, "fields": {"confidence": confidence}, "reason": "r"},
            }
        else:
            body = {
                "type": "EventRetracted",
                "summary": "r",
                "data": {"target_id": target, "reason": "r"},
            }
    else:
        return
    response = client.post(f"/v1/partnerships/{slug}/events", json=body, headers=HEADERS)
    if response.status_code == 201 and kind in ("invest", "dispute"):
        seen[slug].append(response.get_json()["id"])


def answers(client: FlaskClient, as_of: str, known_at: str) -> dict[str, bytes]:
    found = {}
    for path in READS:
        joiner = "&" if "?" in path else "?"
        response = client.get(f"{path}{joiner}as_of={as_of}&known_at={known_at}", headers=HEADERS)
        assert response.status_code == 200, response.get_data(as_text=True)
        found[path] = response.get_data()
    return found


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.generate],
)
@given(operations, operations, st.sampled_from(("2022-12-31", "2024-06-30", "2026-01-01")))
def test_a_cross_partnership_answer_for_a_fixed_cut_never_changes(
    before: list[Any], after: list[Any], as_of: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE_URL": f"sqlite:///{Path(folder)}/t.db", "ADMIN_TOKEN": ADMIN})
        client = app.test_client()
        seen: dict[str, list[str]] = {}
        try:
            for operation in before:
                apply(client, operation, seen)
            last = client.get("/v1/events?limit=1000", headers=HEADERS).get_json()["events"]
            known_at = last[-1]["time"] if last else "2000-01-01T00:00:00Z"
            time.sleep(0.002)
            first = answers(client, as_of, known_at)
            for operation in after:
                apply(client, operation, seen)
            assert answers(client, as_of, known_at) == first
        finally:
            close(app)


def close(app: Any) -> None:
    services(app).close()
