"""Alternative trust policies, for "what if" reads: validated documents and a directory of them.

A policy document has the shape of `service/trust_policy.toml` (documented in
docs/trust-policy.md) and states only what it changes: the rest is the default policy's. Every
value is checked (`check_policy`) and every problem named by its dotted path, so a team's
policy file fails with a clear message rather than a strange score:

- `baseline` 0–100; `half_life_days` 1–36,500; `trust_signal_scale` 0–10;
- `confidence.<level>` 0–1, for the three confidence levels only;
- `open_dispute.per_severity`, `open_dispute.per_escalation` −50–50;
- `effects.<Type>` −100–100, for the catalog's types only; a table's `by` names a field of
  the type's data, and its other keys are that field's values.
"""

from __future__ import annotations

import copy
import json
import math
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from events.catalog import CATALOG, CONFIDENCE_LEVELS
from service.errors import ServiceError
from service.projections.policy import TrustPolicy, default_policy, parse_policy

DEFAULT = "default"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
EFFECT_RANGE = (-100.0, 100.0)
_RANGES: dict[str, tuple[float, float]] = {
    "baseline": (0.0, 100.0),
    "half_life_days": (1.0, 36_500.0),
    "trust_signal_scale": (0.0, 10.0),
}
_SECTIONS: dict[str, tuple[tuple[str, ...], tuple[float, float]]] = {
    "confidence": (CONFIDENCE_LEVELS, (0.0, 1.0)),
    "open_dispute": (("per_severity", "per_escalation"), (-50.0, 50.0)),
}


class InvalidPolicy(ServiceError, ValueError):
    """A policy document with problems: `messages` maps each dotted path to what is wrong."""

    def __init__(self, messages: dict[str, list[str]]) -> None:
        self.messages = messages
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in messages.items()))


class UnknownPolicy(ServiceError, LookupError):
    """No policy of that name in the policies directory."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name, self.known = name, known
        super().__init__(f"No policy named {name!r}; there are: {', '.join(known)}.")


@dataclass(frozen=True)
class NamedPolicy:
    """A policy and what to call it in an answer (a name, or "inline")."""

    name: str
    policy: TrustPolicy


@cache
def default_document() -> dict[str, Any]:
    text = resources.files("service").joinpath("trust_policy.toml").read_text("utf-8")
    return tomllib.loads(text)


def _merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "effects":
            merged[key] = _merged(merged[key], value)
        elif key == "effects" and isinstance(value, dict):
            merged[key] = {**merged.get(key, {}), **value}  # a type's rule is replaced whole
        else:
            merged[key] = value
    return merged


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _check_number(
    messages: dict[str, list[str]], path: str, value: Any, limits: tuple[float, float]
) -> None:
    number = _number(value)
    low, high = limits
    if number is None:
        messages.setdefault(path, []).append("Not a number.")
    elif not low <= number <= high:
        messages.setdefault(path, []).append(f"{number:g} is out of range ({low:g} to {high:g}).")


def _check_effect(messages: dict[str, list[str]], event_type: str, rule: Any) -> None:
    path = f"effects.{event_type}"
    if event_type not in CATALOG:
        messages.setdefault(path, []).append(
            f"Unknown event type {event_type!r} (see GET /v1/catalog)."
        )
        return
    if not isinstance(rule, dict):
        _check_number(messages, path, rule, EFFECT_RANGE)
        return
    field_name = rule.get("by")
    if field_name not in CATALOG[event_type]._declared_fields:
        messages.setdefault(f"{path}.by", []).append(
            f"{event_type} has no data field {field_name!r}."
        )
    for key, value in rule.items():
        if key != "by":
            _check_number(messages, f"{path}.{key}", value, EFFECT_RANGE)


def check_policy(document: Any) -> TrustPolicy:
    """The policy `document` describes over the default one; `InvalidPolicy` naming every
    problem otherwise."""
    if not isinstance(document, dict):
        raise InvalidPolicy({"": ["A policy is an object (a TOML or JSON document)."]})
    messages: dict[str, list[str]] = {}
    known = {*_RANGES, *_SECTIONS, "effects"}
    for key in document:
        if key not in known:
            messages.setdefault(str(key), []).append(
                f"Unknown setting; a policy has {', '.join(sorted(known))}."
            )
    full = _merged(default_document(), {k: v for k, v in document.items() if k in known})
    for key, limits in _RANGES.items():
        _check_number(messages, key, full.get(key), limits)
    for section, (names, limits) in _SECTIONS.items():
        given = full.get(section)
        if not isinstance(given, dict):
            messages.setdefault(section, []).append("Not a table.")
            continue
        for name, value in given.items():
            if name not in names:
                messages.setdefault(f"{section}.{name}", []).append(
                    f"Unknown; {section} has {', '.join(names)}."
                )
            else:
                _check_number(messages, f"{section}.{name}", value, limits)
    effects = full.get("effects")
    if not isinstance(effects, dict):
        messages.setdefault("effects", []).append("Not a table.")
    else:
        for event_type, rule in effects.items():
            _check_effect(messages, str(event_type), rule)
    if messages:
        raise InvalidPolicy(messages)
    return parse_policy(full)


def parse_document(text: str, form: str) -> Any:
    """A policy document from TOML or JSON text (`InvalidPolicy` when it does not parse)."""
    try:
        return json.loads(text) if form == "json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise InvalidPolicy({"": [f"Not valid {form.upper()}: {error}"]}) from None


class PolicyLibrary:
    """The policies a deployment offers by name: `<name>.toml` or `<name>.json` files in a
    directory (the `PACTLOG_POLICIES_DIR` setting), and `default`, the service's own."""

    def __init__(self, directory: str | Path | None) -> None:
        self.directory = Path(directory) if directory else None

    def names(self) -> list[str]:
        found = {DEFAULT}
        if self.directory is not None and self.directory.is_dir():
            for path in self.directory.iterdir():
                if path.suffix in (".toml", ".json") and NAME.match(path.stem):
                    found.add(path.stem)
        return sorted(found)

    def named(self, name: str) -> NamedPolicy:
        """The policy called `name` (checked each time: a file may have been edited)."""
        if name == DEFAULT:
            return NamedPolicy(DEFAULT, default_policy())
        if NAME.match(name) and self.directory is not None:
            for suffix in ("toml", "json"):
                path = self.directory / f"{name}.{suffix}"
                if path.is_file():
                    document = parse_document(path.read_text(encoding="utf-8"), suffix)
                    return NamedPolicy(name, check_policy(document))
        raise UnknownPolicy(name, self.names())

    def resolve(self, given: str) -> NamedPolicy:
        """A `policy=` parameter: inline JSON (it starts with `{`) or a name."""
        if given.lstrip().startswith("{"):
            return NamedPolicy("inline", check_policy(parse_document(given, "json")))
        return self.named(given.strip())
