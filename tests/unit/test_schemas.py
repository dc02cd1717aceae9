"""The catalog's schemas: every type loads, bad input names its field."""

import json
from pathlib import Path

import pytest

from events.catalog import CATALOG, describe_catalog
from events.envelope import parse_event
from events.errors import InvalidEvent
from tests.builders import DATA, payload

AMENDMENT_DATA = {
    "EventCorrected": {
        "target_id": "6f1f7c9e-9d8b-4b45-9a57-1d0a7b8c2e11",
        "fields": {"summary": "better"},
        "reason": "typo",
    },
    "EventRetracted": {"target_id": "6f1f7c9e-9d8b-4b45-9a57-1d0a7b8c2e11", "reason": "wrong"},
    "SourceAttached": {
        "target_id": "6f1f7c9e-9d8b-4b45-9a57-1d0a7b8c2e11",
        "source": {"url": "https://www.sec.gov/filing"},
    },
}


@pytest.mark.parametrize("event_type", sorted(CATALOG))
def test_every_catalog_type_accepts_a_valid_event(event_type):
    body = payload(event_type)
    body["data"] = {**DATA.get(event_type, {}), **AMENDMENT_DATA.get(event_type, {})}
    draft = parse_event(body)
    assert draft.type == event_type
    assert draft.occurred_on.precision.value == "day"


def test_amounts_are_stored_as_one_canonical_decimal_string():
    draft = parse_event(payload("InvestmentMade", amount="0013000000000.500"))
    assert draft.data["amount"] == {"kind": "exact", "value": "13000000000.5", "unit": "USD"}


def errors_of(body):
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body)
    return caught.value.messages


@pytest.mark.parametrize(
    ("change", "field_path"),
    [
        ({"amount": "-5"}, ("data", "amount")),
        ({"amount": "abc"}, ("data", "amount")),
        ({"amount": 1e9}, ("data", "amount")),
        ({"currency": "XYZ"}, ("data", "currency")),
        ({"status": "maybe"}, ("data", "status")),
        ({"surprise": 1}, ("data", "surprise")),
    ],
)
def test_bad_investment_data_is_refused_naming_the_field(change, field_path):
    messages = errors_of(payload("InvestmentMade", **change))
    assert field_path[1] in messages[field_path[0]]


def test_a_severity_outside_one_to_five_is_refused():
    assert "severity" in errors_of(payload("DisputeOpened", severity=9))["data"]


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"occurred_on": "2023-14"}, "occurred_on"),
        ({"type": "MergerAnnounced"}, "type"),
        ({"confidence": "certain"}, "confidence"),
        ({"summary": ""}, "summary"),
        ({"sources": [{"url": "not a url", "title": "x"}]}, "sources"),
        ({"id": "not-a-uuid"}, "id"),
    ],
)
def test_bad_envelope_fields_are_refused_naming_the_field(change, field_name):
    assert field_name in errors_of({**payload("ModelReleased"), **change})


def test_an_event_claiming_another_partnership_is_refused():
    body = {**payload("ModelReleased"), "partnership": "google-anthropic"}
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body, partnership="openai-microsoft")
    assert "partnership" in caught.value.messages


def test_the_catalog_describes_every_type_from_its_schema():
    catalog = describe_catalog()
    assert set(catalog) == set(CATALOG)
    amount = catalog["InvestmentMade"]["fields"]["amount"]
    assert amount == {**amount, "type": "object", "required": True}
    assert amount["fields"]["kind"]["enum"] == [
        "exact",
        "approximate",
        "range",
        "up_to",
        "at_least",
        "undisclosed",
    ]
    assert amount["fields"]["low"]["type"] == "decimal-string"
    assert catalog["InvestmentMade"]["fields"]["status"]["enum"] == ["firm", "contingent", "paid"]
    tranche = catalog["InvestmentMade"]["fields"]["tranches"]["items"]
    assert tranche["amount"]["fields"]["unit"]["type"] == "unit"
    assert catalog["DisputeOpened"]["fields"]["severity"]["maximum"] == 5
    assert "fields" in catalog["EventCorrected"]["fields"]


def test_bad_envelope_and_bad_data_are_named_in_one_answer():
    messages = errors_of({**payload("InvestmentMade", amount="-1"), "occurred_on": "2019-13"})
    assert "occurred_on" in messages
    assert "amount" in messages["data"]


def test_the_example_cites_addresses_a_reader_can_open_not_files_of_this_repository() -> None:
    path = Path(__file__).resolve().parents[2] / "examples" / "openai-microsoft.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    sources = [s for line in lines for s in line.get("sources", [])]
    assert not [s for s in sources if ".txt" in json.dumps(s) or "shared/" in json.dumps(s)]
    linked = [line for line in lines if any(s.get("url") for s in line.get("sources", []))]
    assert len(linked) >= 14
    assert all(s["url"].startswith("https://") for s in sources if "url" in s)
