"""Every event type pactlog knows, each with the marshmallow schema of its `data`.

The same schemas validate what is appended and describe the catalog (`describe_catalog`), so the
documentation cannot drift from what is enforced.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from events.fields import Amount, Currency, PartialDateField, WholeMatch

_text = validate.Length(min=1, max=2000)
_name = validate.Length(min=1, max=200)
_severity = validate.Range(min=1, max=5)
_identifier = WholeMatch(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$",
    error="Use letters, digits, '.', '_' or '-' (at most 80), e.g. 'governance-2023'.",
)

RISK_CATEGORIES = (
    "infrastructure_dependency",
    "product_alignment",
    "investor_confidence",
    "competition",
    "regulatory",
)
CONFIDENCE_LEVELS = ("rumored", "reported", "confirmed")
INVESTMENT_STATUSES = ("committed", "paid")
LEADERSHIP_CHANGES = ("appointed", "removed", "reinstated", "resigned")


def _str(description: str, *, required: bool = True, length: Any = _name) -> fields.String:
    return fields.String(required=required, validate=length, metadata={"description": description})


def _parties(description: str) -> fields.List[Any]:
    return fields.List(
        fields.String(validate=_name),
        required=True,
        validate=validate.Length(min=2, max=20),
        metadata={"description": description},
    )


class EventData(Schema):
    """Base of every type's `data` schema."""


class PartnershipFormed(EventData):
    """The partnership begins: its name and the parties to it."""

    name = _str("The partnership's display name, e.g. 'OpenAI–Microsoft'.")
    parties = _parties("The organisations in the partnership (two or more).")


class InvestmentMade(EventData):
    """Money put in by one party, committed or paid."""

    investor = _str("Who invests.")
    amount = Amount(required=True, metadata={"description": "Positive decimal string."})
    currency = Currency(required=True, metadata={"description": "ISO 4217 code, e.g. USD."})
    instrument = _str("What form the money takes: equity, convertible note, cloud credits, …")
    status = fields.String(
        required=True,
        validate=validate.OneOf(INVESTMENT_STATUSES),
        metadata={"description": "committed (promised) or paid (transferred)."},
    )
    recipient = _str("Who receives it, when not obvious.", required=False)


class CommitmentMade(EventData):
    """A party binds itself to spend, e.g. on cloud compute."""

    party = _str("Who commits.")
    kind = _str("What is committed, e.g. 'cloud compute'.")
    amount = Amount(required=True, metadata={"description": "Positive decimal string."})
    currency = Currency(required=True, metadata={"description": "ISO 4217 code."})
    term = _str("For how long or until when, e.g. 'through 2030'.")


class CommercialRightsGranted(EventData):
    """A party may sell or license the other's work."""

    holder = _str("Who holds the rights.")
    scope = _str("What they cover.")
    exclusive = fields.Boolean(required=True, metadata={"description": "Exclusive rights?"})


class ExclusivityChanged(EventData):
    """An exclusivity arrangement starts or ends."""

    party = _str("Whose exclusivity changes.")
    scope = _str("What it covers.")
    exclusive = fields.Boolean(required=True, metadata={"description": "The new state."})
    note = _str("Context.", required=False, length=_text)


class ProductIntegrated(EventData):
    """One party's technology ships inside a product."""

    product = _str("What is integrated, e.g. 'GPT-4'.")
    platform = _str("Where it ships, e.g. 'Microsoft 365 Copilot'.")
    party = _str("Who ships it.")


class ModelReleased(EventData):
    """A model is released."""

    model = _str("The model's name.")
    released_by = _str("Who released it.")


class LeadershipChanged(EventData):
    """A person takes, loses or regains a role."""

    person = _str("Who.")
    role = _str("Which role, e.g. 'CEO'.")
    organization = _str("Where.")
    change = fields.String(
        required=True,
        validate=validate.OneOf(LEADERSHIP_CHANGES),
        metadata={"description": "appointed, removed, reinstated or resigned."},
    )


class GovernanceChanged(EventData):
    """How an organisation is governed changes."""

    organization = _str("Whose governance.")
    change = _str("What changed.", length=_text)


