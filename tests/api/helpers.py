"""Helpers the API tests share."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Flask

from api.services import services

ADMIN = "test-admin-secret"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "openai-microsoft.jsonl"
SLUG = "openai-microsoft"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def example_lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EXAMPLE.read_text().splitlines() if line.strip()]


def investment(amount: str = "100", **changes: Any) -> dict[str, Any]:
    return {
        "type": "InvestmentMade",
        "occurred_on": "2024-02",
        "summary": "Acme puts in more",
        "confidence": "reported",
        "data": {
            "investor": "Acme",
            "amount": amount,
            "currency": "USD",
            "instrument": "equity",
            "status": "paid",
        },
        **changes,
    }


def problem(response: Any, status: int) -> dict[str, Any]:
    """The problem+json body of `response`, checked for `status`."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    assert body["type"]
    assert body["title"]
    return body


def fields_named(body: dict[str, Any]) -> set[str]:
    return {error["field"] for error in body.get("errors", [])}


def configure(app: Flask, **changes: Any) -> None:
    """Change an app's settings in a test (e.g. `stream_max_seconds=0.05`)."""
    container = services(app)
    container.settings = replace(container.settings, **changes)
    app.config.update(container.settings.flask_config())
