"""Loading a timeline from JSON Lines through the service, as any client would append it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from events import strict_json
from events.envelope import parse_event
from events.errors import DomainError, InvalidEvent
from service.pactlog import PactlogService


@dataclass
class LoadReport:
    appended: int = 0
    already_there: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)


def load_jsonl(
    service: PactlogService, lines: Iterable[str], partnership: str | None = None
) -> LoadReport:
    """Append each line's event to its partnership (`partnership` key, or the given one).

    Lines that carry ids make a second load store nothing new. A refused line is reported with
    its line number and the reason; the lines after it are still tried.
    """
    report = LoadReport()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = strict_json.loads(line)
            slug = partnership or (record.get("partnership") if isinstance(record, dict) else None)
            if not slug:
                raise InvalidEvent({"partnership": ["Name the partnership of each line."]})
            draft = parse_event(record, slug)
            appended = service.append(slug, [draft])
        except (strict_json.MalformedJson, DomainError) as error:
            report.refused.append((number, str(error)))
            continue
        if appended.replayed:
            report.already_there += 1
        else:
            report.appended += 1
    return report
