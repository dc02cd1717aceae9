"""The envelope every event shares: what a client sends (`EventDraft`) and what was recorded
(`RecordedEvent`), with the schema that turns the one into the other."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from events.catalog import AMENDING_TYPES, CATALOG, CONFIDENCE_LEVELS, EventData, SourceSchema
from events.dates import PartialDate
from events.errors import InvalidEvent
from events.fields import PartialDateField, Slug
from events.integrity import canonical_json


@dataclass(frozen=True)
class EventDraft:
    """A validated event that is not yet recorded. `data` holds the type's canonical fields."""

    type: str
    occurred_on: PartialDate | None  # None only for an amendment: it is dated when recorded
    summary: str
    data: dict[str, Any]
    sources: list[dict[str, Any]] = field(default_factory=list)
    confidence: str = "reported"
    id: str | None = None

    def with_id(self) -> EventDraft:
        """The same draft with an id: the client's, or a new one."""
        if self.id is not None:
            return self
        drawn = EventDraft(
            type=self.type,
            occurred_on=self.occurred_on,
            summary=self.summary,
            data=self.data,
            sources=self.sources,
            confidence=self.confidence,
            id=str(uuid.uuid4()),
        )
        if "_encoded" in self.__dict__:  # what was encoded already holds for the copy
            drawn.__dict__["_encoded"] = self.__dict__["_encoded"]
        return drawn

    @cached_property
    def _encoded(self) -> tuple[str, str, str, str, str]:
        """Canonical JSON of the members that do not depend on the partnership or the id:
        confidence, data, sources, summary, type (encoded once per draft)."""
        return (
            canonical_json(self.confidence),
            canonical_json(self.data),
            canonical_json(self.sources),
            canonical_json(self.summary),
            canonical_json(self.type),
        )

    def content_json(self, partnership: str, occurred_on: str | None = None) -> str:
        """`canonical_json(self.content(partnership))`, from parts encoded once; `occurred_on`
        stands in for an undated draft's date (the day an amendment is recorded)."""
        if occurred_on is None and self.occurred_on is not None:
            occurred_on = str(self.occurred_on)
        last = self.__dict__.get("_last_json")  # an append asks twice: its index row, its link
        if last is not None and last[0] == (partnership, occurred_on):
            return str(last[1])
        confidence, data, sources, summary, kind = self._encoded
        # The envelope's keys in canonical (sorted) order.
        text = (
            f'{{"confidence":{confidence},"data":{data},"id":{canonical_json(self.id)},'
            f'"occurred_on":{canonical_json(occurred_on)},'
            f'"partnership":{canonical_json(partnership)},"sources":{sources},'
            f'"summary":{summary},"type":{kind}}}'
        )
        self.__dict__["_last_json"] = ((partnership, occurred_on), text)
        return text

    def content(self, partnership: str) -> dict[str, Any]:
        """What the event says, as plain data: the part a retry must repeat exactly."""
        return {
            "id": self.id,
            "type": self.type,
            "partnership": partnership,
            "occurred_on": None if self.occurred_on is None else str(self.occurred_on),
            "summary": self.summary,
            "sources": self.sources,
            "confidence": self.confidence,
            "data": self.data,
        }


@dataclass(frozen=True)
class RecordedEvent:
    """An event as the store holds it: its content, its place in the logs, and its hash."""

    id: str
    type: str
    partnership: str
    occurred_on: PartialDate
    summary: str
    sources: list[dict[str, Any]]
    confidence: str
    data: dict[str, Any]
    version: int
    position: int
    recorded_at: datetime
    hash: str

    @property
    def precision(self) -> str:
        return self.occurred_on.precision.value

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "partnership": self.partnership,
            "occurred_on": str(self.occurred_on),
            "precision": self.precision,
            "summary": self.summary,
            "sources": self.sources,
            "confidence": self.confidence,
            "data": self.data,
            "version": self.version,
            "position": self.position,
            "recorded_at": self.recorded_at.isoformat(),
            "hash": self.hash,
        }

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> RecordedEvent:
        return cls(
            id=body["id"],
            type=body["type"],
            partnership=body["partnership"],
            occurred_on=PartialDate.parse(body["occurred_on"]),
            summary=body["summary"],
            sources=body["sources"],
            confidence=body["confidence"],
            data=body["data"],
            version=body["version"],
            position=body["position"],
            recorded_at=datetime.fromisoformat(body["recorded_at"]),
            hash=body["hash"],
        )


