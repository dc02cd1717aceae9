"""What answers look like (the OpenAPI document is generated from these classes)."""

from __future__ import annotations

from marshmallow import (
    EXCLUDE,
    INCLUDE,
    Schema,
    fields,
    validate,
)

from api.contracts import typed
from events.catalog import CONFIDENCE_LEVELS


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
    sources = typed("Source", fields.List, cls_or_instance=fields.Dict(), required=True)
    confidence = fields.String(required=True, validate=validate.OneOf(CONFIDENCE_LEVELS))
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


class WhatIfOut(Answer):
    """The same cut folded with another trust policy."""

    policy = fields.String(required=True, metadata={"description": "Its name, or `inline`."})
    trust = fields.Dict(required=True, metadata={"description": "The score under it."})
    differing = fields.List(
        fields.Dict(),
        required=True,
        metadata={
            "description": "Contributions that differ: `{kind, id, stored, alternative, "
            "change}` (and the event's type, date, summary)."
        },
    )
    contributions = fields.List(fields.Dict(), metadata={"description": "All, under it."})


class StateOut(StreamKnowledge):
    state = typed(
        "PartnershipState",
        required=True,
        metadata={"description": "name, parties, events, investments, trust, disputes, risks."},
    )
    not_yet_counted = fields.List(
        fields.Nested(NotYetCounted),
        required=True,
        metadata={"description": "Events with a partial date whose period ends after as_of."},
    )
    what_if = fields.Nested(WhatIfOut, metadata={"description": "Only with `policy=`."})


class TrustOut(StreamKnowledge):
    trust = typed("TrustLevel", required=True, metadata={"description": "The score and its parts."})
    contributions = typed(
        "TrustContribution",
        fields.List,
        cls_or_instance=fields.Dict(),
        required=True,
        metadata={
            "description": "One page: events' faded effects in valid-time order, then (on the "
            "last page) the open disputes' weights."
        },
    )
    next_cursor = fields.String(
        allow_none=True, required=True, metadata={"description": "Pass as `cursor` for more."}
    )
    next = fields.String(allow_none=True, required=True, metadata={"description": "Next page."})
    what_if = fields.Nested(WhatIfOut, metadata={"description": "Only with `policy=`."})


class DiffOut(StreamKnowledge):
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)
    before = typed(
        "PartnershipState", required=True, metadata={"description": "The state at `from`."}
    )
    after = typed("PartnershipState", required=True, metadata={"description": "The state at `to`."})
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
    head_version = fields.Integer(
        required=True,
        metadata={"description": "The version `head` belongs to: pass it as `after_version`."},
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
