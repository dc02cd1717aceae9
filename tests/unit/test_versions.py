"""Schema evolution: version-1 payloads read in today's shape, by the stored event classes'
upcasters and by the schemas (a client still sending version 1 is understood)."""

from __future__ import annotations

from events.envelope import parse_event
from events.rules import Target, apply_correction, merged_data
from events.versions import upgrade_changes, upgrade_data
from service.write.stream import Partnership
from tests.builders import payload

V1_INVESTMENT = {
    "investor": "Microsoft",
    "amount": "10000000000",
    "currency": "USD",
    "instrument": "equity",
    "status": "committed",
}


def test_a_version_1_investment_upgrades_to_an_exact_firm_figure():
    assert upgrade_data("InvestmentMade", V1_INVESTMENT) == {
        "investor": "Microsoft",
        "amount": {"kind": "exact", "value": "10000000000", "unit": "USD"},
        "instrument": "equity",
        "status": "firm",
    }
    paid = upgrade_data("InvestmentMade", V1_INVESTMENT | {"status": "paid"})
    assert paid["status"] == "paid"


def test_upgrading_is_idempotent_and_leaves_other_types_alone():
    once = upgrade_data("InvestmentMade", V1_INVESTMENT)
    assert upgrade_data("InvestmentMade", once) == once
    statement = {"speaker": "x", "organization": "y", "statement": "z"}
    assert upgrade_data("StatementMade", statement) is statement


def test_a_version_1_commitment_is_firm_and_keeps_its_term():
    upgraded = upgrade_data(
        "CommitmentMade",
        {"party": "OpenAI", "kind": "cloud", "amount": "5", "currency": "USD", "term": "2030"},
    )
    assert upgraded["amount"] == {"kind": "exact", "value": "5", "unit": "USD"}
    assert upgraded["status"] == "firm"
    assert upgraded["term"] == "2030"


def test_the_stored_event_class_upcasts_version_1_and_keeps_what_was_hashed():
    state = {"type": "InvestmentMade", "data": dict(V1_INVESTMENT)}
    assert Partnership.Recorded.class_version == 2
    Partnership.Recorded.upcast_v1_v2(state)
    assert state["data"]["amount"]["kind"] == "exact"
    assert state["as_recorded"] == V1_INVESTMENT


def test_a_version_1_correction_merges_into_a_version_2_event():
    target = Target("e1", "p", "InvestmentMade", upgrade_data("InvestmentMade", V1_INVESTMENT))
    merged = merged_data(target, {"amount": "13000000000"})
    assert merged["amount"] == {"kind": "exact", "value": "13000000000", "unit": "USD"}
    changes = upgrade_changes("InvestmentMade", target.data, {"currency": "EUR"})
    assert changes["amount"] == {"kind": "exact", "value": "10000000000", "unit": "EUR"}


def test_a_version_1_correction_applies_to_a_version_1_body():
    body = {"id": "e1", "partnership": "p", "type": "InvestmentMade", "data": V1_INVESTMENT}
    amended = apply_correction(body, {"data": {"amount": "13000000000", "status": "paid"}})
    assert amended["data"]["amount"]["value"] == "13000000000"
    assert amended["data"]["status"] == "paid"


def test_a_client_sending_version_1_is_understood_and_stored_as_version_2():
    draft = parse_event(payload("InvestmentMade", **V1_INVESTMENT))
    assert draft.data == upgrade_data("InvestmentMade", V1_INVESTMENT)
