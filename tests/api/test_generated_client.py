"""The OpenAPI document as a client generator reads it: `openapi-python-client` generates a
client from `/openapi.json`, and the client creates a partnership, appends an event and reads the
state with typed models throughout (no untyped dicts)."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.helpers import ADMIN

PACKAGE = "pactlog_client"


@pytest.fixture
def generated(app: Flask, tmp_path: Path) -> object:
    generator = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    if generator is None:
        pytest.skip("openapi-python-client is not installed (pip install -e '.[dev]')")
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(app.test_client().get("/openapi.json").get_json()))
    config = tmp_path / "config.yaml"
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n")
    done = subprocess.run(
        [
            *(generator, "generate", "--path", str(spec), "--config", str(config)),
            *("--meta", "none", "--output-path", str(tmp_path / PACKAGE)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_a_generated_client_creates_appends_and_reads_with_typed_models(
    app: Flask, generated: object
) -> None:
    httpx = pytest.importorskip("httpx")

    def use(module: str) -> object:
        return importlib.import_module(f"{PACKAGE}.{module}")

    models = use("models")
    client = use("client").AuthenticatedClient(  # type: ignore[attr-defined]
        base_url="http://localhost",
        token=ADMIN,
        httpx_args={"transport": httpx.WSGITransport(app=app)},
    )
    created = use("api.partnerships.create_partnership").sync(  # type: ignore[attr-defined]
        client=client,
        body=models.CreatePartnership(  # type: ignore[attr-defined]
            slug="acme-globex",
            name="Acme–Globex",
            parties=["Acme", "Globex"],
            occurred_on="2020-01-15",
        ),
    )
    assert isinstance(created, models.AppendedOut)  # type: ignore[attr-defined]
    assert created.version == 1
    signal = models.TrustSignalInput(  # type: ignore[attr-defined]
        type_=models.TrustSignalInputType.TRUSTSIGNAL,  # type: ignore[attr-defined]
        occurred_on="2021-03-01",
        summary="An analyst sees the ties tighten",
        data=models.TrustSignalData(delta=4, reason="Joint launch", analyst="pactlog"),  # type: ignore[attr-defined]
    )
    appended = use("api.events.append_events").sync(  # type: ignore[attr-defined]
        slug="acme-globex", client=client, body=signal
    )
    assert isinstance(appended, models.AppendedOut)  # type: ignore[attr-defined]
    assert appended.version == 2
    answer = use("api.partnerships.get_state").sync(  # type: ignore[attr-defined]
        slug="acme-globex", client=client, min_position=appended.position
    )
    assert isinstance(answer, models.StateOut)  # type: ignore[attr-defined]
    state = answer.state
    assert isinstance(state, models.PartnershipState)  # type: ignore[attr-defined]
    assert isinstance(state.trust, models.TrustLevel)  # type: ignore[attr-defined]
    assert state.trust.score > state.trust.baseline
    assert state.events == 2
    assert isinstance(state.disputes, models.Disputes)  # type: ignore[attr-defined]
    timeline = use("api.events.get_timeline").sync(  # type: ignore[attr-defined]
        slug="acme-globex", client=client
    )
    last = timeline.events[-1]
    assert isinstance(last, models.TrustSignalEvent)  # type: ignore[attr-defined]
    assert isinstance(last.data, models.TrustSignalData)  # type: ignore[attr-defined]
    assert last.data.delta == 4
    series = use("api.series.get_series").sync(  # type: ignore[attr-defined]
        slug="acme-globex",
        metric=models.GetSeriesMetric.TRUST,  # type: ignore[attr-defined]
        client=client,
        step=models.GetSeriesStep.QUARTER,  # type: ignore[attr-defined]
    )
    assert all(isinstance(p, models.SeriesPoint) for p in series.points)  # type: ignore[attr-defined]
    assert isinstance(series.points[-1].value, float)


@pytest.mark.usefixtures("loaded")
def test_models_generated_by_datamodel_codegen_accept_real_answers(
    app: Flask, client: FlaskClient, reader: dict[str, str], tmp_path: Path
) -> None:
    generator = shutil.which("datamodel-codegen", path=str(Path(sys.executable).parent))
    if generator is None:
        pytest.skip("datamodel-code-generator is not installed (pip install -e '.[dev]')")
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(client.get("/openapi.json").get_json()))
    output = tmp_path / "pactlog_models.py"
    done = subprocess.run(
        [
            *(generator, "--input", str(spec), "--input-file-type", "openapi"),
            *("--output", str(output), "--output-model-type", "pydantic_v2.BaseModel"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        models = importlib.import_module("pactlog_models")
        slug = "/v1/partnerships/openai-microsoft"
        for name, path in {
            "StateOut": f"{slug}/state?as_of=2024-01-01",
            "TrustOut": f"{slug}/trust",
            "DiffOut": f"{slug}/diff?from=2023-01-01&to=2024-01-01",
            "SeriesOut": f"{slug}/series/invested",
            "TimelinePage": f"{slug}/events?limit=50",
            "PartnershipList": "/v1/partnerships",
            "LogPage": "/v1/events",
            "InvestmentsOut": "/v1/investments",
            "DisputesOut": "/v1/disputes",
        }.items():
            answer = client.get(path, headers=reader)
            assert answer.status_code == 200, path
            getattr(models, name).model_validate(answer.get_json())  # raises if it rejects
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("pactlog_models", None)
