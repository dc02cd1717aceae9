"""Organizations across partnerships: who is in which, who put money into what, bitemporally.

An organization is a name that appears as a party to a partnership, an investor or a recipient.
Names are compared by their key (`organization_key`: accents, case, punctuation and spacing do
not matter, so "Société Générale" and "societe generale" are one). `OrganizationAliased` events
make two names one ("Microsoft Corp." is "Microsoft") from when they were recorded (transaction
time: `known_at`), for every date (`as_of`), until retracted, like any other fact.

Investments are read from the same visible rows the partnership's own state folds, with the same
fold (`apply_investment`), so an organization's totals are the sum of its partnerships' at every
cut. An investment is received by its `recipient`, or else by the one other party of the
partnership (none when there are several).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from events.dates import PartialDate
from events.envelope import RecordedEvent
from service.errors import ServiceError
from service.projections.entities import render_disputes, render_risks
from service.projections.investments import (
    Section,
    apply_investment,
    investment_totals,
    merge_investments,
    render_investments,
)
from service.projections.trust import render_trust
from service.read.answers import Knowledge
from service.read.cut import Cuts
from service.view.search import tokens

LATEST = 10
ALIAS_TYPE = "OrganizationAliased"


class OrganizationNotFound(ServiceError, LookupError):
    """No organization of that name (at that cut)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no organization {name!r}")


def organization_key(name: str) -> str:
    """The key two spellings of one name share: `Microsoft Corp.` → `microsoft-corp`."""
    return "-".join(tokens(name)) or name.strip().casefold()


class Names:
    """The aliases in force at a cut: each key to its organization's name."""

    def __init__(self, aliases: Iterable[dict[str, Any]]) -> None:
        self._to: dict[str, str] = {}
        for body in aliases:  # in recording order: a later alias of the same name wins
            self._to[organization_key(body["data"]["alias"])] = body["data"]["name"]

    def resolve(self, name: str) -> str:
        """The organization's name for `name` (aliases followed; a cycle stops where it
        would repeat)."""
        seen = {organization_key(name)}
        while (target := self._to.get(organization_key(name))) is not None:
            key = organization_key(target)
            if key in seen:
                break
            seen.add(key)
            name = target
        return name


@dataclass
class _Membership:
    slug: str
    knowledge: Knowledge
    name: str | None
    parties: list[str]
    trust: float
    made: Section = field(default_factory=dict)
    received: Section = field(default_factory=dict)
    roles: set[str] = field(default_factory=set)
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrganizationSummary:
    name: str
    key: str
    aliases: list[str]
    partnerships: list[str]
    invested: dict[str, Any]
    received: dict[str, Any]


@dataclass(frozen=True)
class Organizations:
    position: int
    as_of: date | None
    known_at: datetime | None
    organizations: list[OrganizationSummary]


@dataclass(frozen=True)
class Network:
    position: int
    as_of: date | None
    known_at: datetime | None
    nodes: list[str]
    edges: list[dict[str, Any]]


@dataclass(frozen=True)
class OrganizationAnswer:
    position: int
    as_of: date | None
    known_at: datetime | None
    name: str
    key: str
    aliases: list[str]
    partnerships: list[dict[str, Any]]
    investments: dict[str, Any]
    open_disputes: list[dict[str, Any]]
    open_risks: list[dict[str, Any]]
    latest: list[dict[str, Any]]


