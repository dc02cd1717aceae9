"""Every error the domain or the service raises has its problem type in api/errors.py's table."""

from __future__ import annotations

import pytest
from flask import Flask

from api.errors import PROBLEM_TYPES, PROBLEMS, from_error
from events.errors import (
    Conflict,
    DomainError,
    DuplicateEventId,
    EventNotFound,
    IdempotencyKeyReused,
    InvalidEvent,
    PartnershipExists,
    PartnershipNotFound,
    RuleViolated,
    StaleVersion,
)
from service.errors import ServiceError, StoreUnavailable, TooManyPoints
from service.policies import InvalidPolicy, UnknownPolicy
from service.read.organizations import OrganizationNotFound
from service.read.search import BadSearch


def _tree(root: type[Exception]) -> set[type[Exception]]:
    found: set[type[Exception]] = set()
    for child in root.__subclasses__():
        found |= {child, *_tree(child)}
    return found


def test_every_domain_and_service_error_class_is_in_the_problem_table() -> None:
    classes = _tree(DomainError) | _tree(ServiceError)
    missing = sorted(c.__name__ for c in classes if c not in PROBLEMS)
    assert missing == [], f"add these to api.errors.PROBLEMS: {missing}"


@pytest.mark.parametrize(
    ("error", "kind", "status"),
    [
        (InvalidEvent({"amount": ["Not positive."]}), "invalid-input", 422),
        (RuleViolated("data.dispute_id", "Not open."), "rule-violated", 422),
        (PartnershipNotFound("a-b"), "partnership-not-found", 404),
        (EventNotFound("e1"), "event-not-found", 404),
        (PartnershipExists("a-b"), "partnership-exists", 409),
        (StaleVersion(3, 4), "stale-version", 412),
        (DuplicateEventId("e1"), "duplicate-event-id", 409),
        (IdempotencyKeyReused("k"), "idempotency-key-reused", 422),
        (Conflict("kept changing"), "conflict", 409),
        (StoreUnavailable("down"), "store-unavailable", 503),
        (TooManyPoints("too many"), "invalid-input", 422),
        (InvalidPolicy({"effects.Foo": ["Unknown event type."]}), "invalid-input", 422),
        (UnknownPolicy("lenient", ["default"]), "invalid-input", 422),
        (BadSearch("no words"), "invalid-input", 422),
        (OrganizationNotFound("Initech"), "not-found", 404),
    ],
)
def test_each_error_answers_its_documented_problem(
    app: Flask, error: Exception, kind: str, status: int
) -> None:
    assert isinstance(error, DomainError | ServiceError)
    with app.test_request_context("/v1/anything"):
        answer = from_error(error)
    assert (answer.kind, answer.status) == (kind, status)
    assert PROBLEM_TYPES[kind][0] == status
