"""Every error the domain or the service raises has its problem type in api/errors.py's table."""

from __future__ import annotations

from api.errors import PROBLEM_TYPES, PROBLEMS
from events.errors import DomainError
from service.errors import ServiceError


def _tree(root: type[Exception]) -> set[type[Exception]]:
    found: set[type[Exception]] = set()
    for child in root.__subclasses__():
        found |= {child, *_tree(child)}
    return found


def test_every_domain_and_service_error_class_is_in_the_problem_table() -> None:
    classes = _tree(DomainError) | _tree(ServiceError)
    assert len(classes) >= 11
    missing = sorted(c.__name__ for c in classes if c not in PROBLEMS)
    assert missing == [], f"add these to api.errors.PROBLEMS: {missing}"


def test_the_table_names_only_documented_problem_types() -> None:
    samples = {
        "partnership-not-found",
        "event-not-found",
        "partnership-exists",
        "stale-version",
        "duplicate-event-id",
        "idempotency-key-reused",
        "conflict",
        "store-unavailable",
        "invalid-input",
        "rule-violated",
    }
    assert samples <= set(PROBLEM_TYPES)
