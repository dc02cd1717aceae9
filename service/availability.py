"""Which failures mean "the store cannot be reached right now" (the database restarting, the
network gone, every pooled connection busy), so that the API can answer 503 and let the client
retry, without knowing the library or the driver.

Anything else stays unexpected (a 500). A write that fails this way was not acknowledged: the
client retries it with the same `Idempotency-Key` and it is stored once.
"""

from __future__ import annotations

import psycopg
import psycopg_pool
from eventsourcing.persistence import InterfaceError, OperationalError

STORE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,  # the library's: connection refused or lost, lock time-out
    InterfaceError,  # the library's: a connection or pool that was closed under it
    psycopg_pool.PoolTimeout,  # no pooled connection came free in time
    psycopg.OperationalError,  # the driver's, from the token store's own connection
)
