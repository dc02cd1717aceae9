"""The shapes of the read models, for the OpenAPI document: what `state`, `trust`, a diff's
`before`/`after` and a series' points hold, so that generated clients get typed models.

These schemas describe; they do not filter. The answers are dumped as the read side renders them
(a field added there reaches clients at once, and clients keep what they do not know), and a
field of an answer schema points here with `typed()`. Fields a read model may leave out or gain
over time are not `required`.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields

from events.catalog import CONFIDENCE_LEVELS, RISK_CATEGORIES

TYPED_AS = "x-pactlog-typed-as"


def typed(name: str, field: type[fields.Field[Any]] = fields.Dict, **kwargs: Any) -> Any:
    """A field dumped as it is, documented as the component schema `name` of this module."""
    metadata = dict(kwargs.pop("metadata", {}))
    metadata[TYPED_AS] = name
    return field(metadata=metadata, **kwargs)


class Doc(Schema):
    """Documentation only; a read model may gain members (no `additionalProperties: false`)."""

    class Meta:
        unknown = EXCLUDE


def _text(description: str = "", **kwargs: Any) -> fields.String:
    return fields.String(metadata={"description": description}, **kwargs)


def _day(description: str = "", **kwargs: Any) -> fields.String:
    return fields.String(metadata={"description": description, "format": "date"}, **kwargs)


class Amounts(Doc):
    """The chosen figures by status, as decimal strings in units of the currency: firm,
    contingent and paid; their total (firm + paid: contingent money is never in it), the range
    the claims span for that total, and how many amounts were undisclosed (counted, not
    guessed)."""

    firm = _text("Promised unconditionally, not reported paid.", required=True)
    contingent = _text("Depends on a condition; never part of `total`.", required=True)
    paid = _text("Transferred.", required=True)
    total = _text("firm + paid.", required=True)
    low = _text("The low end the sources' figures give for `total`.", required=True)
    high = _text("The high end the sources' figures give for `total`.", required=True)
    undisclosed = fields.Integer(
        required=True, metadata={"description": "Amounts not disclosed (not in the sums)."}
    )


class InvestorTotal(Amounts):
    investor = _text(required=True)
    currency = _text("ISO 4217 code.", required=True)


class Investments(Doc):
    """Investment totals: per investor and currency, and per currency (never summed across
    currencies)."""

    by_investor = fields.List(fields.Nested(InvestorTotal), required=True)
    totals = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(Amounts),
        required=True,
        metadata={"description": "Per ISO 4217 currency code."},
    )
    commitments = fields.List(
        fields.Dict(),
        metadata={
            "description": "Commitments made (cloud spend, capacity in GW…), per party, kind, "
            "unit and rate period, with the same sums as `Amounts`."
        },
    )
    min_confidence = fields.String(
        allow_none=True,
        metadata={"description": "The figures counted are at least this certain (null: all)."},
    )


class TrustLevel(Doc):
    """The trust level: the baseline plus what events and open disputes add."""

    score = fields.Float(required=True, metadata={"description": "0 to 100."})
    baseline = fields.Float(required=True)
    from_events = fields.Float(required=True, metadata={"description": "Faded event effects."})
    from_open_disputes = fields.Float(
        required=True, metadata={"description": "What the open disputes weigh (≤ 0)."}
    )
    at = _day("The day the fading is computed at.", required=True)


class Dispute(Doc):
    dispute_id = _text(required=True)
    topic = _text()
    raised_by = _text()
    severity = fields.Integer(metadata={"description": "1 to 5."})
    escalations = fields.Integer(required=True)
    opened_on = _day(required=True)
    age_days = fields.Integer(required=True)
    resolved_on = _day("Resolved disputes only.")
    resolution = _text("Resolved disputes only.")


class Disputes(Doc):
    open = fields.List(fields.Nested(Dispute), required=True)
    resolved = fields.List(fields.Nested(Dispute), required=True)


class Risk(Doc):
    risk_id = _text(required=True)
    description = _text()
    severity = fields.Integer()
    flagged_on = _day(required=True)


class Risks(Doc):
    open_by_category = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(Risk)),
        required=True,
        metadata={"description": f"By category: {', '.join(RISK_CATEGORIES)}."},
    )
    open = fields.Integer(required=True)
    mitigated = fields.Integer(required=True)


class RegulatoryReview(Doc):
    review_id = _text(required=True)
    regulator = _text()
    subject = _text()
    opened_on = _day(required=True)
    stage = _text("The latest stage (invitation_to_comment, phase_1, …).", allow_none=True)
    stages = fields.List(fields.Dict(), metadata={"description": "Each `{stage, on}`."})


class Agreement(Doc):
    agreement_id = _text(required=True)
    kind = _text("letter_of_intent, memorandum_of_understanding, term_sheet, definitive, extension")
    binding = fields.Boolean(allow_none=True)
    scope = _text()
    signed_on = _day(required=True)
    figure = fields.Dict(metadata={"description": "Its headline figure, if reported."})
    ended_on = _day("Ended agreements only.")
    how = _text("Ended agreements only: expired, terminated, superseded, completed, abandoned.")


class Agreements(Doc):
    in_force = fields.List(fields.Nested(Agreement), required=True)
    ended = fields.List(fields.Nested(Agreement), required=True)


class PartnershipState(Doc):
    """A partnership's state at one cut of time."""

    name = _text(allow_none=True)
    parties = fields.List(fields.String())
    formed = fields.Boolean(metadata={"description": "Formed by this cut's `as_of`?"})
    formed_on = _text("When it was formed (a partial date).", allow_none=True)
    note = _text("Before the formation: says it was not yet formed.")
    events = fields.Integer(required=True, metadata={"description": "Events folded."})
    last_occurred_on = _text("The latest valid time folded.", allow_none=True)
    investments = fields.Nested(Investments, required=True)
    trust = fields.Nested(TrustLevel, required=True)
    disputes = fields.Nested(Disputes, required=True)
    risks = fields.Nested(Risks, required=True)
    regulatory_reviews = fields.List(fields.Nested(RegulatoryReview))
    agreements = fields.Nested(Agreements)


class TrustContribution(Doc):
    """One part of the trust level: an event's faded effect, or an open dispute's weight."""

    kind = _text("`event` or `open_dispute`.", required=True)
    event_id = _text("Events only.")
    dispute_id = _text("Open disputes only.")
    type = _text()
    occurred_on = _text()
    summary = _text()
    confidence = fields.String(metadata={"enum": list(CONFIDENCE_LEVELS)})
    effect = fields.Float()
    age_days = fields.Integer()
    contribution = fields.Float(required=True)


class SeriesPoint(Doc):
    """One point of a series: the metric as of `at`. `value` is a number (trust, open_disputes,
    open_risks, events) or, for `invested`, amounts per currency."""

    at = _day(required=True)
    value = fields.Raw(
        required=True,
        metadata={
            "oneOf": [
                {"type": "number"},
                {
                    "type": "object",
                    "additionalProperties": {"$ref": "#/components/schemas/Amounts"},
                },
            ]
        },
    )


DOCUMENTED: dict[str, type[Schema]] = {
    "Amounts": Amounts,
    "InvestorTotal": InvestorTotal,
    "Investments": Investments,
    "TrustLevel": TrustLevel,
    "Dispute": Dispute,
    "Disputes": Disputes,
    "Risk": Risk,
    "Risks": Risks,
    "RegulatoryReview": RegulatoryReview,
    "Agreement": Agreement,
    "Agreements": Agreements,
    "PartnershipState": PartnershipState,
    "TrustContribution": TrustContribution,
    "SeriesPoint": SeriesPoint,
}
