"""Organizations on both stores: their totals are the sum over their partnerships at every cut
(property), and aliases apply from when they were recorded until retracted."""

from __future__ import annotations

import contextlib
import itertools
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.errors import RuleViolated
from service.read.organizations import OrganizationNotFound
from tests.builders import draft
from tests.integration.test_bitemporal import dates

_runs = itertools.count()
NAMES = ("Microsoft", "Microsoft Corp.", "Google")

investments = st.lists(
    st.tuples(
        st.integers(0, 2),  # which partnership
        st.sampled_from(NAMES),  # investor
        dates,
        st.sampled_from(["1", "250.5", "1000"]),
        st.sampled_from(["committed", "paid"]),
        st.booleans(),  # retract it later
    ),
    min_size=1,
    max_size=10,
)


def _formed(parties: list[str]) -> Any:
    return draft("PartnershipFormed", "2018-01-01", name=" – ".join(parties), parties=parties)


def _alias(alias: str = "Microsoft Corp.", name: str = "Microsoft") -> Any:
    return draft("OrganizationAliased", "2018-06-01", alias=alias, name=name).with_id()


def _add(into: dict[str, Any], entry: dict[str, Any]) -> None:
    for key, value in entry.items():
        if key in ("investor", "currency"):
            continue
        if isinstance(value, str):
            into[key] = Decimal(into.get(key, "0")) + Decimal(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            into[key] = into.get(key, 0) + value


def _decimals(totals: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        currency: {k: Decimal(v) if isinstance(v, str) else v for k, v in sums.items()}
        for currency, sums in totals.items()
        if any(Decimal(v) if isinstance(v, str) else v for v in sums.values())
    }


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=investments, alias_after=st.integers(0, 10))
def test_an_organizations_totals_are_the_sum_over_its_partnerships_at_every_cut(
    service, steps, alias_after
) -> None:
    run = next(_runs)  # one store serves every example: names of this run only
    named = {name: f"{name.replace('.', '')} {run}" for name in (*NAMES, "OpenAI", "Mistral AI")}
    microsoft, corp = named["Microsoft"], named["Microsoft Corp."]
    slugs = [f"org-{run}-{n}" for n in range(3)]
    for slug, parties in zip(
        slugs, (["Microsoft", "OpenAI"], ["Microsoft Corp.", "Mistral AI"], ["Google", "OpenAI"]),
        strict=True,
    ):  # fmt: skip
        service.create_partnership(slug, _formed([named[p] for p in parties]))
    alias_at = None
    recorded = []
    for index, (which, investor, occurred_on, amount, status, retract) in enumerate(steps):
        if index == alias_after:
            service.append(slugs[1], [_alias(corp, microsoft)])
            alias_at = service.clock.advance(seconds=1)
        event = draft("InvestmentMade", occurred_on, investor=named[investor], amount=amount,
                      status=status, currency="USD").with_id()  # fmt: skip
        service.append(slugs[which], [event])
        recorded.append((slugs[which], event, retract))
    middle = service.clock.advance(seconds=1)
    for slug, event, retract in recorded:
        if retract:
            with contextlib.suppress(RuleViolated):
                service.append(slug, [draft("EventRetracted", "2026-01-01",
                                            target_id=event.id, reason="x")])  # fmt: skip
    ends = sorted({e.occurred_on.end for _, e, _ in recorded})
    for known_at in (None, middle):
        aliased = alias_at is not None and (known_at is None or alias_at <= known_at)
        members = {microsoft, corp} if aliased else {microsoft}
        for as_of in (None, date(2018, 12, 31), *ends[:: max(1, len(ends) // 3)]):
            expected: dict[str, dict[str, Any]] = {}
            for slug in slugs:
                state = service.state(slug, as_of, known_at).state
                for entry in state["investments"]["by_investor"]:
                    if entry["investor"] in members:
                        _add(expected.setdefault(entry["currency"], {}), entry)
            try:
                answer = service.organization(microsoft, as_of, known_at)
            except OrganizationNotFound:
                assert not _decimals(expected)
                continue
            assert _decimals(answer.investments["made"]["totals"]) == _decimals(expected)
            listed = {o.name: o for o in service.organizations(as_of, known_at).organizations}
            assert _decimals(listed[microsoft].invested) == _decimals(expected)


def test_an_alias_applies_from_when_it_was_recorded_until_it_is_retracted(service, clock):
    service.create_partnership("ms-openai", _formed(["Microsoft", "OpenAI"]))
    service.create_partnership("ms-mistral", _formed(["Microsoft Corp.", "Mistral AI"]))
    before = clock.advance(days=1)
    alias = _alias()
    service.append("ms-mistral", [alias])
    aliased = clock.advance(days=1)
    service.append(
        "ms-mistral", [draft("EventRetracted", "2026-01-01", target_id=alias.id, reason="no")]
    )

    def partnerships(known_at: Any) -> dict[str, list[str]]:
        listed = service.organizations(known_at=known_at).organizations
        return {o.name: o.partnerships for o in listed}

    assert partnerships(before)["Microsoft Corp."] == ["ms-mistral"]
    assert partnerships(aliased)["Microsoft"] == ["ms-mistral", "ms-openai"]
    assert "Microsoft Corp." not in partnerships(aliased)
    # an alias is about names, not dates: it holds for every as_of once known
    early = service.organization("Microsoft Corp.", as_of=date(2018, 3, 1), known_at=aliased)
    assert early.name == "Microsoft"
    assert early.aliases == ["Microsoft Corp."]
    assert partnerships(None)["Microsoft Corp."] == ["ms-mistral"], "retracted: two again"


def test_names_match_without_case_accents_or_punctuation(service):
    service.create_partnership("sg-x", _formed(["Société Générale", "X"]))
    assert service.organization("societe generale").name == "Société Générale"
    assert service.organization("SOCIETE-GENERALE").key == "societe-generale"
    with pytest.raises(OrganizationNotFound):
        service.organization("Initech")
