"""JSON as pactlog reads it from clients (bodies, JSON Lines): RFC 8259 text, stricter where the
standard library is lenient and a lenient reading would change what the client meant.

- A duplicate key in any object is refused (Python keeps the last one silently; a client that
  sent `"amount": "100", "amount": "999"` meant something we cannot know).
- `NaN`, `Infinity` and `-Infinity` are not JSON and are refused.
- A string holding a lone UTF-16 surrogate (`"\\ud800"`) names no character (I-JSON, RFC 7493)
  and cannot be stored or hashed as UTF-8: it is refused with the place it was found.
"""

from __future__ import annotations

import json
import re
from typing import Any

# A surrogate escaped (`\ud800`) or encoded as bytes (which `json` decodes with surrogatepass).
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


class MalformedJson(ValueError):
    """The text is not JSON we accept; `pointer` (RFC 6901) says where, when we know."""

    def __init__(self, message: str, pointer: str = "") -> None:
        super().__init__(message)
        self.pointer = pointer


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise MalformedJson(f"duplicate key {key!r} in an object")
            seen.add(key)
    return found


def _no_constants(name: str) -> Any:
    raise MalformedJson(f"{name} is not a JSON value")


def loads(text: str | bytes) -> Any:
    """Parse `text`; raise `MalformedJson` (a `ValueError`) for anything we do not accept."""
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except MalformedJson:
        raise
    except RecursionError:
        raise MalformedJson("nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedJson(str(error)) from None
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if _SURROGATE.search(raw) or (isinstance(text, str) and _has_surrogate(text)):
        _check_strings(value, "")
    return value


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_strings(value: Any, pointer: str) -> None:
    """Refuse the first string (or key) that is not valid Unicode: a lone surrogate."""
    if isinstance(value, str):
        if _has_surrogate(value):
            raise MalformedJson("a string holds a lone UTF-16 surrogate (no character)", pointer)
    elif isinstance(value, dict):
        for key, item in value.items():
            if _has_surrogate(key):  # (the pointer names its object: the key cannot be shown)
                raise MalformedJson("a key holds a lone UTF-16 surrogate (no character)", pointer)
            _check_strings(item, f"{pointer}/{_escape(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{pointer}/{index}")


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
