"""gunicorn's settings for pactlog: several stateless workers, each building its own service
after the fork (no preload), with a connection pool sized for its threads.

Metrics are counted across workers: prometheus-client's multiprocess mode keeps each worker's
counters in files under `PROMETHEUS_MULTIPROC_DIR` (a fresh temporary directory unless set), and
`/metrics` sums them, whichever worker answers the scrape. Logs are pactlog's own JSON lines (one
per request, see api/access.py), so gunicorn's access log is off.
"""

import os
import shutil
import tempfile

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
accesslog = None
errorlog = "-"

# Set before any worker imports prometheus_client (the workers import the app after the fork).
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="pactlog-metrics-")


def on_starting(server):  # type: ignore[no-untyped-def]
    """A new master starts its counts from zero: files of an earlier run would add up."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """A worker that exits leaves its counters (they still count) but not its live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # type: ignore[no-untyped-def]
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
