"""Every event type pactlog knows, each with the marshmallow schema of its `data`.

The same schemas validate what is appended and describe the catalog (`describe_catalog`), so the
documentation cannot drift from what is enforced.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from events.fields import Amount, Currency, PartialDateField, WholeMatch
from events.figures import (
    TRANCHE_STATUSES,
    TrancheSchema,
    Unit,
    figure_field,
    is_currency,
)
from events.versions import upgrade_data

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
INVESTMENT_STATUSES = TRANCHE_STATUSES
LEADERSHIP_CHANGES = ("appointed", "removed", "reinstated", "resigned")
AGREEMENT_KINDS = (
    "letter_of_intent",
    "memorandum_of_understanding",
    "term_sheet",
    "definitive",
    "extension",
)
AGREEMENT_ENDINGS = ("expired", "terminated", "superseded", "completed", "abandoned")
REVIEW_STAGES = (
    "invitation_to_comment",
    "preliminary",
    "phase_1",
    "phase_2",
    "remedies",
    "appeal",
)
REVIEW_DECISIONS = (
    "cleared",
    "cleared_with_remedies",
    "blocked",
    "withdrawn",
    "no_jurisdiction",
    "other",
)


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


# Version 1's `amount` and `currency`, checked before the upgrade; built once (a field's
# construction costs more than its check) and shared: deserializing keeps no state.
_LEGACY_FIELDS = (("amount", Amount()), ("currency", Currency()))


class _Figured(EventData):
    """A type whose `amount` is a figure split, optionally, into tranches."""

    _money_only = True

    @pre_load
    def _upgrade(self, data: Any, **kwargs: Any) -> Any:
        """Version-1 payloads (`amount` string + `currency`) read as version 2; a bad version-1
        amount or currency is named as the client wrote it (`amount`, `currency`)."""
        if isinstance(data, dict) and not isinstance(data.get("amount"), dict):
            errors: dict[str, Any] = {}
            for name, field in _LEGACY_FIELDS:
                if name in data:
                    try:
                        field.deserialize(data[name])
                    except ValidationError as error:
                        errors[name] = error.messages
            if errors:
                raise ValidationError(errors)
        return upgrade_data(type(self).__name__, data)

    @validates_schema
    def _tranches(self, data: dict[str, Any], **kwargs: Any) -> None:
        amount, tranches = data.get("amount"), data.get("tranches")
        if amount is None:
            return
        unit = amount.get("unit")
        errors: dict[str, Any] = {}
        if self._money_only and unit is not None and not is_currency(unit):
            errors["amount"] = {"unit": ["An investment is money: give an ISO 4217 code."]}
        if tranches:
            if "status" in data:
                errors["status"] = ["Give each tranche its status instead (or leave tranches out)."]
            for number, tranche in enumerate(tranches):
                if tranche["amount"].get("unit") != unit:
                    errors.setdefault("tranches", {})[number] = {
                        "amount": {"unit": [f"Use the event's unit, {unit}."]}
                    }
        elif "status" not in data:
            errors["status"] = ["Say whether it is firm, contingent or paid (or give tranches)."]
        elif data["status"] == "contingent" and not data.get("condition"):
            errors["condition"] = ["Say what a contingent amount depends on."]
        if errors:
            raise ValidationError(errors)


def _tranches_field() -> fields.List[Any]:
    return fields.List(
        fields.Nested(TrancheSchema),
        validate=validate.Length(min=1, max=50),
        metadata={
            "description": "The parts: firm, contingent (with their condition) or paid. "
            "Without tranches, `status` says what the whole amount is."
        },
    )


def _status_field(what: str) -> fields.String:
    return fields.String(
        validate=validate.OneOf(INVESTMENT_STATUSES),
        metadata={
            "description": f"The whole {what}: firm (promised unconditionally), contingent (on "
            "`condition`) or paid (transferred). Required without tranches; version-1 "
            "'committed' reads as firm."
        },
    )


class InvestmentMade(_Figured):
    """Money put in by one party: firm, contingent or paid, whole or in tranches."""

    investor = _str("Who invests.")
    amount = figure_field(
        "The headline figure (a currency): exact, approximate, range, up_to or undisclosed. "
        "Version 1's decimal string + `currency` is still understood.",
        required=True,
    )
    instrument = _str(
        "What form the money takes: equity, convertible note, cloud credits, …", required=False
    )
    status = _status_field("amount")
    condition = _str("What a contingent amount depends on.", required=False, length=_text)
    tranches = _tranches_field()
    stake = figure_field("The stake bought, in percent, when reported.")
    shares = figure_field("Shares or warrants, in shares, when reported.")
    recipient = _str("Who receives it, when not obvious.", required=False)

    @validates_schema
    def _units(self, data: dict[str, Any], **kwargs: Any) -> None:
        for name, unit in (("stake", "percent"), ("shares", "shares")):
            if name in data and data[name].get("unit") != unit:
                raise ValidationError({name: {"unit": [f"Give the {name} in {unit}."]}})


class CommitmentMade(_Figured):
    """A party binds itself to spend or supply, e.g. cloud compute or capacity in GW."""

    _money_only = False

    party = _str("Who commits.")
    kind = _str("What is committed, e.g. 'cloud compute'.")
    amount = figure_field(
        "Its size: money or a quantity (GW…), maybe a rate ('per': 'year', with a 'term'); "
        "undisclosed when not reported.",
        required=True,
    )
    status = _status_field("commitment")
    condition = _str("What a contingent commitment depends on.", required=False, length=_text)
    tranches = _tranches_field()
    counterparty = _str("To whom, when not obvious.", required=False)
    term = _str("For how long or until when, e.g. 'through 2030'.", required=False)


class CommercialRightsGranted(EventData):
    """A party may sell or license the other's work."""

    holder = _str("Who holds the rights.")
    scope = _str("What they cover.")
    exclusive = fields.Boolean(required=True, metadata={"description": "Exclusive rights?"})
    figure = figure_field("A figure attached to the rights, e.g. a revenue share in percent.")
    until = PartialDateField(metadata={"description": "When they end, if reported."})


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
    figure = figure_field("The new figure, e.g. a revenue share of 20 percent.")
    agreement_id = fields.String(
        validate=_identifier, metadata={"description": "The agreement it changes, if recorded."}
    )


