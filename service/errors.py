"""The service's own errors, beside the domain's (`events.errors`): one tree for the API to map.

ServiceError
├── StoreUnavailable   the event store cannot be reached right now (retry)
└── TooManyPoints      a series asked for more points than one answer may hold

`StoreUnavailable` is raised from the library's and the driver's errors that mean "the database
is restarting, the network is gone, every pooled connection is busy": the layers above never see
psycopg or `eventsourcing` exceptions. A write that fails this way was not acknowledged: the
client retries it with the same `Idempotency-Key` and it is stored once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import psycopg
import psycopg_pool
from eventsourcing.persistence import InterfaceError, OperationalError

P = ParamSpec("P")
R = TypeVar("R")

# What "unreachable" looks like from below; anything else stays unexpected (a 500).
_UNREACHABLE: tuple[type[Exception], ...] = (
    OperationalError,  # the library's: connection refused or lost, lock time-out
    InterfaceError,  # the library's: a connection or pool that was closed under it
    psycopg_pool.PoolTimeout,  # no pooled connection came free in time
    psycopg.OperationalError,  # the driver's, from the token store's own connection
)


class ServiceError(Exception):
    """Base of the service's own errors."""


class StoreUnavailable(ServiceError):
    """The event store cannot be reached right now; the same request may succeed later."""


class TooManyPoints(ServiceError, ValueError):
    """A series asked for more points than one answer may hold."""

    def __init__(self, message: str, field: str = "step") -> None:
        self.field = field
        super().__init__(message)


@contextmanager
def store_errors() -> Iterator[None]:
    """Within: the store's "unreachable" errors leave as `StoreUnavailable`."""
    try:
        yield
    except _UNREACHABLE as error:
        raise StoreUnavailable(f"the event store cannot be reached: {error}") from error


def translated(method: Callable[P, R]) -> Callable[P, R]:
    """`method`, its store errors translated (see `store_errors`)."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with store_errors():
            return method(*args, **kwargs)

    return wrapper


C = TypeVar("C", bound=type)


def translating(cls: C) -> C:
    """A class decorator: every public method of `cls` (and its constructor) translated."""
    for name, attribute in list(vars(cls).items()):
        if callable(attribute) and (name == "__init__" or not name.startswith("_")):
            setattr(cls, name, translated(attribute))
    return cls