class OrganizationReads:
    def __init__(
        self, cuts: Cuts, clock: Callable[[], datetime], position: Callable[[], int]
    ) -> None:
        self.cuts = cuts
        self.view = cuts.view
        self.clock = clock
        self.position = position

    def _gather(
        self, as_of: date | None, known_at: datetime | None
    ) -> tuple[Names, dict[str, dict[str, _Membership]], dict[str, set[str]], dict[str, str]]:
        """Per organization key, its partnerships (what it did in each); per key, every
        spelling seen."""
        self.cuts.fresh()
        shown: dict[str, str] = {}  # per key, the name to show: the first seen
        names = Names(self.view.of_type(ALIAS_TYPE, known_at))
        found: dict[str, dict[str, _Membership]] = {}
        spellings: dict[str, set[str]] = {}
        at = as_of or self.clock().date()

        def member(name: str, membership: _Membership, role: str) -> _Membership:
            canonical = names.resolve(name)
            key = organization_key(canonical)
            spellings.setdefault(key, {canonical}).add(name)
            shown.setdefault(key, canonical)
            own = found.setdefault(key, {}).setdefault(
                membership.slug, dataclasses.replace(membership, roles=set(), made={}, received={})
            )
            own.roles.add(role)
            return own

        for current in self.view.partnerships():
            knowledge = self.cuts.cut(current.partnership, as_of, known_at, current)
            state = self.cuts.state(current.partnership, knowledge, current)
            if not state["events"]:
                continue
            base = _Membership(
                current.partnership,
                knowledge,
                state["name"],
                list(state["parties"]),
                render_trust(state["trust"], state["dispute"], at, self.view.policy)["score"],
                state=state,
            )
            parties = [names.resolve(party) for party in state["parties"]]
            for party in state["parties"]:
                member(party, base, "party")
            for row in self.view.timeline(
                current.partnership, knowledge.version, end=as_of, types=("InvestmentMade",)
            ):
                event = RecordedEvent.from_dict(row.body)
                investor = names.resolve(event.data["investor"])
                made = member(event.data["investor"], base, "investor")
                apply_investment(made.made, {}, _as_investor(event, investor))
                recipient = _recipient(event, investor, parties, names)
                if recipient is not None:
                    received = member(recipient, base, "recipient")
                    apply_investment(received.received, {}, _as_investor(event, investor))
        return names, found, spellings, shown

    def list(self, as_of: date | None, known_at: datetime | None) -> Organizations:
        _, found, spellings, shown = self._gather(as_of, known_at)
        summaries = []
        for key, memberships in sorted(found.items()):
            name = shown[key]
            summaries.append(
                OrganizationSummary(
                    name,
                    key,
                    sorted(spellings[key] - {name}),
                    sorted(memberships),
                    investment_totals(merge_investments([m.made for m in memberships.values()])),
                    investment_totals(
                        merge_investments([m.received for m in memberships.values()])
                    ),
                )
            )
        return Organizations(self.position(), as_of, known_at, summaries)

    def network(self, as_of: date | None, known_at: datetime | None) -> Network:
        """Organizations as nodes, partnerships as edges between their parties, each with
        the money invested in it by the cut."""
        _, found, _, shown = self._gather(as_of, known_at)
        parties: dict[str, list[str]] = {}
        invested: dict[str, list[Section]] = {}
        names: dict[str, str | None] = {}
        for key, memberships in sorted(found.items()):
            for slug, own in memberships.items():
                if "party" in own.roles:
                    parties.setdefault(slug, []).append(shown[key])
                invested.setdefault(slug, []).append(own.made)
                names[slug] = own.name
        edges = [
            {
                "partnership": slug,
                "name": names[slug],
                "parties": members,
                "invested": investment_totals(merge_investments(invested[slug])),
            }
            for slug, members in sorted(parties.items())
        ]
        return Network(self.position(), as_of, known_at, sorted(shown.values()), edges)

    def one(self, name: str, as_of: date | None, known_at: datetime | None) -> OrganizationAnswer:
        names, found, spellings, shown = self._gather(as_of, known_at)
        key = organization_key(names.resolve(name))
        memberships = found.get(key)
        if not memberships:
            raise OrganizationNotFound(name)
        at = as_of or self.clock().date()
        partnerships, disputes, risks, latest = [], [], [], []
        for slug, own in sorted(memberships.items()):
            state = own.state
            open_disputes = render_disputes(state["dispute"], at)["open"]
            open_risks = render_risks(state["risk"])["open_by_category"]
            partnerships.append(
                {
                    "partnership": slug,
                    "name": own.name,
                    "parties": own.parties,
                    "roles": sorted(own.roles),
                    "position": own.knowledge.position,
                    "version": own.knowledge.version,
                    "trust": own.trust,
                    "open_disputes": len(open_disputes),
                    "open_risks": sum(len(items) for items in open_risks.values()),
                    "invested": investment_totals(own.made),
                    "received": investment_totals(own.received),
                }
            )
            disputes += [{"partnership": slug, **d} for d in open_disputes]
            risks += [
                {"partnership": slug, "category": category, **risk}
                for category, items in open_risks.items()
                for risk in items
            ]
            latest += self.view.latest(slug, own.knowledge.version, as_of, LATEST)
        latest.sort(key=_newest, reverse=True)
        display = shown[key]
        made = [m.made for m in memberships.values()]
        received = [m.received for m in memberships.values()]
        return OrganizationAnswer(
            position=max(m.knowledge.position for m in memberships.values()),
            as_of=as_of,
            known_at=known_at,
            name=display,
            key=key,
            aliases=sorted(spellings[key] - {display}),
            partnerships=partnerships,
            investments={
                "made": {
                    "totals": investment_totals(merge_investments(made)),
                    "by_partnership": _by_partnership(memberships, "made"),
                },
                "received": {
                    "totals": investment_totals(merge_investments(received)),
                    "by_investor": render_investments(merge_investments(received)),
                    "by_partnership": _by_partnership(memberships, "received"),
                },
            },
            open_disputes=disputes,
            open_risks=risks,
            latest=latest[:LATEST],
        )


def _newest(body: dict[str, Any]) -> tuple[str, int]:
    return PartialDate.parse(body["occurred_on"]).end.isoformat(), int(body["position"])


def _as_investor(event: RecordedEvent, investor: str) -> RecordedEvent:
    """The event with its investor named as the organization (aliases resolved)."""
    return dataclasses.replace(event, data={**event.data, "investor": investor})


def _recipient(event: RecordedEvent, investor: str, parties: list[str], names: Names) -> str | None:
    given = event.data.get("recipient")
    if given:
        return str(given)
    others = {
        organization_key(p): p for p in parties if organization_key(p) != organization_key(investor)
    }
    return next(iter(others.values())) if len(others) == 1 else None


def _by_partnership(memberships: dict[str, _Membership], which: str) -> dict[str, Any]:
    return {
        slug: render_investments(getattr(own, which))
        for slug, own in sorted(memberships.items())
        if getattr(own, which)
    }
