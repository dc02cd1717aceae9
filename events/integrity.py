"""Tamper evidence: each stream is a hash chain over its events' canonical content."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_digest(content: dict[str, Any]) -> str:
    """A fingerprint of what an event says, to tell a faithful retry from a different event."""
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def chain_hash(previous: str, content: dict[str, Any], version: int, recorded_at: str) -> str:
    """The hash of one link: the previous link's hash, then this event's content and place."""
    link = canonical_json({"content": content, "version": version, "recorded_at": recorded_at})
    return hashlib.sha256((previous + link).encode()).hexdigest()