class BoardSeatChanged(EventData):
    """A board seat is added or removed."""

    organization = _str("Whose board.")
    holder = _str("Who holds (or held) the seat.")
    seat = _str("What kind of seat, e.g. 'non-voting observer'.")
    change = fields.String(
        required=True,
        validate=validate.OneOf(("added", "removed")),
        metadata={"description": "added or removed."},
    )


class TermsRenegotiated(EventData):
    """Part of the agreement is renegotiated."""

    area = _str("Which terms, e.g. 'revenue sharing'.")
    change = _str("What changed.", length=_text)


class LiaisonEstablished(EventData):
    """A channel between the parties is set up."""

    parties = _parties("Who it connects.")
    purpose = _str("What it is for.", length=_text)


class RegulatoryReviewOpened(EventData):
    """A regulator opens a review."""

    regulator = _str("Which regulator.")
    review_id = fields.String(
        required=True, validate=_identifier, metadata={"description": "Your id for the review."}
    )
    subject = _str("What is reviewed.", length=_text)


class RegulatoryReviewClosed(EventData):
    """A regulator closes a review that was opened."""

    regulator = _str("Which regulator.")
    review_id = fields.String(
        required=True, validate=_identifier, metadata={"description": "The opened review's id."}
    )
    outcome = _str("How it ended.", length=_text)


class DisputeOpened(EventData):
    """A disagreement between the parties becomes visible."""

    dispute_id = fields.String(
        required=True, validate=_identifier, metadata={"description": "Your id for the dispute."}
    )
    topic = _str("What it is about, e.g. 'revenue sharing'.")
    raised_by = _str("Who raised it.")
    severity = fields.Integer(
        required=True, strict=True, validate=_severity, metadata={"description": "1 (minor) – 5."}
    )


class DisputeEscalated(EventData):
    """An open dispute gets worse."""

    dispute_id = fields.String(
        required=True, validate=_identifier, metadata={"description": "An open dispute's id."}
    )
    reason = _str("Why it escalated.", length=_text)
    severity = fields.Integer(
        strict=True, validate=_severity, metadata={"description": "The new severity, 1–5."}
    )


class DisputeResolved(EventData):
    """An open dispute is settled."""

    dispute_id = fields.String(
        required=True, validate=_identifier, metadata={"description": "An open dispute's id."}
    )
    resolution = _str("How it was settled.", length=_text)


class RiskFlagged(EventData):
    """An analyst flags a risk to the partnership."""

    risk_id = fields.String(
        required=True, validate=_identifier, metadata={"description": "Your id for the risk."}
    )
    category = fields.String(
        required=True,
        validate=validate.OneOf(RISK_CATEGORIES),
        metadata={"description": "One of: " + ", ".join(RISK_CATEGORIES) + "."},
    )
    description = _str("What could go wrong.", length=_text)
    severity = fields.Integer(
        required=True, strict=True, validate=_severity, metadata={"description": "1 – 5."}
    )


class RiskMitigated(EventData):
    """A flagged risk is mitigated."""

    risk_id = fields.String(
        required=True, validate=_identifier, metadata={"description": "A flagged risk's id."}
    )
    mitigation = _str("What mitigated it.", length=_text)


class TrustSignal(EventData):
    """An analyst's explicit judgement of trust between the parties."""

    delta = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=-10, max=10),
        metadata={"description": "-10 (much less trust) to +10."},
    )
    reason = _str("Why.", length=_text)
    analyst = _str("Who judges.")


class StatementMade(EventData):
    """Someone says something on the record."""

    speaker = _str("Who spoke.")
    organization = _str("On behalf of whom.")
    statement = _str("What was said (quote or paraphrase).", length=_text)


class SourceSchema(Schema):
    """A citation."""

    title = _str("Title of the source.", length=validate.Length(min=1, max=500))
    url = fields.Url(
        load_default=None, allow_none=True, metadata={"description": "Where to read it."}
    )
    publisher = _str("Who published it.", required=False)
    published_on = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "YYYY-MM-DD."}
    )


CORRECTABLE_FIELDS = ("occurred_on", "summary", "sources", "confidence", "data")


class CorrectedFields(Schema):
    """The replacement values; `data` keys are merged into the target's data."""

    occurred_on = PartialDateField(metadata={"description": "YYYY, YYYY-Qn, YYYY-MM, YYYY-MM-DD"})
    summary = _str("A new summary.", required=False, length=validate.Length(min=1, max=500))
    sources = fields.List(fields.Nested(SourceSchema), validate=validate.Length(max=50))
    confidence = fields.String(validate=validate.OneOf(CONFIDENCE_LEVELS))
    data = fields.Dict(
        keys=fields.String(),
        metadata={"description": "Fields of the target's data to replace."},
    )

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("Name at least one field to correct.", field_name="_schema")


