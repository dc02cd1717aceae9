"""Schema evolution: payloads recorded by earlier releases, read in today's shape.

Each stored event class carries a `class_version` (see `service.stream`); the library calls its
`upcast_v1_v2` on every event stored before version 2, which hands the payload to
`upgrade_data` here and keeps the payload as recorded beside it (the hash chain covers what was
recorded, not what it reads as). The same upgrades run when a schema loads a payload, so a
client still sending the version-1 shape is understood, and a version-1 correction merges into
a version-2 event (`upgrade_changes`).

Version 1 (up to issue 11) → 2 (issue 12):
- `InvestmentMade` / `CommitmentMade`: `amount` (decimal string) + `currency` became a figure
  (`{"kind": "exact", "value": …, "unit": currency}`); an investment's `committed` status is
  now called `firm` (promised unconditionally); a commitment is firm.
- everything else reads as it was recorded (sources, the other types: fields were only added
  or made optional).
"""

from __future__ import annotations

from typing import Any

CATALOG_VERSION = 2
FIGURED_TYPES = ("InvestmentMade", "CommitmentMade")


def _is_legacy_amount(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def upgrade_data(event_type: str, data: Any) -> Any:
    """`data` of an event of `event_type` in today's shape (unchanged when it already is)."""
    if event_type not in FIGURED_TYPES or not isinstance(data, dict):
        return data
    upgraded = dict(data)
    if _is_legacy_amount(upgraded.get("amount")):
        amount = {"kind": "exact", "value": upgraded.pop("amount")}
        if "currency" in upgraded:
            amount["unit"] = upgraded.pop("currency")
        upgraded["amount"] = amount
    if event_type == "InvestmentMade" and upgraded.get("status") == "committed":
        upgraded["status"] = "firm"
    if event_type == "CommitmentMade" and "status" not in upgraded and "tranches" not in upgraded:
        upgraded["status"] = "firm"
    return upgraded


def upgrade_changes(
    event_type: str, target_data: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    """A correction's `data` changes in today's shape, against the target's current data: a
    version-1 `amount` string becomes an exact figure in the target's unit (or the correction's
    `currency`)."""
    if event_type not in FIGURED_TYPES:
        return changes
    upgraded = dict(changes)
    target_amount = target_data.get("amount")
    if _is_legacy_amount(upgraded.get("amount")) or (
        "currency" in upgraded and event_type in FIGURED_TYPES
    ):
        if _is_legacy_amount(upgraded.get("amount")):
            figure: dict[str, Any] = {"kind": "exact", "value": upgraded.pop("amount")}
        elif isinstance(target_amount, dict):
            figure = dict(target_amount)
        else:
            figure = {"kind": "exact", "value": target_amount}
        unit = upgraded.pop("currency", None)
        if unit is None and isinstance(target_amount, dict):
            unit = target_amount.get("unit")
        elif unit is None:
            unit = target_data.get("currency")
        if unit is not None:
            figure["unit"] = unit
        upgraded["amount"] = figure
    if event_type == "InvestmentMade" and upgraded.get("status") == "committed":
        upgraded["status"] = "firm"
    return upgraded
