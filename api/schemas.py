"""The API's own schemas: what requests may say and what answers look like.

They are not the stored events: the stored format can evolve behind them. The OpenAPI document is
generated from these classes (see `api.openapi`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from marshmallow import (
    EXCLUDE,
    INCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from events.catalog import CATALOG, CONFIDENCE_LEVELS, SourceSchema
from events.dates import InvalidPartialDate, PartialDate
from events.envelope import EventInputSchema
from events.fields import PartialDateField, Slug
from service.tokens import SCOPES

MAX_PAGE = 1000
MAX_POSITION = 2**63 - 1  # positions are 64-bit integers in every store


# --- fields --------------------------------------------------------------------------------


class PeriodBound(fields.Field[date]):
    """A date or partial date (`2023`, `2023-Q4`, `2023-11`, `2023-11-20`) read as the first
    (`edge="start"`) or last (`edge="end"`) day of its period."""

    def __init__(self, *, edge: str = "end", **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("example", "2023-11-20")
        kwargs["metadata"].setdefault("pattern", r"^\d{4}(-Q[1-4]|-\d{2}(-\d{2})?)?$")
        super().__init__(**kwargs)
        self.edge = edge

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str):
            raise ValidationError("Not a date: use YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD.")
        try:
            period = PartialDate.parse(value)
        except InvalidPartialDate as error:
            raise ValidationError(str(error)) from None
        return period.start if self.edge == "start" else period.end


class Instant(fields.Field[datetime]):
    """An ISO 8601 instant; without an offset it is UTC; a bare date means the end of that day."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("example", "2024-01-05T12:00:00Z")
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str):
            raise ValidationError("Not an instant: use ISO 8601, e.g. 2024-01-05T12:00:00Z.")
        text = value.strip()
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time.max, UTC)
            instant = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
        except ValueError:
            raise ValidationError(
                "Not an instant: use ISO 8601, e.g. 2024-01-05T12:00:00Z or 2024-01-05."
            ) from None
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        return instant.astimezone(UTC)


def _as_of() -> PeriodBound:
    return PeriodBound(
        load_default=None,
        metadata={
            "description": "Valid time: fold only events certainly happened by this date "
            "(a partial date means the last day of its period)."
        },
    )


def _known_at() -> Instant:
    return Instant(
        load_default=None,
        metadata={
            "description": "Transaction time: fold only events recorded at or before this "
            "instant (a bare date: the end of that day, UTC)."
        },
    )


def _min_position() -> fields.Integer:
    return fields.Integer(
        load_default=None,
        validate=validate.Range(min=0, max=MAX_POSITION),
        metadata={
            "description": "Wait until the answer reflects at least this log position (read "
            "your own write: pass the position of a 201)."
        },
    )


# --- requests ------------------------------------------------------------------------------


class Strict(Schema):
    class Meta:
        unknown = RAISE


class DateRange(Strict):
    """A query with `from` and `to` (`from_`, `to`): `from` may not be after `to`."""

    @validates_schema
    def _ordered(self, values: dict[str, Any], **kwargs: Any) -> None:
        start, end = values.get("from_"), values.get("to")
        if start and end and start > end:
            raise ValidationError("`from` is after `to`.", "from")


class ReadQuery(Strict):
    min_position = _min_position()


class KnowledgeQuery(ReadQuery):
    as_of = _as_of()
    known_at = _known_at()


class TimelineQuery(KnowledgeQuery, DateRange):
    type = fields.String(
        load_default=None,
        metadata={"description": "Only these types, comma-separated: InvestmentMade,DisputeOpened"},
    )
    from_ = PeriodBound(
        edge="start",
        data_key="from",
        load_default=None,
        metadata={"description": "Only events that happened on or after this date."},
    )
    to = PeriodBound(
        load_default=None,
        metadata={"description": "Only events certainly happened by this date."},
    )
    confidence = fields.String(
        load_default=None,
        validate=validate.OneOf(CONFIDENCE_LEVELS),
        metadata={"description": "At least this confidence: rumored < reported < confirmed."},
    )
    cursor = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "From a previous page's `next_cursor`."},
    )
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "Page size."},
    )

    @validates_schema
    def _known_types(self, values: dict[str, Any], **kwargs: Any) -> None:
        unknown = [t for t in _types(values.get("type")) if t not in CATALOG]
        if unknown:
            raise ValidationError(f"Unknown type(s): {', '.join(unknown)}.", "type")

    @post_load
    def _type_list(self, values: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**values, "type": _types(values.get("type"))}


