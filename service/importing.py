"""Bringing data in from a file: JSON Lines (events as a client writes them, or a log export's
CloudEvents) or CSV (the timeline export's columns, e.g. a spreadsheet), all or nothing.

Every row is read and validated first, then rehearsed against the write rules
(`PactlogService.rehearse`), before anything is stored: a file with any bad row stores nothing,
and the report names each bad row by its number (the line; in CSV the spreadsheet's row, the
header being row 1). Asked for `partial`, every good row is stored and the bad ones reported.
Rows whose event id is already recorded with the same content load once (a second load of the
same file stores nothing new); the same id with other content is a bad row. A log export's
events recorded together in the old store are recorded together again (and apart if apart), so
that each past state of knowledge there has one here: answers at corresponding `known_at` cuts
are the same.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from events import strict_json
from events.envelope import EventDraft, parse_event
from events.errors import DomainError, InvalidEvent
from events.integrity import content_digest
from service.pactlog import PactlogService

BATCH = 1000
_ORIGIN = "\0recorded_at"  # where a log export's recording time travels with its record
# What a recorded event carries besides what a client writes.
_RECORDED_ONLY = ("version", "position", "recorded_at", "hash", "precision", "corrected_by")


@dataclass
class ImportReport:
    rows: int = 0
    appended: int = 0
    already_there: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        return self.appended > 0


@dataclass(frozen=True)
class _Row:
    number: int
    slug: str
    draft: EventDraft
    recorded_at: str | None  # in the store it was exported from: its transaction


def jsonl_records(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, event) of each non-blank line; a log export's envelopes are unwrapped.
    A line that cannot be read gives the reason instead of the event."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = strict_json.loads(line)
        except strict_json.MalformedJson as error:
            yield number, f"not JSON: {error}"
            continue
        if isinstance(record, dict) and "specversion" in record:
            record = record.get("data")
        if not isinstance(record, dict):
            yield number, "a line is one JSON object"
            continue
        origin = record.get("recorded_at")
        yield number, {**_client_fields(record), **({_ORIGIN: origin} if origin else {})}


def csv_records(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(row number, event) of each CSV row with the timeline export's columns (`partnership`,
    `type`, `occurred_on`, `summary`, `data` as JSON; `id`, `confidence`, `sources` as JSON
    optional; other columns ignored). Row 1 is the header."""
    reader = csv.DictReader(lines)
    missing = {"partnership", "type", "occurred_on", "summary", "data"} - set(
        reader.fieldnames or ()
    )
    if missing:
        yield 1, f"the header lacks {', '.join(sorted(missing))}"
        return
    for number, row in enumerate(reader, start=2):
        if not any((value or "").strip() for value in row.values()):
            continue
        record: dict[str, Any] = {
            name: row[name]
            for name in ("id", "partnership", "type", "occurred_on", "summary", "confidence")
            if (row.get(name) or "").strip()
        }
        try:
            record["data"] = strict_json.loads(row["data"] or "{}")
            if (row.get("sources") or "").strip():
                record["sources"] = strict_json.loads(row["sources"])
        except strict_json.MalformedJson as error:
            yield number, f"data and sources are JSON text: {error}"
            continue
        yield number, record


def _client_fields(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in _RECORDED_ONLY}


def records_of(lines: Iterable[str], form: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """The records of a file in `form` (`csv` or `jsonl`)."""
    return csv_records(lines) if form == "csv" else jsonl_records(lines)


def import_events(
    service: PactlogService,
    records: Iterable[tuple[int, dict[str, Any] | str]],
    *,
    partial: bool = False,
) -> ImportReport:
    """Validate every record, rehearse the rules, then store: all or nothing (or, `partial`,
    every good record). Records are appended in file order, consecutive ones of a partnership
    together."""
    report = ImportReport()
    rows: list[_Row] = []
    for number, record in records:
        report.rows += 1
        if isinstance(record, str):
            report.refused.append((number, record))
            continue
        try:
            slug = record.get("partnership")
            if not slug:
                raise InvalidEvent({"partnership": ["Name the partnership of each row."]})
            recorded_at = record.pop(_ORIGIN, None)
            rows.append(_Row(number, str(slug), parse_event(record, str(slug)), recorded_at))
        except DomainError as error:
            report.refused.append((number, str(error)))
    rows = _new_rows(service, rows, report)
    rows = _rehearsed(service, rows, report)
    report.refused.sort()
    if report.refused and not partial:
        return report
    for slug, run in _runs(rows):
        report.appended += len(service.append(slug, [row.draft for row in run]).events)
    return report


def _new_rows(service: PactlogService, rows: list[_Row], report: ImportReport) -> list[_Row]:
    """The rows not recorded yet: one already recorded with the same content is counted as
    there, with other content refused."""
    kept: list[_Row] = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        digests = service.recorded_digests([r.draft.id for r in chunk if r.draft.id])
        for row in chunk:
            digest = digests.get(row.draft.id or "")
            if digest is None:
                kept.append(row)
            elif digest == content_digest(row.draft.content(row.slug)):
                report.already_there += 1
            else:
                report.refused.append(
                    (row.number, f"the id {row.draft.id} is used by another event")
                )
    return kept


def _rehearsed(service: PactlogService, rows: list[_Row], report: ImportReport) -> list[_Row]:
    """The rows the write rules accept, each partnership's in order after its stream."""
    by_slug: dict[str, list[_Row]] = {}
    for row in rows:
        by_slug.setdefault(row.slug, []).append(row)
    bad: set[int] = set()
    for slug, own in by_slug.items():
        for index, error in service.rehearse(slug, [row.draft for row in own]):
            bad.add(own[index].number)
            report.refused.append((own[index].number, str(error)))
    return [row for row in rows if row.number not in bad]


def _runs(rows: list[_Row]) -> Iterator[tuple[str, list[_Row]]]:
    """Consecutive rows of one partnership, at most `BATCH` at a time; rows of a log export
    were recorded in transactions (a recording time each), and each is one again, so that
    every `known_at` of the old store has its counterpart in the new one."""
    run: list[_Row] = []
    for row in rows:
        if run and (
            row.slug != run[0].slug or len(run) >= BATCH or row.recorded_at != run[-1].recorded_at
        ):
            yield run[0].slug, run
            run = []
        run.append(row)
    if run:
        yield run[0].slug, run
