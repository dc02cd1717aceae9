"""Folding an event into a state out of valid-time order, without folding the later ones again.

`apply_event` folds in valid-time order. Every part of the state is one of three kinds:
- a sum (`ADDITIVE`): counts and amounts (or lists of them, added term by term), the same
  whatever the order;
- a list each event appends to (`APPENDED`), in valid-time order;
- a value the latest event (in valid time) sets and later ones overwrite: a name, a date, an
  entity's fields, a flag that only ever turns on.

So an event with valid key `k` folded into the state of every other event gives the state of
all of them in order, once the values it set are put back wherever an event with a later key
set them too, and what it appended is moved to its place. `fold_in` does that, keeping
`writers`: for each value's path, the key of the event that set it last in valid time (for an
appended list, the key of each item). Its cost is the event's own size, not the history's.
A new part of the state that is neither a sum nor a value needs its pattern here: the
bitemporal tests (`tests/integration/test_bitemporal.py`, `tests/unit/test_out_of_order.py`)
compare every order of arrival with a fold in valid-time order.
"""

from __future__ import annotations

import bisect
import functools
from typing import Any

from events.envelope import RecordedEvent
from service.projections.policy import TrustPolicy
from service.projections.state import State, apply_event, empty_state

Path = tuple[str, ...]
# Key of the event that set each value last ("\x1f".join(path) -> valid key), or of each
# item of an appended list (-> a list of keys); JSON-ready.
Writers = dict[str, Any]

ANY = "*"
# Sums: folded in any order to the same total.
ADDITIVE: tuple[Path, ...] = (
    ("events",),
    ("trust", "weighted"),
    ("trust", "events"),
    ("investments", ANY, "committed"),
    ("investments", ANY, "paid"),
    ("investments", ANY, "events"),
    ("commitments", ANY, "amount"),
    ("commitments", ANY, "events"),
    (ANY, ANY, "escalations"),
    ("investments", ANY, "levels", ANY, ANY),
    ("commitments", ANY, "levels", ANY, ANY),
)
# Lists an event appends to: kept in valid-time order.
APPENDED: tuple[Path, ...] = ((ANY, ANY, "stages"),)
# Values a new entry starts with: an event leaving them so has not set them.
UNSET: tuple[tuple[Path, Any], ...] = (
    ((ANY, ANY, "opened"), False),
    ((ANY, ANY, "closed"), False),
)
SEPARATOR = "\x1f"
_EMPTY = empty_state()  # compared with, never changed
_MISSING = object()


def _matches(shape: Path, pattern: Path) -> bool:
    if len(shape) != len(pattern):
        return False
    return all(p in (ANY, part) for part, p in zip(shape, pattern, strict=True))


_NAMES = frozenset(
    part for pattern in (*ADDITIVE, *APPENDED, *(p for p, _ in UNSET)) for part in pattern
) - {ANY}


@functools.cache
def _kind(shape: Path) -> tuple[bool, bool, tuple[Any, ...]]:
    """Whether paths of this shape (`_shape`) are sums, appended lists, and the values that
    leave them unset."""
    additive = any(_matches(shape, pattern) for pattern in ADDITIVE)
    appended = any(_matches(shape, pattern) for pattern in APPENDED)
    unset = tuple(start for pattern, start in UNSET if _matches(shape, pattern))
    return additive, appended, unset


def _shape(path: Path) -> Path:
    """The path with every part the patterns do not name (ids, sections, levels) as `ANY`."""
    return tuple(part if part in _NAMES else ANY for part in path)


# `_kind(_shape(path))` by path (the projector asks it for every value an event sets).
_KINDS: dict[Path, tuple[bool, bool, tuple[Any, ...]]] = {}
_KINDS_KEPT = 100_000


def _kind_at(path: Path) -> tuple[bool, bool, tuple[Any, ...]]:
    found = _KINDS.get(path)
    if found is None:
        found = _kind(_shape(path))
        if len(_KINDS) < _KINDS_KEPT:
            _KINDS[path] = found
    return found


@functools.cache
def _only_sums_below(shape: Path) -> bool:
    """Whether every value below a dict of this shape is a sum: its level's and status's sums
    (`levels`: {level: {status: [sums]}}, built whole by the fold), nothing an event sets."""
    return any(
        len(pattern) > len(shape)
        and _matches(shape, pattern[: len(shape)])
        and all(part == ANY for part in pattern[len(shape) :])
        for pattern in ADDITIVE
    ) and not any(
        len(pattern) > len(shape) and _matches(shape, pattern[: len(shape)])
        for pattern in (*APPENDED, *(p for p, _ in UNSET))
    )


