"""Queries across partnerships: the list with headlines, investments, disputes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from service.projections.entities import render_disputes
from service.projections.investments import (
    investment_totals,
    merge_investments,
    render_investments,
)
from service.projections.state import State, headline
from service.read.answers import Dispute, Disputes, Investments, PartnershipSummary
from service.read.cut import Cuts


class PortfolioReads:
    def __init__(
        self, cuts: Cuts, clock: Callable[[], datetime], position: Callable[[], int]
    ) -> None:
        self.cuts = cuts
        self.view = cuts.view
        self.clock = clock
        self.position = position  # the projected position: what a cross-partnership read cites

    def partnerships(self) -> list[PartnershipSummary]:
        self.cuts.fresh()
        today = self.clock().date()
        return [
            PartnershipSummary(
                slug=current.partnership,
                version=current.version,
                position=current.position,
                **headline(current.state, today, self.view.policy),
            )
            for current in self.view.partnerships()
        ]

    def _states(self, as_of: date | None, known_at: datetime | None) -> dict[str, State]:
        self.cuts.fresh()
        return {
            current.partnership: self.cuts.state(
                current.partnership,
                self.cuts.cut(current.partnership, as_of, known_at, current),
                current,
            )
            for current in self.view.partnerships()
        }

    def investments(self, as_of: date | None, known_at: datetime | None) -> Investments:
        states = self._states(as_of, known_at)
        merged = merge_investments([state["investments"] for state in states.values()])
        return Investments(
            self.position(),
            as_of,
            known_at,
            render_investments(merged),
            investment_totals(merged),
            {slug: render_investments(state["investments"]) for slug, state in states.items()},
        )

    def disputes(self, as_of: date | None, known_at: datetime | None) -> Disputes:
        at = as_of or self.clock().date()
        found: list[Dispute] = []
        for slug, state in self._states(as_of, known_at).items():
            rendered = render_disputes(state["dispute"], at)
            for status in ("open", "resolved"):
                found += [Dispute(slug, status, detail) for detail in rendered[status]]
        return Disputes(self.position(), as_of, known_at, found)
