"""Keeping the view up to date: the same projection, driven two ways.

- `catch_up` reads the notification log after the view's tracking position and applies pages
  of events, each page with its tracking record in one transaction. It works on both stores
  and is what SQLite uses (its recorder cannot be subscribed to).
- `run_projector` uses the library's `ProjectionRunner` on PostgreSQL (LISTEN/NOTIFY), with
  `catch_up` as a polling fallback so that a lost notification only delays.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from datetime import datetime
from typing import Any

import orjson
from eventsourcing.persistence import IntegrityError, Notification, Tracking
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.utils import resolve_topic

from events.dates import PartialDate
from events.envelope import RecordedEvent
from service.config import is_postgres, named
from service.projections.policy import TrustPolicy
from service.view import VIEW_NAME, TimelineView, open_view, view_class
from service.view.tables import LAYOUT_VERSION
from service.view.writer import SQLiteTimelineView
from service.write.store import PactlogApplication, to_recorded

log = logging.getLogger(__name__)


class PactlogProjection(Projection[TimelineView]):
    """The projection the library's runner drives, one event at a time."""

    name = VIEW_NAME

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        # The polling fallback may have applied this position already: once is enough.
        if self.view.has_tracking_id(tracking.application_name, tracking.notification_id):
            return
        try:
            self.view.process([to_recorded(domain_event, tracking.notification_id)], tracking)
        except IntegrityError:
            log.info("position %s was projected elsewhere", tracking.notification_id)


# Events applied per transaction. On SQLite a page holds the one write lock every process shares,
# so pages are small there: an append waits for at most one short page, not a long catch-up.
PAGE_SIZE = 2000
SQLITE_PAGE_SIZE = 200
# A rebuild (the view cleared, the whole log projected again) writes larger pages on both
# stores: fewer commits and larger bulk inserts; on SQLite an append waits for at most one.
REBUILD_PAGE_SIZE = 2000


def catch_up(app: PactlogApplication, view: TimelineView, page_size: int | None = None) -> int:
    """Apply every event the view has not seen; return how many were applied."""
    if page_size is None:
        page_size = SQLITE_PAGE_SIZE if isinstance(view, SQLiteTimelineView) else PAGE_SIZE
    applied = 0
    while True:
        after = view.max_tracking_id(app.name)
        notifications = app.recorder.select_notifications(
            start=after, limit=page_size, inclusive_of_start=after is None
        )
        if not notifications:
            return applied
        events = [recorded(app, n) for n in notifications]
        try:
            view.process(events, Tracking(app.name, notifications[-1].id))
        except IntegrityError:
            # Another projector recorded these positions first; its work stands.
            log.info("positions up to %s were projected elsewhere", notifications[-1].id)
        applied += len(events)


_TYPE_MARK = b'"_type_"'


def recorded(app: PactlogApplication, notification: Notification) -> RecordedEvent:
    """The stored event as pactlog's `RecordedEvent`: what `to_recorded` makes of the
    library's domain event, decoded faster (the projector's hot path: a rebuild decodes the
    whole log). The library's JSON encodes one value of ours its own way, the recording time
    (`{"_type_": "datetime_iso", ...}`); a state with anything else so encoded, or ciphered or
    compressed, goes through the library's mapper."""
    mapper = app.mapper
    state_bytes = bytes(notification.state)
    if mapper.cipher or mapper.compressor or state_bytes.count(_TYPE_MARK) != 1:
        return to_recorded(mapper.to_domain_event(notification), notification.id)
    try:
        state = orjson.loads(state_bytes)
        stamp = state["timestamp"]
        if stamp.get("_type_") != "datetime_iso":
            raise ValueError(stamp)
        state["timestamp"] = datetime.fromisoformat(stamp["_data_"])
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
        return to_recorded(mapper.to_domain_event(notification), notification.id)
    cls = _event_class(notification.topic)
    version, target = state.pop("class_version", 1), getattr(cls, "class_version", 1)
    while version < target:  # the library's upcasting, as its mapper does it
        getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
        version += 1
    return RecordedEvent(
        id=state["event_id"],
        type=state["type"],
        partnership=state["partnership"],
        occurred_on=PartialDate.parse(state["occurred_on"]),
        summary=state["summary"],
        sources=state["sources"],
        confidence=state["confidence"],
        data=state["data"],
        version=notification.originator_version,
        position=notification.id,
        recorded_at=state["timestamp"],
        hash=state["hash"],
    )


