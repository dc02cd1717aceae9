"""The WSGI entry for gunicorn: `api.wsgi:create()` (see gunicorn.conf.py).

A factory, not a module-level app: gunicorn calls it in each worker after the fork, and the
service (pools, caches) is built lazily inside that worker.
"""

from __future__ import annotations

from flask import Flask

from api.app import create_app
from api.settings import Settings


def create() -> Flask:
    return create_app(Settings.for_server())