def _types(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


class DiffQuery(ReadQuery, DateRange):
    from_ = PeriodBound(
        data_key="from", required=True, metadata={"description": "The earlier date."}
    )
    to = PeriodBound(required=True, metadata={"description": "The later date."})
    known_at = _known_at()


class DisputesQuery(KnowledgeQuery):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(("open", "resolved")),
        metadata={"description": "Only open or only resolved disputes."},
    )
    partnership = Slug(load_default=None, metadata={"description": "Only this partnership."})


class LogQuery(Strict):
    after = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_POSITION),
        metadata={"description": "Answer the events strictly after this position."},
    )
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "Page size."},
    )


class CreatePartnership(Strict):
    """A new partnership: records its `PartnershipFormed` event."""

    slug = Slug(required=True, metadata={"description": "URL name, e.g. openai-microsoft."})
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Display name."},
    )
    parties = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        required=True,
        validate=validate.Length(min=2, max=20),
        metadata={"description": "The organisations in it (two or more)."},
    )
    occurred_on = PartialDateField(
        load_default=None,
        metadata={
            "description": "When it was formed (YYYY, YYYY-Qn, YYYY-MM, YYYY-MM-DD); "
            "default today.",
            "type": "string",
        },
    )
    summary = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "Default: '<name> is formed'."},
    )
    sources = fields.List(fields.Nested(SourceSchema), load_default=list)
    confidence = fields.String(load_default="reported", validate=validate.OneOf(CONFIDENCE_LEVELS))
    id = fields.UUID(load_default=None, metadata={"description": "Optional event id."})


