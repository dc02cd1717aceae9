"""Full-text search in the view: a `search` table beside `rows`, one entry per row revision,
written by the projector in the same transaction (so a correction's new text is found, and a
retraction's closed row no longer is, from the version that made them).

Both stores answer the same, by construction:
- the text is tokenised here, not by the database (`tokens`: Unicode-folded, lower-case runs of
  letters and digits), and stored as those tokens separated by spaces; SQLite's FTS5 and
  PostgreSQL's `to_tsvector('simple', …)` split that text into exactly the same words;
- a query is its tokens, all required, the last one also as a prefix (`micro` finds
  `microsoft`): FTS5 `"a" "micro"*`, PostgreSQL `a & micro:*`;
- the rank is a tier, not a store's own score: 1 every term in the summary, 2 in the names
  (parties, organisations and people named in the event's data), 3 in a source (publisher,
  title, URL), 4 spread over several; within a tier the latest in valid time first.

SQLite keeps an FTS5 table; PostgreSQL a table with `tsvector` columns (generated) and a GIN
index. Visibility follows `rows`: a search at a stream version (or at `known_at`, per
partnership through `changes`) sees the revisions visible then.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from events.catalog import CONFIDENCE_LEVELS

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NAME_FIELDS_SKIP = ("amount", "currency", "target_id", "fields", "delta", "severity")
SNIPPET_CHARS = 180
_FIRST_COMBINING = "\u0300"  # no character before it has a combining class
MAX_TERMS = 12


def fold(text: str) -> str:
    """Lower case without accents (`Société` → `societe`)."""
    if text.isascii():
        return text.lower()  # nothing to decompose, no accents: the same, without the walk
    decomposed = unicodedata.normalize("NFKD", text)
    if max(decomposed) < _FIRST_COMBINING:
        return decomposed.lower()  # no combining mark to drop (e.g. only a "·" between names)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokens(text: str) -> list[str]:
    return _WORD.findall(fold(text))


# ASCII bytes that are letters or digits kept, every other one a space: in ASCII text the words
# `_WORD` finds are its runs of letters and digits (`_` is not a word character for it).
_ASCII_WORDS = bytes(c if chr(c).isascii() and chr(c).isalnum() else 32 for c in range(256))


def words(text: str) -> str:
    """`tokens(text)` separated by spaces (what the search table stores); ASCII text (most
    text) split by one byte translation instead of the regular expression, in a fifth of the
    time (a rebuild computes three per event)."""
    if text.isascii():
        return b" ".join(text.lower().encode().translate(_ASCII_WORDS).split()).decode()
    return " ".join(tokens(text))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _texts(body: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    """The summary, the names in the data and the sources' texts, each piece on its own."""
    data = body.get("data") or {}
    names = [
        text
        for key, value in data.items()
        if key not in _NAME_FIELDS_SKIP
        for text in _strings(value)
    ]
    sources = [
        str(source[key])
        for source in body.get("sources") or []
        for key in ("publisher", "title", "url")
        if source.get(key)
    ]
    return body["summary"], names, sources


_BETWEEN = " · "  # between the pieces of a field as read (a snippet), not a word character


def fields_of(body: dict[str, Any]) -> dict[str, str]:
    """The text an event is found by: its summary, the names in its data, its sources."""
    summary, names, sources = _texts(body)
    return {"summary": summary, "names": _BETWEEN.join(names), "sources": _BETWEEN.join(sources)}


def entry(body: dict[str, Any], from_version: int) -> tuple[Any, ...]:
    """The search table's row for one revision of an event. The pieces of a field are joined
    by a space, not `_BETWEEN`: the same words (neither is a word character, and folding
    changes no piece by what is beside it), and mostly ASCII text (`words`' short way)."""
    summary, names, sources = _texts(body)
    return (
        body["partnership"],
        body["id"],
        from_version,
        words(summary),
        words(" ".join(names)),
        words(" ".join(sources)),
    )


COLUMNS = "partnership, event_id, from_version, summary, names, sources"
INSERT = "INSERT INTO {search} (" + COLUMNS + ") VALUES (%s, %s, %s, %s, %s, %s)"


def sqlite_statements(table: str) -> list[str]:
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(summary, names, sources, "
        "partnership UNINDEXED, event_id UNINDEXED, from_version UNINDEXED, "
        "tokenize = 'unicode61')"
    ]


