"""An independent, slow reading of the bitemporal rules, to check the view against.

From the raw log it rebuilds what a reader at stream version `version` believes each event says,
keeps those that count by `as_of`, and folds them in valid-time order: no checkpoints, no SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from events.catalog import AMENDING_TYPES
from events.envelope import RecordedEvent
from events.rules import apply_correction
from service.projections.state import State, fold


def believed(events: Sequence[RecordedEvent], version: int) -> list[RecordedEvent]:
    """The effective events of one stream as known at `version`, in valid-time order."""
    known = [e for e in events if e.version <= version]
    bodies: dict[str, dict[str, Any]] = {}
    for event in known:
        if event.type not in AMENDING_TYPES:
            bodies[event.id] = event.to_dict()
        elif event.data["target_id"] in bodies:
            target = event.data["target_id"]
            if event.type == "EventRetracted":
                del bodies[target]
            else:
                bodies[target] = apply_correction(bodies[target], event.data["fields"])
    effective = [RecordedEvent.from_dict(body) for body in bodies.values()]
    return sorted(effective, key=lambda e: (e.occurred_on.end, e.version))


def expected_state(
    events: Sequence[RecordedEvent], version: int, as_of: date | None = None
) -> State:
    counted = [e for e in believed(events, version) if as_of is None or e.occurred_on.end <= as_of]
    return fold(counted)
