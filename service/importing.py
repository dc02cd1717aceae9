"""Bringing data in from a file: JSON Lines (events as a client writes them, or a log export's
CloudEvents) or CSV (the timeline export's columns, e.g. a spreadsheet), all or nothing.

Every row is read and validated first, then rehearsed against the write rules
(`PactlogService.rehearsal`, a chunk at a time), before anything is stored: a file with any bad
row stores nothing, and the report names each bad row by its number (the line; in CSV the
spreadsheet's row, the header being row 1). Asked for `partial`, every good row is stored and
the bad ones reported. Rows whose event id is already recorded with the same content load once
(a second load of the same file stores nothing new); the same id with other content is a bad
row. A log export's events recorded together in the old store are recorded together again (and
apart if apart), so that each past state of knowledge there has one here: answers at
corresponding `known_at` cuts are the same.

A large JSON Lines file (`import_lines`) is validated by one process per core, a chunk of lines
each, with the same `parse_event` as everywhere; the rows come back pickled and stay so until
they are stored. The check comes whole before the first store (all or nothing), so storing does
not overlap validating: that would mean validating every line twice.
"""

from __future__ import annotations

import csv
import itertools
import os
import pickle
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

from events import strict_json
from events.catalog import AMENDING_TYPES
from events.envelope import EventDraft, parse_event
from events.errors import DomainError, InvalidEvent
from events.integrity import content_digest
from service.pactlog import PactlogService
from service.write.rehearsal import Rehearsal

BATCH = 1000
CHUNK = 20_000  # lines a worker validates at a time (~2 s of work)
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


def jsonl_records(
    lines: Iterable[str], first_number: int = 1
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, event) of each non-blank line; a log export's envelopes are unwrapped.
    A line that cannot be read gives the reason instead of the event."""
    for number, line in enumerate(lines, start=first_number):
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
    """Validate every record in this process, rehearse the rules, then store: all or nothing
    (or, `partial`, every good record)."""
    return _import(service, [_checked(records)], partial)


def import_lines(
    service: PactlogService,
    lines: Iterable[str],
    form: str,
    *,
    partial: bool = False,
    workers: int | None = None,
    chunk: int = CHUNK,
) -> ImportReport:
    """`import_events` of a file's lines in `form` (`csv` or `jsonl`). A JSON Lines file of more
    than `chunk` lines is validated by `workers` processes (default: one per core), a chunk
    each at a time; a CSV file (whose quoted fields may span lines) in this process."""
    workers = workers or os.cpu_count() or 1
    if form == "csv" or workers == 1:
        return import_events(service, records_of(lines, form), partial=partial)
    return _import(service, _checked_in_parallel(lines, workers, chunk), partial)


def _import(service: PactlogService, chunks: Iterable[_Checked], partial: bool) -> ImportReport:
    """Check every chunk (validated; ids not recorded with other content; the write rules),
    then store: records are appended in file order, consecutive ones of a partnership
    together. Chunks are kept pickled between the check and the store (a fifth of their size
    as objects), and unpickled one at a time: memory follows the chunk, not the file."""
    report = ImportReport()
    kept: list[_Checked] = []
    dropped: set[int] = set()  # row numbers already there or refused
    aimed_at: set[str] = set()  # the ids amendments aim at (rehearsing keeps those drafts)
    for checked in chunks:  # while the workers validate the next ones
        report.rows += checked.rows
        report.refused += checked.refused
        rows = checked.unpacked()
        dropped |= _known_rows(service, rows, report)
        aimed_at |= {
            str(row.draft.data["target_id"]) for row in rows if row.draft.type in AMENDING_TYPES
        }
        kept.append(checked)
    dropped |= _refused_by_the_rules(service, kept, dropped, aimed_at, report)
    report.refused.sort()
    if report.refused and not partial:
        return report
    for slug, run in _runs(_rows_of(kept, dropped)):
        report.appended += len(service.append(slug, [row.draft for row in run]).events)
    return report


@dataclass(frozen=True)
class _Checked:
    """A chunk's records, validated: its good rows pickled (kept until they are stored) and
    its refusals."""

    rows: int
    packed: bytes
    refused: list[tuple[int, str]]

    def unpacked(self) -> list[_Row]:
        rows: list[_Row] = pickle.loads(self.packed)
        return rows


def _checked(records: Iterable[tuple[int, dict[str, Any] | str]]) -> _Checked:
    """Each record validated by the same schemas as an append (`parse_event`)."""
    count, rows, refused = 0, [], []
    for number, record in records:
        count += 1
        if isinstance(record, str):
            refused.append((number, record))
            continue
        try:
            slug = record.get("partnership")
            if not slug:
                raise InvalidEvent({"partnership": ["Name the partnership of each row."]})
            recorded_at = record.pop(_ORIGIN, None)
            rows.append(_Row(number, str(slug), parse_event(record, str(slug)), recorded_at))
        except DomainError as error:
            refused.append((number, str(error)))
    return _Checked(count, pickle.dumps(rows, pickle.HIGHEST_PROTOCOL), refused)


def _checked_lines(first_number: int, lines: list[str]) -> _Checked:
    """A worker's share: JSON Lines from line `first_number` on."""
    return _checked(jsonl_records(lines, first_number))


