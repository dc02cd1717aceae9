"""Taking the data out, streamed: every function here yields a line at a time and holds at most
one page of events, so an export of any size keeps a worker's memory flat.

- the global log as JSON Lines, one CloudEvents 1.0 envelope per line (the same as
  `GET /v1/events`), from a position on (resumable: each line carries its `position`);
- the timeline (one partnership's, or every one's) as CSV in long format: one row per visible
  event, the stable columns of `TIMELINE_COLUMNS`, amounts as the exact decimal text recorded;
- a snapshot: the state of every partnership as of a date (as known at an instant), as JSON
  Lines (one partnership a line) or as CSV in long format (`SNAPSHOT_COLUMNS`).

A log export loads back with `service.importing` (`pactlog load`) and gives the same answers.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

import orjson

from events.envelope import RecordedEvent
from service.pactlog import PactlogService

PAGE = 1000

TIMELINE_COLUMNS = (
    "partnership",
    "id",
    "type",
    "occurred_on",
    "precision",
    "confidence",
    "summary",
    "amount",
    "amount_kind",
    "currency",
    "recorded_at",
    "position",
    "version",
    "corrected_by",
    "sources",
    "data",
)
SNAPSHOT_COLUMNS = ("partnership", "as_of", "known_at", "position", "metric", "key", "value")


def cloud_event(event: RecordedEvent) -> dict[str, Any]:
    """One recorded event in CloudEvents 1.0 JSON form (`position`, `streamversion` are
    extension attributes)."""
    return {
        "specversion": "1.0",
        "id": event.id,
        "source": f"/v1/partnerships/{event.partnership}",
        "type": f"pactlog.{event.type}",
        "time": event.recorded_at.isoformat().replace("+00:00", "Z"),
        "subject": event.partnership,
        "datacontenttype": "application/json",
        "data": event.to_dict(),
        "position": event.position,
        "streamversion": event.version,
    }


def _line(value: Any) -> bytes:
    return orjson.dumps(value) + b"\n"


# --- the log ---------------------------------------------------------------------------------


def log_lines(
    service: PactlogService, after: int = 0, until: int | None = None, page: int = PAGE
) -> Iterator[bytes]:
    """The log strictly after `after` up to `until` (default: the end of the log when the
    export starts, so that it is one consistent cut), one CloudEvent per line."""
    last = service.last_position() if until is None else until
    position = after
    while position < last:
        events = service.log(position, page)
        if not events:
            return
        for event in events:
            if event.position > last:
                return
            yield _line(cloud_event(event))
        position = events[-1].position


# --- the timeline ----------------------------------------------------------------------------


def timeline_records(
    service: PactlogService,
    slugs: Sequence[str] | None = None,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
    types: Sequence[str] = (),
    start: date | None = None,
    end: date | None = None,
    min_confidence: str | None = None,
    text: str | None = None,
    page: int = PAGE,
) -> Iterator[dict[str, Any]]:
    """Visible events, partnership by partnership (by slug), each in valid-time order
    (`text`: only those whose words hold it)."""
    chosen = sorted(p.slug for p in service.partnerships()) if slugs is None else slugs
    for slug in chosen:
        cursor: str | None = ""
        while cursor is not None:
            found = service.timeline(
                slug, as_of=as_of, known_at=known_at, types=types, start=start, end=end,
                min_confidence=min_confidence, after=cursor, limit=page, text=text,
            )  # fmt: skip
            yield from found.events
            cursor = found.cursor


def amount_columns(data: dict[str, Any]) -> list[str]:
    """(amount, amount_kind, currency) of an event's `amount`, as text: the decimal as recorded
    (a range as `low–high`, nothing when undisclosed), its kind (exact, approximate, range,
    up_to, at_least, undisclosed) and its currency or unit; empty when it has no amount."""
    amount = data.get("amount")
    if amount is None:
        return ["", "", ""]
    if not isinstance(amount, dict):  # a decimal string beside `currency`
        return [str(amount), "exact", str(data.get("currency", ""))]
    kind = str(amount.get("kind", "exact"))
    if kind == "range":
        text = f"{amount.get('low', '')}–{amount.get('high', '')}"
    else:
        text = str(amount.get("value", ""))
    return [text, kind, str(amount.get("unit", ""))]


def timeline_row(body: dict[str, Any]) -> list[str]:
    """One timeline event as a CSV row of `TIMELINE_COLUMNS` (JSON text for nested fields)."""
    data = body.get("data") or {}
    return [
        body["partnership"],
        body["id"],
        body["type"],
        body["occurred_on"],
        body.get("precision", ""),
        body["confidence"],
        body["summary"],
        *amount_columns(data),
        body.get("recorded_at", ""),
        str(body.get("position", "")),
        str(body.get("version", "")),
        " ".join(body.get("corrected_by") or []),
        orjson.dumps(body.get("sources") or []).decode(),
        orjson.dumps(data).decode(),
    ]


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterator[str]:
    """CSV text, a line at a time (RFC 4180 quoting, `\\r\\n` line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in itertools.chain([header], rows):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def timeline_csv(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    return csv_lines(TIMELINE_COLUMNS, (timeline_row(body) for body in records))


def timeline_jsonl(records: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    return (_line(body) for body in records)


# --- the snapshot ----------------------------------------------------------------------------


def snapshot_records(
    service: PactlogService, as_of: date | None = None, known_at: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Every partnership's state as of `as_of`, as known at `known_at` (those with no event
    counted by then are left out)."""
    for summary in service.partnerships():
        answer = service.state(summary.slug, as_of, known_at)
        if not answer.state["events"]:
            continue
        yield {
            "partnership": summary.slug,
            "position": answer.knowledge.position,
            "version": answer.knowledge.version,
            "as_of": as_of.isoformat() if as_of else None,
            "known_at": known_at.isoformat() if known_at else None,
            "state": answer.state,
        }


def snapshot_rows(record: dict[str, Any]) -> Iterator[list[str]]:
    """One partnership's snapshot as long-format rows: one figure a row."""
    state = record["state"]
    cite = [
        record["partnership"],
        record["as_of"] or "",
        record["known_at"] or "",
        str(record["position"]),
    ]
    yield [*cite, "name", "", state["name"] or ""]
    yield [*cite, "parties", "", "; ".join(state["parties"])]
    yield [*cite, "events", "", str(state["events"])]
    yield [*cite, "trust", "", str(state["trust"]["score"])]
    for currency, totals in sorted(state["investments"]["totals"].items()):
        for split, amount in totals.items():
            if not isinstance(amount, dict | list):
                yield [*cite, f"invested_{split}", currency, str(amount)]
    for investor in state["investments"]["by_investor"]:
        for split, amount in investor.items():
            if split in ("investor", "currency") or isinstance(amount, dict | list):
                continue
            yield [
                *cite,
                f"investor_{split}",
                f"{investor['investor']} {investor['currency']}",
                str(amount),
            ]
    yield [*cite, "open_disputes", "", str(len(state["disputes"]["open"]))]
    for dispute in state["disputes"]["open"]:
        yield [*cite, "open_dispute", dispute["dispute_id"], str(dispute.get("topic", ""))]
    yield [*cite, "open_risks", "", str(state["risks"]["open"])]
    for category, risks in sorted(state["risks"]["open_by_category"].items()):
        for risk in risks:
            yield [*cite, "open_risk", risk["risk_id"], category]


def snapshot_csv(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    return csv_lines(SNAPSHOT_COLUMNS, (row for r in records for row in snapshot_rows(r)))


def snapshot_jsonl(records: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    return (_line(record) for record in records)