def _collect(
    folded: dict[str, Any], start: dict[str, Any], path: Path, out: list[tuple[Path, bool]]
) -> None:
    for name, value in folded.items():
        if name in start and start[name] == value:
            continue  # untouched
        if type(value) is dict:
            here = (*path, name)
            if name == "levels" and _only_sums_below(_shape(here)):
                continue
            below = start.get(name)
            _collect(value, below if type(below) is dict else {}, here, out)
            continue
        additive, appended, unset = _kind_at((*path, name))
        if additive or any(type(value) is type(u) and value == u for u in unset):
            continue
        out.append(((*path, name), appended))


def written(event: RecordedEvent, policy: TrustPolicy) -> list[tuple[Path, bool]]:
    """The paths of the values (not sums) `event` sets, each with whether it is a list the
    event appends to: what it sets folded into nothing."""
    found = _money_written(event)
    if found is not None:
        return found
    return written_by_folding(event, policy)


# What an investment or commitment sets besides its sums: the date of the latest event and the
# fields naming its entry (`service.projections.investments.apply_investment`). Most events of
# a long history are these; finding it by folding them into nothing costs as much as their
# fold. `tests/unit/test_out_of_order.py` checks it against `written_by_folding`.
_ENTRY_FIELDS = {
    "InvestmentMade": ("investments", ("investor", "currency")),
    "CommitmentMade": ("commitments", ("party", "kind", "unit", "per")),
}


def _money_written(event: RecordedEvent) -> list[tuple[Path, bool]] | None:
    fields = _ENTRY_FIELDS.get(event.type)
    if fields is None:
        return None
    section, names = fields
    data = event.data
    unit = data["amount"].get("unit", "")
    if section == "investments":
        entry = f"{data['investor']}|{unit}"
    else:
        entry = f"{data['party']}|{data['kind']}|{unit}|{data['amount'].get('per') or ''}"
    return [(("last_occurred_on",), False), *(((section, entry, n), False) for n in names)]


def written_by_folding(event: RecordedEvent, policy: TrustPolicy) -> list[tuple[Path, bool]]:
    """`written`, found by folding the event into nothing and comparing."""
    alone = empty_state()
    apply_event(alone, event, policy)
    out: list[tuple[Path, bool]] = []
    _collect(alone, _EMPTY, (), out)
    return out


def _get(state: State, path: Path) -> Any:
    node: Any = state
    for name in path:
        if not isinstance(node, dict) or name not in node:
            return _MISSING
        node = node[name]
    return node


def _put(state: State, path: Path, value: Any) -> None:
    node: Any = state
    for name in path[:-1]:
        node = node[name]
    if value is _MISSING:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


def fold_in(
    state: State, writers: Writers, event: RecordedEvent, key: str, policy: TrustPolicy
) -> None:
    """Fold `event` (valid key `key`) into `state`, the fold of other events in any order of
    arrival, as if folded in valid-time order among them; keep `writers` up to date."""
    values = written(event, policy)
    before = {path: _copy(_get(state, path)) for path, _ in values}
    apply_event(state, event, policy)
    for path, appended in values:
        name = SEPARATOR.join(path)
        if appended:
            _place(state, path, before[path], writers, name, key)
        elif writers.get(name, "") > key:
            _put(state, path, before[path])  # a later event set it: its value stands
        else:
            writers[name] = key


def record(writers: Writers, event: RecordedEvent, key: str, policy: TrustPolicy) -> None:
    """Keep `writers` for an event folded in valid-time order (after all the others)."""
    for path, appended in written(event, policy):
        name = SEPARATOR.join(path)
        if appended:
            keys = writers.setdefault(name, [])
            assert isinstance(keys, list)
            keys.append(key)
        else:
            writers[name] = key


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _place(state: State, path: Path, before: Any, writers: Writers, name: str, key: str) -> None:
    """Move the items the event appended to their place in valid-time order."""
    items = _get(state, path)
    kept = before if isinstance(before, list) else []
    added = items[len(kept) :]
    keys = writers.setdefault(name, [])
    assert isinstance(keys, list)
    at = bisect.bisect_right(keys, key)
    items[:] = [*kept[:at], *added, *kept[at:]]
    keys[at:at] = [key] * len(added)
