"""Full-text search over the timeline: one partnership's or every one's, with the timeline's
filters and both cut-offs, ranked, with highlighted snippets, a page at a time. The index and
its rank are the view's (`service.view.search`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from service.errors import ServiceError
from service.read.answers import Knowledge
from service.read.cut import Cuts
from service.view import search
from service.view.keys import since, stamp, until

FIELDS = ("summary", "names", "sources")


class BadSearch(ServiceError, ValueError):
    """A search that cannot be asked (no words, a cursor from elsewhere)."""

    def __init__(self, message: str, field: str = "q") -> None:
        self.field = field
        super().__init__(message)


def search_terms(text: str) -> list[str]:
    """The words a search looks for: folded, each once, at most `MAX_TERMS`."""
    terms = list(dict.fromkeys(search.tokens(text)))[: search.MAX_TERMS]
    if not terms:
        raise BadSearch("Give at least one word to search for.")
    return terms


@dataclass(frozen=True)
class SearchHit:
    tier: int
    snippet: str
    highlights: dict[str, str]
    event: dict[str, Any]

    @property
    def matched(self) -> list[str]:
        return [name for name in FIELDS if name in self.highlights]


@dataclass(frozen=True)
class SearchAnswer:
    """A page of hits, best first; `cursor` resumes after the last (None: no more)."""

    query: str
    terms: list[str]
    partnership: str | None
    knowledge: Knowledge
    hits: list[SearchHit]
    cursor: str | None


class SearchReads:
    def __init__(self, cuts: Cuts, position: Callable[[], int]) -> None:
        self.cuts = cuts
        self.view = cuts.view
        self.position = position

    def search(
        self,
        text: str,
        *,
        partnership: str | None,
        as_of: date | None,
        known_at: datetime | None,
        types: Sequence[str],
        start: date | None,
        end: date | None,
        min_confidence: str | None,
        after: str,
        limit: int,
    ) -> SearchAnswer:
        terms = search_terms(text)
        if partnership is not None:
            knowledge = self.cuts.knowledge(partnership, as_of, known_at)
        else:
            self.cuts.fresh()
            knowledge = Knowledge(0, self.position(), as_of, known_at)
        query = search.Query(
            terms=terms,
            partnership=partnership,
            known_at=stamp(known_at) if known_at is not None else None,
            after_key=since(start),
            before_key=until(as_of, end),
            types=types,
            min_confidence=min_confidence,
            cursor=_parse_cursor(after),
            limit=limit + 1,
        )
        found = self.view.search(query)
        page = found[:limit]
        hits = []
        for hit in page:
            best, highlights = search.snippet(hit.body, terms)
            hits.append(SearchHit(hit.tier, best, highlights, hit.body))
        cursor = None
        if len(found) > limit:
            last = page[-1]
            cursor = f"{last.tier}|{last.body['partnership']}|{last.valid_key}"
        return SearchAnswer(text, terms, partnership, knowledge, hits, cursor)


def _parse_cursor(cursor: str) -> tuple[int, str, str] | None:
    if not cursor:
        return None
    tier, _, rest = cursor.partition("|")
    slug, _, key = rest.partition("|")
    if not (tier.isdigit() and slug and key):
        raise BadSearch("Not a cursor from a previous page.", "cursor")
    return int(tier), key, slug
