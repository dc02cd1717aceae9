"""The write rules: guards that refuse an event before anything is stored.

Each guard raises `RuleViolated` naming the offending field. They judge a draft against the
stream as recorded so far (`StreamFacts`), in recording order; the folds, which run in valid-time
order, stay total whatever order the dates put events in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marshmallow import ValidationError

from events.catalog import AMENDING_TYPES, ENTITY_ACTIONS
from events.dates import PartialDate
from events.envelope import EventDraft, data_schema
from events.errors import RuleViolated
from events.versions import upgrade_changes, upgrade_data

_NOUN = {
    "dispute": "dispute",
    "risk": "flagged risk",
    "review": "regulatory review",
    "agreement": "agreement",
}
_CLOSED = {"dispute": "resolved", "risk": "mitigated", "review": "closed", "agreement": "ended"}


@dataclass
class StreamFacts:
    """What the write rules need to know about a stream, kept by its aggregate in plain
    JSON-ready containers (so snapshots can store them).

    `entities` maps "kind:id" to the not-retracted events that acted on it: [event id, action].
    """

    entities: dict[str, list[list[str]]] = field(default_factory=dict)
    retracted: list[str] = field(default_factory=list)

    def status(self, kind: str, entity_id: str) -> str | None:
        actions = [action for _, action in self.entities.get(f"{kind}:{entity_id}", [])]
        if "open" not in actions:
            return "known" if actions else None
        return "closed" if "close" in actions else "open"

    def record(self, event_id: str, event_type: str, data: dict[str, Any]) -> None:
        entity = ENTITY_ACTIONS.get(event_type)
        if entity is not None:
            kind, id_field, action = entity
            self.entities.setdefault(f"{kind}:{data[id_field]}", []).append([event_id, action])

    def retract(self, event_id: str) -> None:
        self.retracted.append(event_id)
        for actions in self.entities.values():
            actions[:] = [pair for pair in actions if pair[0] != event_id]


@dataclass(frozen=True)
class Target:
    """The event a correction or retraction aims at, as it currently reads."""

    id: str
    partnership: str
    type: str
    data: dict[str, Any]


def check_occurred_on(occurred_on: PartialDate, today: date, field_name: str) -> None:
    if occurred_on.start > today:
        raise RuleViolated(field_name, f"{occurred_on} is in the future (today is {today}).")


def check_draft(
    draft: EventDraft,
    facts: StreamFacts,
    today: date,
    target: Target | None = None,
    partnership: str = "",
) -> None:
    """Refuse `draft` if it breaks a write rule for a stream in the state `facts`."""
    if draft.occurred_on is not None:
        check_occurred_on(draft.occurred_on, today, "occurred_on")
    if draft.type == "PartnershipFormed":
        raise RuleViolated("type", "The partnership is already formed.")
    if draft.type in AMENDING_TYPES:
        _check_amendment(draft, facts, today, target, partnership)
        return
    entity = ENTITY_ACTIONS.get(draft.type)
    if entity is None:
        return
    kind, id_field, action = entity
    entity_id = draft.data[id_field]
    status = facts.status(kind, entity_id)
    where = f"data.{id_field}"
    if action == "open" and status in ("open", "closed"):
        raise RuleViolated(where, f"The {_NOUN[kind]} id {entity_id!r} is already used.")
    if action != "open" and status == "closed":
        raise RuleViolated(where, f"The {_NOUN[kind]} {entity_id!r} is already {_CLOSED[kind]}.")
    if action != "open" and status != "open":
        raise RuleViolated(where, f"There is no open {_NOUN[kind]} {entity_id!r}.")


def _check_amendment(
    draft: EventDraft,
    facts: StreamFacts,
    today: date,
    target: Target | None,
    partnership: str,
) -> None:
    target_id = draft.data["target_id"]
    if target is None or target.partnership != partnership:
        raise RuleViolated("data.target_id", f"No event {target_id} in this partnership.")
    if target_id in facts.retracted:
        raise RuleViolated("data.target_id", f"Event {target_id} is already retracted.")
    if target.type in AMENDING_TYPES:
        raise RuleViolated(
            "data.target_id", "A correction, retraction or attached source cannot be amended."
        )
    if draft.type != "EventCorrected":
        return
    corrected = draft.data["fields"]
    if "occurred_on" in corrected:
        check_occurred_on(
            PartialDate.parse(corrected["occurred_on"]), today, "data.fields.occurred_on"
        )
    if "data" in corrected:
        entity = ENTITY_ACTIONS.get(target.type)
        for identity in (entity[1],) if entity is not None else ():
            if identity in corrected["data"] and corrected["data"][identity] != target.data.get(
                identity
            ):
                raise RuleViolated(
                    f"data.fields.data.{identity}",
                    "An identity field cannot be corrected: retract the event and record anew.",
                )
        merged_data(target, corrected["data"])


def merged_data(target: Target, changes: dict[str, Any]) -> dict[str, Any]:
    """The target's data with `changes` applied, canonical and valid for its type (a
    version-1 correction of a version-2 event is upgraded against it first)."""
    schema = data_schema(target.type)
    current = upgrade_data(target.type, target.data)
    changes = upgrade_changes(target.type, current, changes)
    try:
        return dict(schema.dump(schema.load({**current, **changes})))
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        name, problem = next(iter(messages.items()), ("_schema", error.messages))
        raise RuleViolated(f"data.fields.data.{name}", str(problem)) from None


def amend(body: dict[str, Any], amendment_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """An event's content as it reads after a correction or an attached source (a retraction
    is the caller's business: the event stops counting)."""
    if amendment_type == "SourceAttached":
        return {**body, "sources": [*body.get("sources", []), data["source"]]}
    if amendment_type == "EventCorrected":
        return apply_correction(body, data["fields"])
    return body


def apply_correction(body: dict[str, Any], corrected: dict[str, Any]) -> dict[str, Any]:
    """An event's content as it reads after `corrected` (a correction's `fields`) is applied."""
    amended = dict(body)
    for name in ("occurred_on", "summary", "sources", "confidence"):
        if name in corrected:
            amended[name] = corrected[name]
    if "data" in corrected:
        target = Target(body["id"], body["partnership"], body["type"], body["data"])
        amended["data"] = merged_data(target, corrected["data"])
    return amended
