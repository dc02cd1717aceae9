"""The WSGI entry for gunicorn: `api.wsgi:create()` (see gunicorn.conf.py).

A factory, not a module-level app: gunicorn calls it in each worker after the fork, and the
service (pools, caches) is built lazily inside that worker.
"""

from __future__ import annotations

import os

from flask import Flask

from api.app import create_app
from api.cli import config_from_env


def create() -> Flask:
    config = config_from_env(anonymous_reads=False)
    # Each open /v1/stream holds one of the worker's threads (for at most STREAM_MAX_SECONDS):
    # keep some threads for ordinary requests.
    threads = int(os.environ.get("PACTLOG_THREADS", "32"))
    config.setdefault("STREAM_MAX_CLIENTS", max(1, threads - 8))
    return create_app(config)
