"""Tamper evidence: each stream is a hash chain over its events' canonical content."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


# One encoder, built once (`json.dumps` with options builds one per call).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept."""
    return _CANONICAL.encode(value)


def content_digest(content: dict[str, Any]) -> str:
    """A fingerprint of what an event says, to tell a faithful retry from a different event."""
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def chain_hash(previous: str, content: dict[str, Any], version: int, recorded_at: str) -> str:
    """The hash of one link: the previous link's hash, then this event's content and place."""
    link = canonical_json({"content": content, "version": version, "recorded_at": recorded_at})
    return hashlib.sha256((previous + link).encode()).hexdigest()


# The same digests from content already in canonical JSON (`EventDraft.content_json`): an append
# encodes each event's content once for its request digest, its id index row and its link.


def digest_of_json(text: str) -> str:
    """`content_digest` of the content whose canonical JSON is `text`."""
    return hashlib.sha256(text.encode()).hexdigest()


def chain_hash_of_json(previous: str, content_json: str, version: int, recorded_at: str) -> str:
    """`chain_hash` of the content whose canonical JSON is `content_json` (the link's keys in
    canonical order: content, recorded_at, version)."""
    link = (
        f'{{"content":{content_json},"recorded_at":{canonical_json(recorded_at)},'
        f'"version":{canonical_json(version)}}}'
    )
    return hashlib.sha256((previous + link).encode()).hexdigest()


def request_digest_of_json(events_json: list[str], expected_version: int | None) -> str:
    """`content_digest({"events": [...], "expected_version": ...})` from each event's canonical
    JSON."""
    expected = canonical_json(expected_version)
    return digest_of_json(f'{{"events":[{",".join(events_json)}],"expected_version":{expected}}}')
