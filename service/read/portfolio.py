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

    def partnerships(self, min_confidence: str | None = None) -> list[PartnershipSummary]:
        self.cuts.fresh()
        today = self.clock().date()
        return [
            PartnershipSummary(
                slug=current.partnership,
                version=current.version,
                position=current.position,
                **headline(current.state, today, self.view.policy, min_confidence),
            )
            for current in self.view.partnerships()
        ]

    def _states(
        self, as_of: date | None, known_at: datetime | None, partnership: str | None
    ) -> tuple[int, dict[str, State]]:
        """The log position the cut reflects, and each partnership's state at it.

        Without `known_at`: every partnership now, at the projected position. With it: only the
        partnerships known by then, and the position of the last event recorded by then (over
        every partnership, whatever the filter) — so the same (`as_of`, `known_at`) gives the
        same answer, byte for byte, however much is appended later. A `partnership` filter
        naming none known gives an empty answer, as before.
        """
        self.cuts.fresh()
        position = self.position() if known_at is None else 0
        states: dict[str, State] = {}
        for current in self.view.partnerships():
            knowledge = self.cuts.cut(current.partnership, as_of, known_at, current)
            if knowledge.version == 0:
                continue  # not known at `known_at`
            if known_at is not None:
                position = max(position, knowledge.position)
            if partnership in (None, current.partnership):
                states[current.partnership] = self.cuts.state(
                    current.partnership, knowledge, current
                )
        return position, states

    def investments(
        self,
        as_of: date | None,
        known_at: datetime | None,
        partnership: str | None = None,
        min_confidence: str | None = None,
    ) -> Investments:
        position, states = self._states(as_of, known_at, partnership)
        merged = merge_investments([state["investments"] for state in states.values()])
        return Investments(
            position,
            as_of,
            known_at,
            render_investments(merged, min_confidence),
            investment_totals(merged, min_confidence),
            {
                slug: render_investments(state["investments"], min_confidence)
                for slug, state in states.items()
            },
        )

    def disputes(
        self, as_of: date | None, known_at: datetime | None, partnership: str | None = None
    ) -> Disputes:
        at = as_of or self.clock().date()
        found: list[Dispute] = []
        position, states = self._states(as_of, known_at, partnership)
        for slug, state in states.items():
            rendered = render_disputes(state["dispute"], at)
            for status in ("open", "resolved"):
                found += [Dispute(slug, status, detail) for detail in rendered[status]]
        return Disputes(position, as_of, known_at, found)