class EventInputSchema(Schema):
    """One event as a client writes it; `data` is checked against the type's own schema."""

    id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "Optional: supply one to make retries idempotent."},
    )
    type = fields.String(
        required=True,
        validate=validate.OneOf(tuple(CATALOG)),
        metadata={"description": "One of the catalog's types (GET /v1/catalog)."},
    )
    partnership = Slug(
        load_default=None,
        metadata={"description": "Optional: when given it must match the URL's partnership."},
    )
    occurred_on = PartialDateField(
        load_default=None,
        metadata={
            "description": "When it happened: YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD. Required, "
            "except for EventCorrected, EventRetracted and SourceAttached: acts of transaction "
            "time, dated by when they are recorded when left out."
        },
    )
    summary = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "One line a person reads on the timeline."},
    )
    sources = fields.List(
        fields.Nested(SourceSchema),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "Citations."},
    )
    confidence = fields.String(
        load_default="reported",
        validate=validate.OneOf(CONFIDENCE_LEVELS),
        metadata={"description": "rumored < reported < confirmed."},
    )
    data = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={"description": "The type's own fields (GET /v1/catalog)."},
    )

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _data_matches_type(self, values: dict[str, Any], original: Any, **kwargs: Any) -> None:
        """Check `data` against its type's schema, even when other fields are wrong too, and
        keep its canonical form for `_draft` (one load, one dump)."""
        undated = isinstance(original, dict) and original.get("occurred_on") is None
        if undated and values.get("type") not in AMENDING_TYPES:
            problems: dict[str, Any] = {"occurred_on": ["Missing data for required field."]}
        else:
            problems = {}
        if values.get("type") not in CATALOG or not isinstance(values.get("data"), dict):
            if problems:
                raise ValidationError(problems)
            return
        schema = data_schema(values["type"])
        try:
            values["data"] = schema.dump(schema.load(values["data"]))
        except ValidationError as error:
            raise ValidationError({**problems, "data": error.messages}) from None
        if problems:
            raise ValidationError(problems)

    @post_load
    def _draft(self, values: dict[str, Any], **kwargs: Any) -> EventDraft:
        data = values["data"]
        sources = _SOURCE_SCHEMA.dump(values["sources"], many=True)
        return EventDraft(
            id=str(values["id"]) if values["id"] is not None else None,
            type=values["type"],
            occurred_on=values["occurred_on"],
            summary=values["summary"],
            sources=[_drop_empty(source) for source in sources],
            confidence=values["confidence"],
            data=_drop_empty(data),
        )


# Schemas hold no per-call state when loading and dumping; building one is the costly part.
_SOURCE_SCHEMA = SourceSchema()
_INPUT_SCHEMA = EventInputSchema()
_DATA_SCHEMAS: dict[str, EventData] = {}


def data_schema(event_type: str) -> EventData:
    """The (shared) schema instance of a type's `data`."""
    schema = _DATA_SCHEMAS.get(event_type)
    if schema is None:
        schema = _DATA_SCHEMAS.setdefault(event_type, CATALOG[event_type]())
    return schema


def _drop_empty(values: dict[str, Any]) -> dict[str, Any]:
    """Optional fields left out are not stored as nulls, so one event has one spelling."""
    return {key: value for key, value in values.items() if value is not None}


def parse_event(payload: Any, partnership: str | None = None) -> EventDraft:
    """Validate one event from a client; raise `InvalidEvent` naming each bad field."""
    if not isinstance(payload, dict):
        raise InvalidEvent({"_schema": ["An event is a JSON object."]})
    try:
        draft: EventDraft = _INPUT_SCHEMA.load(payload)
    except ValidationError as error:
        raise InvalidEvent(_as_dict(error.messages)) from None
    claimed = payload.get("partnership")
    if partnership is not None and claimed is not None and claimed != partnership:
        raise InvalidEvent({"partnership": [f"This event belongs to {partnership!r}."]})
    return draft


def _as_dict(messages: Any) -> dict[str, Any]:
    return messages if isinstance(messages, dict) else {"_schema": messages}
