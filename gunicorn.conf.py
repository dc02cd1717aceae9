"""gunicorn's settings for pactlog: several stateless workers, each building its own service
after the fork (no preload), with a connection pool sized for its threads."""

import os

wsgi_app = "api.wsgi:create()"
bind = os.environ.get("PACTLOG_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# Threads let concurrent appends in one worker share a transaction (group commit), and each
# open /v1/stream holds one for at most PACTLOG_STREAM_MAX_SECONDS (api/wsgi.py keeps 8 free).
worker_class = "gthread"
threads = int(os.environ.get("PACTLOG_THREADS", "32"))
preload_app = False  # the event store must be built after the fork
timeout = 60
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
