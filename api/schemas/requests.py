"""What requests may say: query strings and bodies, each a strict schema."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from api.schemas.fields import (
    MAX_PAGE,
    MAX_POSITION,
    PeriodBound,
    QueryInteger,
    as_of_param,
    known_at_param,
    min_position_param,
    policy_param,
)
from events.catalog import CATALOG, CONFIDENCE_LEVELS, SourceSchema
from events.envelope import EventInputSchema
from events.fields import PartialDateField, Slug, WholeMatch
from service.read.search import BadSearch, search_terms
from service.tokens import SCOPES


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


def cursor_param() -> fields.String:
    return fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "From a previous page's `next_cursor`."},
    )


def page_size_param(description: str) -> QueryInteger:
    return QueryInteger(
        load_default=100,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": description},
    )


def min_confidence_field() -> fields.String:
    return fields.String(
        load_default=None,
        validate=validate.OneOf(CONFIDENCE_LEVELS),
        metadata={
            "description": "Count only investment figures of events at least this certain "
            "(rumored < reported < confirmed) in the totals."
        },
    )


class ReadQuery(Strict):
    min_position = min_position_param()


class KnowledgeQuery(ReadQuery):
    as_of = as_of_param()
    known_at = known_at_param()


class TrustQuery(KnowledgeQuery):
    cursor = cursor_param()
    limit = page_size_param("Contributions per page.")
    contributions = fields.String(
        load_default="page",
        validate=validate.OneOf(("page", "all")),
        metadata={
            "description": "`page` (default): one page of contributions, `next` for more; "
            "`all`: every contribution, streamed (`cursor` and `limit` do not apply)."
        },
    )
    policy = policy_param()


class VerifyQuery(ReadQuery):
    after_version = QueryInteger(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_POSITION),
        metadata={
            "description": "Check only the events after this version (a previous answer's "
            "`head_version`), chained from `head`."
        },
    )
    head = fields.String(
        load_default=None,
        validate=WholeMatch(r"^[0-9a-f]{64}$"),
        metadata={"description": "The hash a previous answer ended at (its `head`)."},
    )

    @validates_schema
    def _both_or_neither(self, values: dict[str, Any], **kwargs: Any) -> None:
        if bool(values.get("after_version")) != (values.get("head") is not None):
            raise ValidationError("Give `after_version` and `head` together.", "head")


class WhatIfQuery(KnowledgeQuery):
    policy = policy_param()


class StateQuery(WhatIfQuery):
    min_confidence = min_confidence_field()


class ListQuery(ReadQuery):
    min_confidence = min_confidence_field()


class InvestmentsQuery(KnowledgeQuery):
    partnership = Slug(load_default=None, metadata={"description": "Only this partnership."})
    min_confidence = min_confidence_field()


def has_words(text: str) -> None:
    try:
        search_terms(text)
    except BadSearch as error:
        raise ValidationError(str(error)) from error


class TimelineQuery(KnowledgeQuery, DateRange):
    q = fields.String(
        load_default=None,
        validate=[validate.Length(min=1, max=500), has_words],
        metadata={
            "description": "Only events whose words hold these (all of them; the last also as "
            "a prefix), in summaries, names in the data and sources, as `/v1/search` finds "
            "them; the order stays the timeline's.",
            "example": "board altman",
        },
    )
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
    cursor = cursor_param()
    limit = page_size_param("Page size.")

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
    known_at = known_at_param()


class DisputesQuery(KnowledgeQuery):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(("open", "resolved")),
        metadata={"description": "Only open or only resolved disputes."},
    )
    partnership = Slug(load_default=None, metadata={"description": "Only this partnership."})


class LogQuery(Strict):
    partnership = Slug(
        load_default=None,
        metadata={
            "description": "Only this partnership's events (the page's `position` still "
            "moves past the others)."
        },
    )
    after = QueryInteger(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_POSITION),
        metadata={"description": "Answer the events strictly after this position."},
    )
    limit = QueryInteger(
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
        required=True,
        metadata={
            "description": "When it was formed (YYYY, YYYY-Qn, YYYY-MM, YYYY-MM-DD). Required: "
            "the service does not guess.",
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
