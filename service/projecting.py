"""Projection control, beside the projector (`service.projector`): catch up, rebuild, how far
the view has come, and waiting for a position (read your own write)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from service.projector import REBUILD_PAGE_SIZE, catch_up, ensure_layout
from service.view import TimelineView
from service.write.store import PactlogApplication


@dataclass(frozen=True)
class Status:
    """How far the log and the view have come; `lag` is how many positions the view trails."""

    log_position: int
    projected_position: int

    @property
    def lag(self) -> int:
        return max(0, self.log_position - self.projected_position)


__all__ = ["Projections", "Status", "ensure_layout"]


class Projections:
    """The view kept up with the log by this process (`inline`), or by a separate projector."""

    def __init__(self, app: PactlogApplication, view: TimelineView, *, inline: bool) -> None:
        self.app = app
        self.view = view
        # Inline: reads project what is pending before answering (one process, e.g. SQLite).
        self.inline = inline
        self._projecting = threading.Lock()

    def catch_up(self) -> int:
        """Project everything recorded so far; return how many events were applied."""
        with self._projecting:
            return catch_up(self.app, self.view)

    def rebuild(self) -> int:
        """Clear the view, then project the whole log again."""
        with self._projecting:
            self.view.clear(self.app.name)
            return catch_up(self.app, self.view, REBUILD_PAGE_SIZE)

    def last_position(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def projected_position(self) -> int:
        return int(self.view.max_tracking_id(self.app.name) or 0)

    def status(self) -> Status:
        """Reads the store and the view (so it also tells whether both can be reached)."""
        return Status(self.last_position(), self.projected_position())

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Until the view reflects `position`; False on time-out."""
        if position > self.last_position():
            return False  # not written (yet): waiting inline would never end
        deadline = time.monotonic() + timeout
        while self.projected_position() < position:
            if self.inline:
                self.catch_up()
                continue
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def fresh(self) -> None:
        """Before a read: project what is pending, when this process projects."""
        if self.inline:
            self.catch_up()