@functools.lru_cache(maxsize=64)
def _event_class(topic: str) -> Any:
    return resolve_topic(topic)


# The projector's share of the server's connections: its two pools (the log and the view) of
# one connection plus one for bursts, and the LISTEN connection (see docs/operations.md).
PROJECTOR_POOLS = {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "1"}
MAX_BACKOFF_SECONDS = 10.0


def projector_env(env: dict[str, str]) -> dict[str, str]:
    """`env` as the projector process uses it: small pools, connections named after it."""
    return {**named(env, "projector"), **(PROJECTOR_POOLS if is_postgres(env) else {})}


def ensure_layout(app: PactlogApplication, view: TimelineView) -> bool:
    """Rebuild the view from the log if it was written in an older layout; True if this call
    did. Any number of processes may start at once: one rebuilds (under the view's layout
    lock) while the others wait, then find the layout current and go on."""
    if view.layout_version() in (None, LAYOUT_VERSION):
        if view.layout_version() is None:
            with view.layout_lock():
                if view.layout_version() is None:
                    view.stamp_layout(LAYOUT_VERSION)
        return False
    with view.layout_lock():
        if view.layout_version() == LAYOUT_VERSION:
            return False  # another process rebuilt it while we waited
        log.warning("the view was written in an older layout: rebuilding it from the log")
        view.clear(app.name)
        applied = catch_up(app, view, REBUILD_PAGE_SIZE)
        view.stamp_layout(LAYOUT_VERSION)
        log.warning("view rebuilt in layout %s: %s events projected", LAYOUT_VERSION, applied)
        return True


def run_projector(
    env: dict[str, str], policy: TrustPolicy, stop: threading.Event, poll_interval: float = 1.0
) -> None:
    """Project until `stop` is set: subscribed on PostgreSQL, polling everywhere.

    A failure (the database down or restarting, a dropped connection) is logged and the
    projector starts again after a pause that doubles up to `MAX_BACKOFF_SECONDS`, for as long
    as it takes: what was projected is tracked, so it resumes where it stopped. A projector
    started during an outage waits for the database the same way. The view folds with `policy`
    (`service.projections.policy.service_policy`: the same as the API's)."""
    pause = poll_interval
    while not stop.is_set():
        started = time.monotonic()
        try:
            _project(env, policy, stop, poll_interval)
        except Exception as error:
            if time.monotonic() - started > MAX_BACKOFF_SECONDS:
                pause = poll_interval  # it ran a while: this is a new failure, not the same one
            log.warning("the projector stopped (%s); starting again in %.1fs", error, pause)
            log.debug("the projector's failure", exc_info=True)
            stop.wait(pause)
            pause = min(pause * 2, MAX_BACKOFF_SECONDS)


def _project(
    env: dict[str, str], policy: TrustPolicy, stop: threading.Event, poll_interval: float
) -> None:
    if not is_postgres(env):
        app = PactlogApplication(env=env)
        view = open_view(env, policy)
        try:
            ensure_layout(app, view)
            while not stop.is_set():
                catch_up(app, view)
                stop.wait(poll_interval)
        finally:
            app.close()
            view.close()
        return
    # The polling fallback uses the runner's own application and view: no second pools.
    runner = ProjectionRunner(
        application_class=PactlogApplication,
        projection_class=PactlogProjection,
        view_class=view_class(env, policy),
        env=env,
    )
    with runner:
        ensure_layout(runner.app, runner.view)
        catch_up(runner.app, runner.view)
        while not stop.is_set():
            runner.run_forever(timeout=poll_interval)
            catch_up(runner.app, runner.view)