class LiaisonEstablished(EventData):
    """A channel between the parties is set up."""

    parties = _parties("Who it connects.")
    purpose = _str("What it is for.", length=_text)


def _id_field(description: str) -> fields.String:
    return fields.String(required=True, validate=_identifier, metadata={"description": description})


def _stage_field(description: str, *, required: bool) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.OneOf(REVIEW_STAGES),
        metadata={"description": description + " One of: " + ", ".join(REVIEW_STAGES) + "."},
    )


class RegulatoryReviewOpened(EventData):
    """A regulator opens a review (maybe at a stage: an invitation to comment, phase 1…)."""

    regulator = _str("Which regulator.")
    review_id = _id_field("Your id for the review.")
    subject = _str("What is reviewed.", length=_text)
    stage = _stage_field("The stage it opens at (default: none named).", required=False)


class RegulatoryReviewAdvanced(EventData):
    """An open review moves to a stage, e.g. from an invitation to comment to phase 1."""

    regulator = _str("Which regulator.")
    review_id = _id_field("An open review's id.")
    stage = _stage_field("The stage it moves to.", required=True)
    note = _str("What happened at this step.", required=False, length=_text)


class RegulatoryReviewClosed(EventData):
    """A regulator closes a review that was opened."""

    regulator = _str("Which regulator.")
    review_id = _id_field("The opened review's id.")
    outcome = _str("How it ended.", length=_text)
    decision = fields.String(
        validate=validate.OneOf(REVIEW_DECISIONS),
        metadata={"description": "The decision, one of: " + ", ".join(REVIEW_DECISIONS) + "."},
    )