class CreateToken(Strict):
    """A token to issue."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        required=True,
        validate=validate.Length(min=1, max=len(SCOPES)),
        metadata={"description": "read, append and/or admin (admin allows everything)."},
    )


class EventBatch(Strict):
    """Several events, recorded atomically: all or none."""

    events = fields.List(
        fields.Nested(EventInputSchema), required=True, validate=validate.Length(min=1)
    )


# --- answers -------------------------------------------------------------------------------


class Answer(Schema):
    """An answer may gain fields over time: clients ignore what they do not know."""

    class Meta:
        unknown = EXCLUDE


class Cited(Answer):
    """Which cut of the log an answer reflects, so a reader can cite it."""

    position = fields.Integer(
        required=True, metadata={"description": "The log position this answer reflects."}
    )
    as_of = fields.Date(allow_none=True, required=True)
    known_at = fields.DateTime(allow_none=True, required=True)


class StreamKnowledge(Cited):
    partnership = fields.String(required=True)
    version = fields.Integer(
        required=True, metadata={"description": "The stream version this answer reflects."}
    )


class RecordedEventOut(Answer):
    """An event as recorded."""

    id = fields.String(required=True)
    type = fields.String(required=True)
    partnership = fields.String(required=True)
    occurred_on = fields.String(required=True)
    precision = fields.String(required=True)
    summary = fields.String(required=True)
    sources = fields.List(fields.Dict(), required=True)
    confidence = fields.String(required=True)
    data = fields.Dict(required=True)
    version = fields.Integer(required=True)
    position = fields.Integer(required=True)
    recorded_at = fields.String(required=True)
    hash = fields.String(required=True)
    corrected_by = fields.List(
        fields.String(), metadata={"description": "Ids of the events that correct this one."}
    )


class AppendedEventOut(Answer):
    id = fields.String(required=True)
    position = fields.Integer(required=True)
    version = fields.Integer(required=True)


class AppendedOut(Answer):
    """What an append recorded (a faithful retry answers the same)."""

    partnership = fields.String(required=True)
    id = fields.String(required=True, metadata={"description": "The (last) event's id."})
    position = fields.Integer(required=True, metadata={"description": "Its log position."})
    version = fields.Integer(required=True, metadata={"description": "The stream's new version."})
    events = fields.List(fields.Nested(AppendedEventOut), required=True)


class PartnershipOut(Answer):
    slug = fields.String(required=True)
    version = fields.Integer(required=True)
    position = fields.Integer(required=True)
    name = fields.String(allow_none=True)
    parties = fields.List(fields.String())
    events = fields.Integer()
    trust = fields.Float(allow_none=True)
    open_disputes = fields.Integer()
    open_risks = fields.Integer()
    invested = fields.Dict()


class PartnershipList(Answer):
    position = fields.Integer(required=True)
    partnerships = fields.List(fields.Nested(PartnershipOut), required=True)


class TimelinePage(StreamKnowledge):
    events = fields.List(fields.Nested(RecordedEventOut), required=True)
    next_cursor = fields.String(
        allow_none=True, required=True, metadata={"description": "Pass as `cursor` for more."}
    )
    next = fields.String(allow_none=True, required=True, metadata={"description": "Next page."})


class EventDetail(StreamKnowledge):
    event = fields.Nested(RecordedEventOut, required=True)
    amendments = fields.List(
        fields.Nested(RecordedEventOut),
        required=True,
        metadata={"description": "The corrections and retractions aimed at it."},
    )
    retracted = fields.Boolean(required=True)
    current = fields.Dict(
        required=True, metadata={"description": "How it reads with every correction applied."}
    )


class NotYetCounted(Answer):
    id = fields.String(required=True)
    type = fields.String(required=True)
    occurred_on = fields.String(required=True)
    counts_from = fields.String(required=True)


class StateOut(StreamKnowledge):
    state = fields.Dict(
        required=True,
        metadata={"description": "name, parties, events, investments, trust, disputes, risks."},
    )
    not_yet_counted = fields.List(
        fields.Nested(NotYetCounted),
        required=True,
        metadata={"description": "Events with a partial date whose period ends after as_of."},
    )


class TrustOut(StreamKnowledge):
    trust = fields.Dict(required=True, metadata={"description": "The score and its parts."})
    contributions = fields.List(fields.Dict(), required=True)


class DiffOut(StreamKnowledge):
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)
    before = fields.Dict(required=True, metadata={"description": "The state at `from`."})
    after = fields.Dict(required=True, metadata={"description": "The state at `to`."})
    trust_change = fields.Float(required=True)
    events = fields.List(
        fields.Nested(RecordedEventOut),
        required=True,
        metadata={"description": "What happened in between: the why."},
    )


class VerificationOut(Answer):
    partnership = fields.String(required=True)
    position = fields.Integer(required=True)
    ok = fields.Boolean(required=True)
    checked = fields.Integer(required=True)
    head = fields.String(required=True, metadata={"description": "The last hash of the chain."})
    problem = fields.String(allow_none=True)
    broken_at_version = fields.Integer(
        allow_none=True, attribute="version", metadata={"description": "Where the chain breaks."}
    )


class InvestmentsOut(Cited):
    by_investor = fields.List(fields.Dict(), required=True)
    totals = fields.Dict(required=True)
    by_partnership = fields.Dict(required=True)


class DisputesOut(Cited):
    disputes = fields.List(fields.Dict(), required=True)


class CloudEvent(Answer):
    """A CloudEvents 1.0 event (JSON format) of the global log."""

    specversion = fields.String(required=True, metadata={"example": "1.0"})
    id = fields.String(required=True)
    source = fields.String(required=True)
    type = fields.String(required=True, metadata={"example": "pactlog.InvestmentMade"})
    time = fields.String(required=True, metadata={"description": "When it was recorded."})
    subject = fields.String(required=True, metadata={"description": "The partnership."})
    datacontenttype = fields.String(required=True)
    data = fields.Dict(required=True)
    position = fields.Integer(required=True, metadata={"description": "Log position."})
    streamversion = fields.Integer(required=True)


class LogPage(Answer):
    after = fields.Integer(required=True)
    position = fields.Integer(
        required=True,
        metadata={"description": "The last position on this page: pass as `after` to resume."},
    )
    events = fields.List(fields.Nested(CloudEvent), required=True)
    next = fields.String(required=True)


class CatalogOut(Answer):
    types = fields.Dict(required=True)
    confidence = fields.List(fields.String(), required=True)


class Health(Answer):
    status = fields.String(required=True)
    position = fields.Integer()
    projected_position = fields.Integer()


class TokenOut(Answer):
    id = fields.String(required=True)
    name = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)
    created_at = fields.String(required=True)
    revoked_at = fields.String(allow_none=True, required=True)


class IssuedTokenOut(TokenOut):
    secret = fields.String(
        required=True, metadata={"description": "Send as `Authorization: Bearer <secret>`."}
    )


class TokenList(Answer):
    tokens = fields.List(fields.Nested(TokenOut), required=True)


class ProblemOut(Answer):
    """RFC 9457 problem details; extension members (e.g. `expected_version`) may follow."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.List(
        fields.Dict(), metadata={"description": "Each offending field: field, pointer, detail."}
    )
