"""Hypothesis as an adversary (issue 10, item 5): the whole event envelope and the query
parameters of every read, with extreme dates and offsets, other scripts' digits, lone
surrogates and duplicate keys. Whatever it sends: no 5xx, a refusal is problem+json, and a
refusal stores nothing. (test_schema_fuzz.py fuzzes from the OpenAPI document; this one from
what an attacker knows about dates, Unicode and JSON.)"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.services import services
from events.catalog import CATALOG
from tests.api.conftest import make_app
from tests.api.helpers import ADMIN, SLUG, bearer, example_lines

EXAMPLES = int(os.environ.get("PACTLOG_FUZZ_EXAMPLES", "25")) * 8
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)

OTHER_DIGITS = "²³¹٠١٢٣٤٥٦٧٨٩۰۱۲０１２３४५६"


def _with_other_digits(text: str, data: st.DataObject) -> str:
    if not data.draw(st.booleans()):
        return text
    return "".join(data.draw(st.sampled_from(OTHER_DIGITS)) if c.isdigit() else c for c in text)


years = st.one_of(
    st.integers(1, 9999), st.sampled_from([1, 2, 999, 1000, 8999, 9000, 9001, 9998, 9999])
)
offsets = st.one_of(
    st.sampled_from(["", "Z", "+00:00", "-01:00", "+01:00", "+23:59", "-23:59", "+14:00"]),
    st.builds(
        lambda sign, h, m: f"{sign}{h:02d}:{m:02d}",
        st.sampled_from("+-"),
        st.integers(0, 30),
        st.integers(0, 70),
    ),
)


EDGES = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01",
    "0001",
    "9998",
    "9999-Q4",
    "9999-12-31",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00-14:00",
]


@st.composite
def dates(draw: st.DrawFn) -> str:
    year = draw(years)
    shape = draw(st.sampled_from(["year", "quarter", "month", "day", "instant", "junk", "edge"]))
    if shape == "edge":
        return _with_other_digits(draw(st.sampled_from(EDGES)), draw(st.data()))
    month = draw(st.one_of(st.integers(1, 12), st.integers(0, 13)))
    day = draw(st.one_of(st.integers(1, 28), st.integers(0, 32)))
    text = {
        "year": f"{year:04d}",
        "quarter": f"{year:04d}-Q{draw(st.integers(0, 5))}",
        "month": f"{year:04d}-{month:02d}",
        "day": f"{year:04d}-{month:02d}-{day:02d}",
        "instant": f"{year:04d}-{month:02d}-{day:02d}T{draw(st.integers(0, 24)):02d}:00:00"
        + draw(offsets),
        "junk": draw(st.text(max_size=12)),
    }[shape]
    return _with_other_digits(text, draw(st.data()))


texts = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(categories=["Cs", "Nd", "No", "Zs", "Cc"]), max_size=5),
    st.sampled_from(["\ud800", "\udfff", "evil\n", " k ", "", "1e999999999", "NaN", "²"]),
)
integers = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from([0, 1, 5, 2**63 - 1, 2**63, -1]))
amounts = st.one_of(
    st.from_regex(r"\A[0-9]{1,32}(\.[0-9]{0,20})?\Z"),
    st.sampled_from(["1e400", "1e-999999999", "1e999999999", "123456789012345678901234567890"]),
    integers,
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
scalars = st.one_of(st.none(), st.booleans(), integers, texts, dates(), amounts)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=8,
)


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """An event shaped like the real thing, each part possibly hostile."""
    event_type = draw(st.one_of(st.sampled_from(sorted(CATALOG)), texts))
    data = {
        "investor": draw(st.one_of(st.just("Acme"), texts)),
        "amount": draw(amounts),
        "currency": draw(st.sampled_from(["USD", "EUR", "XYZ", "usd", "\ud800"])),
        "instrument": "equity",
        "status": draw(st.sampled_from(["paid", "committed", "maybe"])),
        "dispute_id": draw(st.one_of(st.just("d-1"), texts)),
        "severity": draw(st.one_of(st.integers(0, 6), texts)),
    }
    data = draw(st.fixed_dictionaries({}, optional={k: st.just(v) for k, v in data.items()}))
    envelope: dict[str, Any] = {
        "type": event_type,
        "occurred_on": draw(dates()),
        "summary": draw(st.one_of(st.just("Something happened"), texts)),
        "confidence": draw(st.sampled_from(["rumored", "reported", "confirmed", "sure"])),
        "data": data,
    }
    extra = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "id": st.one_of(st.uuids().map(str), texts),
                "partnership": st.one_of(st.just(SLUG), texts),
                "sources": st.lists(
                    st.fixed_dictionaries(
                        {}, optional={"title": texts, "url": texts, "published_on": dates()}
                    ),
                    max_size=2,
                ),
                "surprise": json_values,
            },
        )
    )
    return {**envelope, **extra}


def _body(envelope: dict[str, Any], duplicate: str | None) -> str:
    text = json.dumps(envelope, ensure_ascii=True)  # lone surrogates travel as \ud800
    if duplicate and f'"{duplicate}": ' in text:
        text = text.replace(f'"{duplicate}": ', f'"{duplicate}": "again", "{duplicate}": ', 1)
    return text


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_app(tmp_path_factory.mktemp("hostile"), ANONYMOUS_READS=True)
    client = app.test_client()
    for line in example_lines()[:8]:
        response = client.post(f"/v1/partnerships/{SLUG}/events", json=line, headers=bearer(ADMIN))
        assert response.status_code == 201
    yield app
    services(app).close()


def _refusal_is_a_problem(response: Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == response.status_code


def test_no_envelope_makes_a_500_and_a_refusal_stores_nothing(hostile_app: Flask) -> None:
    client = hostile_app.test_client()
    service = services(hostile_app).pactlog

    @given(
        envelope=envelopes(),
        batch=st.booleans(),
        duplicate=st.one_of(st.none(), st.sampled_from(["amount", "type", "summary", "data"])),
        headers=st.fixed_dictionaries(
            {},
            optional={
                "If-Match": st.one_of(texts, st.sampled_from(['W/"9"', '"9', '"1"', "*"])),
                "Idempotency-Key": st.one_of(texts, st.just("k")),
            },
        ),
    )
    @SETTINGS
    def check(
        envelope: dict[str, Any], batch: bool, duplicate: str | None, headers: dict[str, str]
    ) -> None:
        before = service.last_position()
        body = _body({"events": [envelope]} if batch else envelope, duplicate)
        safe_headers = {k: v for k, v in headers.items() if v.isascii() and "\n" not in v}
        response = client.post(
            f"/v1/partnerships/{SLUG}/events",
            data=body,
            headers={**bearer(ADMIN), "Content-Type": "application/json", **safe_headers},
        )
        _refusal_is_a_problem(response)
        if response.status_code >= 400:
            assert service.last_position() == before
        if duplicate and f'"{duplicate}": "again"' in body:
            assert response.status_code == 400

    check()


READS = [
    f"/v1/partnerships/{SLUG}/events",
    f"/v1/partnerships/{SLUG}/state",
    f"/v1/partnerships/{SLUG}/trust",
    f"/v1/partnerships/{SLUG}/diff",
    f"/v1/partnerships/{SLUG}/series/trust",
    f"/v1/partnerships/{SLUG}/series/invested",
    f"/v1/partnerships/{SLUG}/verify",
    "/v1/partnerships",
    "/v1/investments",
    "/v1/disputes",
    "/v1/events",
    "/",
]
PARAMETERS = [
    "as_of",
    "known_at",
    "from",
    "to",
    "step",
    "limit",
    "after",
    "cursor",
    "min_position",
    "type",
    "confidence",
    "format",
    "status",
    "partnership",
    "contributions",
    "after_version",
    "head",
]


def test_no_query_makes_a_500(hostile_app: Flask) -> None:
    client = hostile_app.test_client()

    @given(
        path=st.sampled_from(READS),
        query=st.dictionaries(
            st.sampled_from(["as_of", "known_at", "from", "to"] * 3 + PARAMETERS),
            st.one_of(
                st.sampled_from(EDGES),
                dates(),
                texts,
                integers.map(str),
                st.sampled_from(["day", "week", "csv"]),
            ),
            max_size=4,
        ),
        last_event_id=st.one_of(st.none(), texts, integers.map(str)),
    )
    @settings(SETTINGS, max_examples=EXAMPLES * 3)
    def check(path: str, query: dict[str, str], last_event_id: str | None) -> None:
        encoded = "&".join(
            f"{quote(k)}={quote(v, safe='', errors='surrogatepass')}" for k, v in query.items()
        )
        response = client.get(f"{path}?{encoded}", headers=bearer(ADMIN))
        if path != "/":
            _refusal_is_a_problem(response)
        else:
            assert response.status_code < 500
        if last_event_id is not None and last_event_id.isascii() and "\n" not in last_event_id:
            streamed = client.get(
                "/v1/stream",
                headers={**bearer(ADMIN), "Last-Event-ID": last_event_id},
                buffered=False,
            )
            assert streamed.status_code < 500
            streamed.close()

    check()