class AgreementSigned(EventData):
    """The parties sign an agreement: a letter of intent, an MoU, a term sheet, a definitive
    agreement or an extension; binding or not."""

    agreement_id = _id_field("Your id for the agreement, e.g. 'azure-2023'.")
    kind = fields.String(
        required=True,
        validate=validate.OneOf(AGREEMENT_KINDS),
        metadata={"description": "One of: " + ", ".join(AGREEMENT_KINDS) + "."},
    )
    binding = fields.Boolean(required=True, metadata={"description": "Legally binding?"})
    parties = fields.List(
        fields.String(validate=_name),
        validate=validate.Length(min=2, max=20),
        metadata={"description": "Who signed (two or more), when not the partnership's parties."},
    )
    scope = _str("What it covers.", length=_text)
    figure = figure_field("Its headline figure, if reported.")
    extends = fields.String(
        validate=_identifier,
        metadata={"description": "For an extension: the agreement it extends."},
    )
    expires_on = PartialDateField(metadata={"description": "When it ends, if reported."})


class AgreementEnded(EventData):
    """A signed agreement ends: expired, terminated, superseded, completed or abandoned."""

    agreement_id = _id_field("A signed agreement's id.")
    how = fields.String(
        required=True,
        validate=validate.OneOf(AGREEMENT_ENDINGS),
        metadata={"description": "One of: " + ", ".join(AGREEMENT_ENDINGS) + "."},
    )
    reason = _str("Why or how, in a line.", required=False, length=_text)
    superseded_by = fields.String(
        validate=_identifier, metadata={"description": "The agreement that replaces it."}
    )


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
    figure = figure_field("A figure the statement gives, e.g. 'about $13B invested'.")


class OrganizationAliased(EventData):
    """Two names are one organization ("Microsoft Corp." is "Microsoft"), for every
    partnership, from when this is recorded (transaction time) until it is retracted."""

    alias = _str("The other name, e.g. 'Microsoft Corp.'.")
    name = _str("The organization's name, e.g. 'Microsoft'.")

    @validates_schema
    def _two_names(self, values: dict[str, Any], **kwargs: Any) -> None:
        if (
            " ".join(str(values.get("alias", "")).split()).casefold()
            == " ".join(str(values.get("name", "")).split()).casefold()
        ):
            raise ValidationError("An alias names another organization name.", "alias")


class SourceSchema(Schema):
    """A citation: a URL or a title (or both), and the figure this source reported."""

    title = _str("Title of the source.", required=False, length=validate.Length(min=1, max=500))
    url = fields.Url(
        load_default=None, allow_none=True, metadata={"description": "Where to read it."}
    )
    publisher = _str("Who published it.", required=False)
    published_on = PartialDateField(
        load_default=None,
        allow_none=True,
        metadata={"description": "When: YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD."},
    )
    figure = figure_field(
        "The figure this source reported, when it differs from (or confirms) the event's."
    )

    @validates_schema
    def _url_or_title(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("url") and not data.get("title"):
            raise ValidationError("Give the source's url or its title (or both).", "url")


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


class SourceAttached(EventData):
    """A later source is cited for an earlier event (maybe with its own figure); the event
    itself is unchanged. Like a correction, it counts from when it was recorded."""

    target_id = fields.UUID(required=True, metadata={"description": "The event it supports."})
    source = fields.Nested(SourceSchema, required=True, metadata={"description": "The source."})
    note = _str(
        "Why it matters, e.g. 'the filing gives a third figure'.", required=False, length=_text
    )


class EventRetracted(EventData):
    """An earlier event should not have been recorded; it stays in the history as retracted."""

    target_id = fields.UUID(required=True, metadata={"description": "The retracted event's id."})
    reason = _str("Why.", length=_text)


AMENDING_TYPES = ("EventCorrected", "EventRetracted", "SourceAttached")

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
        RegulatoryReviewAdvanced,
        RegulatoryReviewClosed,
        AgreementSigned,
        AgreementEnded,
        DisputeOpened,
        DisputeEscalated,
        DisputeResolved,
        RiskFlagged,
        RiskMitigated,
        TrustSignal,
        StatementMade,
        OrganizationAliased,
        EventCorrected,
        EventRetracted,
        SourceAttached,
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
    "RegulatoryReviewAdvanced": ("review", "review_id", "update"),
    "RegulatoryReviewClosed": ("review", "review_id", "close"),
    "AgreementSigned": ("agreement", "agreement_id", "open"),
    "AgreementEnded": ("agreement", "agreement_id", "close"),
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
    if isinstance(field, Unit):
        return "unit"
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