def _checked_in_parallel(lines: Iterable[str], workers: int, chunk: int) -> Iterator[_Checked]:
    """The file's JSON Lines validated by `workers` processes, `chunk` lines at a time, in file
    order; a file of one chunk in this process (starting processes would cost more)."""
    chunks = _line_chunks(lines, chunk)
    first, second = next(chunks, None), next(chunks, None)
    if first is None:
        return
    if second is None:
        yield _checked_lines(*first)
        return
    # Spawned, not forked: this process holds connections and threads (the group commit).
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        pending: deque[Future[_Checked]] = deque()
        for numbered in itertools.chain((first, second), chunks):
            pending.append(pool.submit(_checked_lines, *numbered))
            if len(pending) > 2 * workers:  # bounded: lines read ahead of the workers
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _line_chunks(lines: Iterable[str], chunk: int) -> Iterator[tuple[int, list[str]]]:
    """(number of its first line, lines) of each `chunk` consecutive lines."""
    iterator = iter(lines)
    first_number = 1
    while batch := list(itertools.islice(iterator, chunk)):
        yield first_number, batch
        first_number += len(batch)


def _rows_of(chunks: list[_Checked], dropped: set[int]) -> Iterator[_Row]:
    """The rows still to store, in file order, one chunk unpickled at a time."""
    for checked in chunks:
        yield from (row for row in checked.unpacked() if row.number not in dropped)


def _known_rows(service: PactlogService, rows: list[_Row], report: ImportReport) -> set[int]:
    """The numbers of the rows whose id is recorded already: with the same content they are
    counted as there, with other content refused."""
    known: set[int] = set()
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        digests = service.recorded_digests([r.draft.id for r in chunk if r.draft.id])
        for row in chunk:
            digest = digests.get(row.draft.id or "")
            if digest is None:
                continue
            known.add(row.number)
            if digest == content_digest(row.draft.content(row.slug)):
                report.already_there += 1
            else:
                report.refused.append(
                    (row.number, f"the id {row.draft.id} is used by another event")
                )
    return known


def _refused_by_the_rules(
    service: PactlogService,
    chunks: list[_Checked],
    dropped: set[int],
    aimed_at: set[str],
    report: ImportReport,
) -> set[int]:
    """The numbers of the rows the write rules refuse: each partnership's rows rehearsed in file
    order after its stream, a chunk at a time (`PactlogService.rehearsal`)."""
    rehearsals: dict[str, Rehearsal] = {}
    bad: set[int] = set()
    for checked in chunks:
        by_slug: dict[str, list[_Row]] = {}
        for row in checked.unpacked():
            if row.number not in dropped:
                by_slug.setdefault(row.slug, []).append(row)
        for slug, own in by_slug.items():
            rehearsal = rehearsals.get(slug)
            if rehearsal is None:
                rehearsal = rehearsals[slug] = service.rehearsal(slug)
            for index, error in rehearsal.part([row.draft for row in own], aimed_at):
                bad.add(own[index].number)
                report.refused.append((own[index].number, str(error)))
    return bad


def _runs(rows: Iterable[_Row]) -> Iterator[tuple[str, list[_Row]]]:
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
