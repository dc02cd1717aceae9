"""Disputes, risks, regulatory reviews and agreements: things that open, change and close.

Folded in valid-time order; any order gives a defined state (an escalation or a resolution
folded before its opening is kept, and the entity only counts as open once it has opened).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from events.catalog import ENTITY_ACTIONS
from events.envelope import RecordedEvent

Section = dict[str, dict[str, Any]]


def apply_entity(sections: dict[str, Section], event: RecordedEvent) -> None:
    kind, id_field, action = ENTITY_ACTIONS[event.type]
    data = event.data
    entity = sections.setdefault(kind, {}).setdefault(
        data[id_field],
        {"id": data[id_field], "opened": False, "closed": False, "escalations": 0},
    )
    on = event.occurred_on.end.isoformat()
    if action == "open":
        entity["opened"] = True
        entity["opened_on"] = on
        entity["opened_by_event"] = event.id
        for name, value in data.items():
            if name != id_field:
                entity[name] = value
    elif action == "update" and kind == "review":
        entity.setdefault("stages", []).append({"stage": data["stage"], "on": on})
        entity["stage"] = data["stage"]
    elif action == "update":
        entity["escalations"] += 1
        entity["escalated_on"] = on
        if "severity" in data:
            entity["severity"] = data["severity"]
    else:
        entity["closed"] = True
        entity["closed_on"] = on
        for name in ("resolution", "mitigation", "outcome", "decision", "how", "superseded_by"):
            if name in data:
                entity[name] = data[name]


def is_open(entity: dict[str, Any]) -> bool:
    return bool(entity["opened"] and not entity["closed"])


def render_disputes(disputes: Section, at: date) -> dict[str, list[dict[str, Any]]]:
    open_, resolved = [], []
    for entity in sorted(disputes.values(), key=lambda e: (e.get("opened_on", ""), e["id"])):
        if not entity["opened"]:
            continue
        answer = {
            "dispute_id": entity["id"],
            "topic": entity.get("topic"),
            "raised_by": entity.get("raised_by"),
            "severity": entity.get("severity"),
            "escalations": entity["escalations"],
            "opened_on": entity["opened_on"],
        }
        if entity["closed"]:
            answer["resolved_on"] = entity["closed_on"]
            answer["resolution"] = entity.get("resolution")
            answer["age_days"] = _days(entity["opened_on"], entity["closed_on"])
            resolved.append(answer)
        else:
            answer["age_days"] = _days(entity["opened_on"], at.isoformat())
            open_.append(answer)
    return {"open": open_, "resolved": resolved}


def render_risks(risks: Section) -> dict[str, Any]:
    by_category: dict[str, list[dict[str, Any]]] = {}
    mitigated = 0
    for entity in sorted(risks.values(), key=lambda e: (e.get("opened_on", ""), e["id"])):
        if not entity["opened"]:
            continue
        if entity["closed"]:
            mitigated += 1
            continue
        by_category.setdefault(entity["category"], []).append(
            {
                "risk_id": entity["id"],
                "description": entity.get("description"),
                "severity": entity.get("severity"),
                "flagged_on": entity["opened_on"],
            }
        )
    return {
        "open_by_category": dict(sorted(by_category.items())),
        "open": sum(len(items) for items in by_category.values()),
        "mitigated": mitigated,
    }


def render_reviews(reviews: Section) -> list[dict[str, Any]]:
    """The open reviews, each at its latest stage (the stages in valid-time order)."""
    return [
        {
            "review_id": entity["id"],
            "regulator": entity.get("regulator"),
            "subject": entity.get("subject"),
            "opened_on": entity["opened_on"],
            "stage": entity.get("stage"),
            "stages": entity.get("stages", []),
        }
        for entity in sorted(reviews.values(), key=lambda e: (e.get("opened_on", ""), e["id"]))
        if is_open(entity)
    ]


def render_agreements(agreements: Section) -> dict[str, list[dict[str, Any]]]:
    """Agreements in force (signed, not ended) and ended ones."""
    in_force, ended = [], []
    for entity in sorted(agreements.values(), key=lambda e: (e.get("opened_on", ""), e["id"])):
        if not entity["opened"]:
            continue
        answer = {
            "agreement_id": entity["id"],
            "kind": entity.get("kind"),
            "binding": entity.get("binding"),
            "scope": entity.get("scope"),
            "signed_on": entity["opened_on"],
        }
        for name in ("figure", "extends", "expires_on"):
            if name in entity:
                answer[name] = entity[name]
        if entity["closed"]:
            answer |= {"ended_on": entity["closed_on"], "how": entity.get("how")}
            ended.append(answer)
        else:
            in_force.append(answer)
    return {"in_force": in_force, "ended": ended}


def _days(start: str, end: str) -> int:
    return max(0, (date.fromisoformat(end) - date.fromisoformat(start)).days)
