"""Bulk load (issue 13, item 2): a history written as a JSON Lines file, to be loaded by
`pactlog load` in a process of its own (`bench.processes.load`), as an operator would
(`bench.__main__.bench_bulk`)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

from bench.workload import START, formed_payload, investment_payload


def write_history(path: Path, slug: str, events: int, span_days: int = 9000) -> None:
    """The lines of `measure.build_history`'s partnership: formed, then `events` investments
    spread over `span_days`, each with an id of its own (a second load stores nothing new).
    Written from one template, not through the schemas: a million lines take seconds."""
    template = json.dumps(
        {"id": "@ID", "partnership": slug, **investment_payload(START)}, separators=(",", ":")
    )
    if "%" in template:
        raise ValueError("the template would not survive %-formatting")
    template = template.replace('"@ID"', '"%s"').replace(START.isoformat(), "%s") + "\n"
    days = [(START + timedelta(days=day)).isoformat() for day in range(span_days + 2)]
    step = span_days / max(events, 1)
    with path.open("w", encoding="utf-8") as out:
        formed = {"id": str(uuid.uuid4()), "partnership": slug, **formed_payload(slug)}
        out.write(json.dumps(formed) + "\n")
        lines = []
        for index in range(events):
            lines.append(template % (uuid.uuid4(), days[int(index * step) + 1]))
            if len(lines) == 10_000:
                out.writelines(lines)
                lines.clear()
        out.writelines(lines)