_ALL = "summary || ' ' || names || ' ' || sources"


def postgres_statements(table: str, index: str) -> list[str]:
    def vector(expression: str) -> str:
        return f"tsvector GENERATED ALWAYS AS (to_tsvector('simple', {expression})) STORED"

    return [
        f"CREATE TABLE IF NOT EXISTS {table} (partnership TEXT NOT NULL, "
        "event_id TEXT NOT NULL, from_version BIGINT NOT NULL, summary TEXT NOT NULL, "
        "names TEXT NOT NULL, sources TEXT NOT NULL, "
        f"v_summary {vector('summary')}, v_names {vector('names')}, "
        f"v_sources {vector('sources')}, "
        f"v_all {vector(_ALL)}, "
        "PRIMARY KEY (partnership, event_id, from_version))",
        f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING GIN (v_all)",
    ]


@dataclass(frozen=True)
class Query:
    """What a search asks: the terms and the timeline's filters, as view keys and lists."""

    terms: list[str]
    partnership: str | None = None
    known_at: str | None = None  # a stamp (`service.view.keys.stamp`)
    after_key: str = ""  # valid keys strictly between these two
    before_key: str = "~"
    types: Sequence[str] = ()
    min_confidence: str | None = None
    cursor: tuple[int, str, str] | None = None  # (tier, valid key, partnership) last seen
    limit: int = 20


@dataclass(frozen=True)
class Hit:
    tier: int
    valid_key: str
    body: dict[str, Any]


def _fts(terms: list[str], column: str | None) -> str:
    words = " ".join(f'"{t}"' for t in terms[:-1]) + f' "{terms[-1]}"*'
    return f"{{{column}}} : ({words.strip()})" if column else words.strip()


def _tsquery(terms: list[str]) -> str:
    return " & ".join([*terms[:-1], f"{terms[-1]}:*"])


def _filters(query: Query, rows: str) -> tuple[str, list[Any]]:
    text = f" AND {rows}.valid_key > %s AND {rows}.valid_key < %s"
    params: list[Any] = [query.after_key, query.before_key]
    if query.partnership is not None:
        text += f" AND {rows}.partnership = %s"
        params.append(query.partnership)
    if query.types:
        text += f" AND {rows}.type IN (" + ",".join(["%s"] * len(query.types)) + ")"
        params += list(query.types)
    if query.min_confidence is not None:
        allowed = CONFIDENCE_LEVELS[CONFIDENCE_LEVELS.index(query.min_confidence) :]
        text += f" AND {rows}.confidence IN (" + ",".join(["%s"] * len(allowed)) + ")"
        params += list(allowed)
    return text, params


def search_sql(query: Query, *, postgres: bool) -> tuple[str, list[Any]]:
    """One statement (with `{rows}`, `{search}`, `{changes}` names and `%s` marks) that finds a
    page of hits for `query`: (tier, valid_key, partnership, body), best first."""
    params: list[Any] = []
    if query.known_at is None:
        cut_join, visible = "", "r.to_version IS NULL"
    else:
        cut_join = (
            " JOIN (SELECT partnership, MAX(version) AS version FROM {changes} "
            "WHERE recorded_at <= %s GROUP BY partnership) c ON c.partnership = r.partnership"
        )
        params.append(query.known_at)
        visible = (
            "r.from_version <= c.version AND (r.to_version IS NULL OR r.to_version > c.version)"
        )
    if postgres:
        tier = (
            "CASE WHEN s.v_summary @@ q.q THEN 1 WHEN s.v_names @@ q.q THEN 2 "
            "WHEN s.v_sources @@ q.q THEN 3 ELSE 4 END"
        )
        source = "{search} s CROSS JOIN (SELECT to_tsquery('simple', %s) AS q) q"
        match = "s.v_all @@ q.q"
        params = [_tsquery(query.terms), *params]
    else:
        tier = (
            "CASE WHEN s.rowid IN (SELECT rowid FROM {search} WHERE {search} MATCH %s) THEN 1 "
            "WHEN s.rowid IN (SELECT rowid FROM {search} WHERE {search} MATCH %s) THEN 2 "
            "WHEN s.rowid IN (SELECT rowid FROM {search} WHERE {search} MATCH %s) THEN 3 "
            "ELSE 4 END"
        )
        source = "{search} s"
        match = "{search} MATCH %s"
        params = [
            *(_fts(query.terms, column) for column in ("summary", "names", "sources")),
            *params,
        ]
    filters, filter_params = _filters(query, "r")
    inner = (
        f"SELECT {tier} AS tier, r.valid_key AS valid_key, r.partnership AS partnership, "
        f"r.event_id AS event_id, r.from_version AS from_version FROM {source} "
        "JOIN {rows} r ON r.partnership = s.partnership AND r.event_id = s.event_id "
        f"AND r.from_version = s.from_version{cut_join} "
        f"WHERE {match} AND {visible}{filters}"
    )
    if not postgres:
        params.append(_fts(query.terms, None))
    params += filter_params
    # Bodies are fetched for the page only (`bodies_sql`): sorting every match with its body
    # costs more than the match itself.
    text = f"SELECT tier, valid_key, partnership, event_id, from_version FROM ({inner}) hits"
    if query.cursor is not None:
        tier_seen, key_seen, slug_seen = query.cursor
        text += (
            " WHERE tier > %s OR (tier = %s AND (valid_key < %s "
            "OR (valid_key = %s AND partnership > %s)))"
        )
        params += [tier_seen, tier_seen, key_seen, key_seen, slug_seen]
    text += " ORDER BY tier, valid_key DESC, partnership LIMIT %s"
    params.append(query.limit)
    return text, params


