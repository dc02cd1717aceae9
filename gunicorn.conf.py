"""gunicorn's settings for pactlog: several stateless workers, each building its own service
after the fork (no preload), with a connection pool sized for its threads; with
`PACTLOG_ROLE=stream`, the live-stream process (one gevent worker holding thousands of streams).

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
# Two roles, the same app: `api` (the default) answers everything; `stream` is the process that
# nginx sends `/v1/stream` to (deploy/nginx.conf, docker-compose.yml: `PACTLOG_ROLE=stream`).
ROLE = os.environ.get("PACTLOG_ROLE", "api").strip() or "api"
if ROLE not in ("api", "stream"):
    raise SystemExit(f"PACTLOG_ROLE must be api or stream, not {ROLE!r}")

if ROLE == "api":
    workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
    # Threads let concurrent appends in one worker share a transaction (group commit). A
    # /v1/stream served here (no proxy in front) holds one for at most
    # PACTLOG_STREAM_MAX_SECONDS (api/settings.py keeps 8 free).
    worker_class = "gthread"
    threads = int(os.environ.get("PACTLOG_THREADS", "32"))
else:
    # Live streams are idle almost all the time: each one a greenlet (a few KiB) waiting on the
    # process's shared log watch, not a thread. One worker holds thousands; the watch reads
    # the log once per move for all of them (service/livelog.py). See docs/performance.md.
    workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
    worker_class = "gevent"
    worker_connections = int(os.environ.get("PACTLOG_STREAM_CONNECTIONS", "10000"))
    os.environ.setdefault("PACTLOG_STREAM_MAX_CLIENTS", str(max(1, worker_connections - 100)))
    # A stream costs a greenlet here, so a slice may last longer: fewer reconnections (each a
    # request with its token check), while a revoked token or signed-out session still stops
    # receiving within a minute. The watch looks for others' appends this often.
    os.environ.setdefault("PACTLOG_STREAM_MAX_SECONDS", "60")
    os.environ.setdefault("PACTLOG_STREAM_POLL_SECONDS", "0.25")
preload_app = False  # the event store must be built after the fork
timeout = 60
graceful_timeout = 20
accesslog = None
errorlog = "-"
# gunicorn ≥ 27's control socket is one path per user: the API's and the stream process's
# masters (and every test stack) would take it from one another. Nothing here uses it.
control_socket_disable = True

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


# An API worker keeps its threads on one core, the one its live siblings take least. A worker's
# threads take turns holding Python's lock; spread over the cores, each turn wakes a thread on
# another core (on the 2-core bench machine: GET /healthz 0.7 → 0.3 ms of CPU a request, an
# append 1.6 → 1.1 ms; docs/performance.md, "Workers on cores"), and a worker can use one core
# for Python anyway. PACTLOG_PIN_WORKERS=false leaves the scheduler free.
PIN_WORKERS = (
    ROLE == "api"
    and hasattr(os, "sched_setaffinity")  # Linux
    and os.environ.get("PACTLOG_PIN_WORKERS", "true").strip().lower() not in ("0", "false", "no")
)


def pre_fork(server, worker):  # type: ignore[no-untyped-def]
    """In the master, before the fork: the core the new worker will keep to (chosen here, where
    every sibling's core is known, not in the children, which start side by side)."""
    cores = sorted(os.sched_getaffinity(0)) if PIN_WORKERS else []
    if len(cores) < 2:
        return
    taken = dict.fromkeys(cores, 0)
    for sibling in server.WORKERS.values():
        core = getattr(sibling, "pactlog_core", None)
        if core in taken:
            taken[core] += 1
    worker.pactlog_core = min(cores, key=lambda core: (taken[core], core))


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    core = getattr(worker, "pactlog_core", None)
    if core is not None:
        os.sched_setaffinity(0, {core})