class EventCorrected(EventData):
    """A mistake in an earlier event is corrected; the earlier event stays in the history."""

    target_id = fields.UUID(required=True, metadata={"description": "The corrected event's id."})
    fields_ = fields.Nested(
        CorrectedFields,
        data_key="fields",
        attribute="fields",
        required=True,
        metadata={"description": "Which fields change, with their new values."},
    )
    reason = _str("Why.", length=_text)


class EventRetracted(EventData):
    """An earlier event should not have been recorded; it stays in the history as retracted."""

    target_id = fields.UUID(required=True, metadata={"description": "The retracted event's id."})
    reason = _str("Why.", length=_text)


AMENDING_TYPES = ("EventCorrected", "EventRetracted")

CATALOG: dict[str, type[EventData]] = {
    schema.__name__: schema
    for schema in (
        PartnershipFormed,
        InvestmentMade,
        CommitmentMade,
        CommercialRightsGranted,
        ExclusivityChanged,
        ProductIntegrated,
        ModelReleased,
        LeadershipChanged,
        GovernanceChanged,
        BoardSeatChanged,
        TermsRenegotiated,
        LiaisonEstablished,
        RegulatoryReviewOpened,
        RegulatoryReviewClosed,
        DisputeOpened,
        DisputeEscalated,
        DisputeResolved,
        RiskFlagged,
        RiskMitigated,
        TrustSignal,
        StatementMade,
        EventCorrected,
        EventRetracted,
    )
}

# Entity events: type -> (entity kind, the field that gives it its identity, action). A
# correction may not change the identity field (retract and record anew instead).
ENTITY_ACTIONS: dict[str, tuple[str, str, str]] = {
    "DisputeOpened": ("dispute", "dispute_id", "open"),
    "DisputeEscalated": ("dispute", "dispute_id", "update"),
    "DisputeResolved": ("dispute", "dispute_id", "close"),
    "RiskFlagged": ("risk", "risk_id", "open"),
    "RiskMitigated": ("risk", "risk_id", "close"),
    "RegulatoryReviewOpened": ("review", "review_id", "open"),
    "RegulatoryReviewClosed": ("review", "review_id", "close"),
}


def describe_field(field: fields.Field[Any]) -> dict[str, Any]:
    """A field as plain data: its JSON type, whether required, allowed values, description."""
    description: dict[str, Any] = {
        "type": _json_type(field),
        "required": field.required,
        "description": field.metadata.get("description", ""),
    }
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            description["enum"] = list(validator.choices)
        elif isinstance(validator, validate.Range):
            description["minimum"] = validator.min
            description["maximum"] = validator.max
    if isinstance(field, fields.Nested):
        nested = field.schema
        description["fields"] = {
            (f.data_key or name): describe_field(f) for name, f in nested.fields.items()
        }
    if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
        description["items"] = {
            (f.data_key or name): describe_field(f) for name, f in field.inner.schema.fields.items()
        }
    return description


def _json_type(field: fields.Field[Any]) -> str:
    if isinstance(field, Amount):
        return "decimal-string"
    if isinstance(field, Currency):
        return "currency"
    if isinstance(field, PartialDateField):
        return "partial-date"
    for kind, name in (
        (fields.Boolean, "boolean"),
        (fields.Integer, "integer"),
        (fields.UUID, "uuid"),
        (fields.Url, "url"),
        (fields.Date, "date"),
        (fields.String, "string"),
        (fields.List, "array"),
        (fields.Nested, "object"),
        (fields.Dict, "object"),
    ):
        if isinstance(field, kind):
            return name
    return "string"


def describe_catalog() -> dict[str, dict[str, Any]]:
    """Every event type: its description and its `data` fields, read off the schemas."""
    return {
        name: {
            "description": (schema.__doc__ or "").strip(),
            "fields": {
                (field.data_key or field_name): describe_field(field)
                for field_name, field in schema().fields.items()
            },
        }
        for name, schema in CATALOG.items()
    }