def matching_sql(terms: list[str], *, postgres: bool) -> tuple[str, list[Any]]:
    """A condition on `{rows}`: the row's revision holds every term (the last also as a
    prefix), as `search_sql` finds them. For the timeline's `q`."""
    revision = (
        "(partnership, event_id, from_version) IN "
        "(SELECT partnership, event_id, from_version FROM {search} WHERE "
    )
    if postgres:
        return revision + "v_all @@ to_tsquery('simple', %s))", [_tsquery(terms)]
    return revision + "{search} MATCH %s)", [_fts(terms, None)]


def bodies_sql(found: list[tuple[Any, ...]]) -> tuple[str, list[Any]]:
    """The statement that reads the bodies of a page of hits (`search_sql`'s rows)."""
    one = "(partnership = %s AND event_id = %s AND from_version = %s)"
    text = "SELECT partnership, event_id, from_version, body FROM {rows} WHERE " + " OR ".join(
        [one] * len(found)
    )
    return text, [value for _, _, slug, event_id, version in found
                  for value in (slug, event_id, version)]  # fmt: skip


def hits(found: list[tuple[Any, ...]], bodies: list[tuple[Any, ...]]) -> list[Hit]:
    by_key = {(str(p), str(e), int(v)): body for p, e, v, body in bodies}
    return [
        Hit(int(tier), str(key), orjson.loads(by_key[(str(slug), str(event_id), int(version))]))
        for tier, key, slug, event_id, version in found
    ]


# --- snippets ----------------------------------------------------------------------------------


def _matches(word: str, terms: list[str]) -> bool:
    folded = fold(word)
    return folded in terms[:-1] or folded.startswith(terms[-1]) or folded == terms[-1]


def highlight(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> str | None:
    """`text` around its first matching word, HTML-escaped, each matching word in `<mark>`;
    None when no word matches. Longer text is cut to about `width` characters with `…`."""
    spans = [m.span() for m in _WORD.finditer(text) if _matches(m.group(), terms)]
    if not spans:
        return None
    start = 0
    if len(text) > width:
        start = max(0, min(spans[0][0] - width // 3, len(text) - width))
    end = min(len(text), start + width)
    out, at = [], start
    for first, last in spans:
        if first < start or last > end:
            continue
        out.append(html.escape(text[at:first], quote=False))
        out.append(f"<mark>{html.escape(text[first:last], quote=False)}</mark>")
        at = last
    out.append(html.escape(text[at:end], quote=False))
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else "")


def snippet(body: dict[str, Any], terms: list[str]) -> tuple[str, dict[str, str]]:
    """The best snippet (summary first, then names, then sources) and every field's own."""
    found = {
        name: marked
        for name, text in fields_of(body).items()
        if (marked := highlight(text, terms)) is not None
    }
    best = next((found[n] for n in ("summary", "names", "sources") if n in found), None)
    return best or html.escape(body["summary"][:SNIPPET_CHARS], quote=False), found
