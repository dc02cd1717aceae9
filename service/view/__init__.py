"""The materialised view: a bitemporal table of events, the current state, and checkpoints.

- `keys`: the valid-time key format (nothing outside this package sees a key's inside);
- `tables`: the tables and the two dialects (SQLite, PostgreSQL);
- `writer`: what the projector writes, exactly once (a tracking recorder of the library);
- `reader`: what the read side asks, in dates.
"""

from __future__ import annotations

from typing import cast

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from service.config import is_postgres
from service.projections.policy import TrustPolicy
from service.view.reader import ViewReader
from service.view.writer import PostgresTimelineView, SQLiteTimelineView, TimelineView

VIEW_NAME = "PactlogView"


def view_class(env: dict[str, str], policy: TrustPolicy) -> type[TimelineView]:
    """The view's class for the store `env` describes, folding with `policy`."""
    base = PostgresTimelineView if is_postgres(env) else SQLiteTimelineView
    return cast(type[TimelineView], type(base.__name__, (base,), {"policy": policy}))


def open_view(env: dict[str, str], policy: TrustPolicy) -> TimelineView:
    """The view on the store `env` describes (its tables created if missing)."""
    factory = InfrastructureFactory[TimelineView].construct(Environment(VIEW_NAME, env))
    return factory.tracking_recorder(view_class(env, policy))


__all__ = ["VIEW_NAME", "TimelineView", "ViewReader", "open_view", "view_class"]
