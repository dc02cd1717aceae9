"""The production processes the benchmark drives, on loopback: gunicorn (the API, and the
stream process), the projector, and nginx in front with deploy/nginx.conf."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-admin-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident set (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


@dataclass
class Api:
    base: str
    process: subprocess.Popen[bytes]

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)


def _env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "PACTLOG_ADMIN_TOKEN": TOKEN,
        "PACTLOG_ANONYMOUS_READS": "true",
        **extra,
    }


@contextlib.contextmanager
def gunicorn(
    database_url: str, workers: int = 2, threads: int = 8, role: str = "api", **extra: str
) -> Iterator[Api]:
    """gunicorn.conf.py as production runs it: `role` "api" (gthread) or "stream" (gevent)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT,
        env=_env(
            database_url,
            PACTLOG_BIND=f"127.0.0.1:{port}",
            PACTLOG_ROLE=role,
            WEB_CONCURRENCY=str(workers),
            PACTLOG_THREADS=str(threads),
            PACTLOG_PROJECT_INLINE="false",
            **extra,
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = Api(f"http://127.0.0.1:{port}", process)
    try:
        _wait_until_up(api.base + "/healthz", process)
        yield api
    finally:
        _stop(process)


def nginx_configuration(api: str, stream: str, port: int, prefix: Path) -> str:
    """deploy/nginx.conf with its marked addresses changed (`api`, `stream`: host:port) and
    nginx's files in `prefix`."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    text, apis = re.subn(r"server api:8000;", f"server {api};", text)
    text, streams = re.subn(r"server stream:8000;", f"server {stream};", text)
    text, listens = re.subn(r"listen 8080;", f"listen 127.0.0.1:{port};", text)
    if (apis, streams, listens) != (1, 1, 1):
        raise RuntimeError("deploy/nginx.conf lost its marked addresses")
    temp = "".join(
        f"    {kind}_temp_path {prefix / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    text = text.replace("access_log /dev/stdout;", "access_log off;")
    return text.replace("http {\n", "http {\n" + temp, 1)


@contextlib.contextmanager
def nginx(api: str, stream: str) -> Iterator[str]:
    """deploy/nginx.conf in front of `api` and `stream` (base URLs); yields its base URL."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(binary):
        raise RuntimeError("nginx is not installed (make system-packages)")
    with tempfile.TemporaryDirectory(prefix="pactlog-nginx-") as folder:
        prefix = Path(folder)
        port = free_port()
        conf = prefix / "nginx.conf"
        conf.write_text(
            nginx_configuration(
                api.removeprefix("http://"), stream.removeprefix("http://"), port, prefix
            )
        )
        main = f"daemon off; pid {prefix / 'nginx.pid'};" + (
            " user root;" if os.geteuid() == 0 else ""
        )
        process = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(conf), "-g", main],
            stdout=subprocess.DEVNULL,
            stderr=(prefix / "error.log").open("w"),
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base + "/healthz", process)
            yield base
        finally:
            _stop(process)


@contextlib.contextmanager
def projector(database_url: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "project", "--poll", "0.2"],
        cwd=ROOT,
        env=_env(database_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        # Killed if still busy after a few seconds: its work is transactional (a page and its
        # tracking record commit together), and the figures are taken by then.
        _stop(process, grace=5)


def load(database_url: str, path: Path) -> int:
    """Run `pactlog load path` to its end; the peak RSS (KiB) of its largest process (the
    loader or one of its validating workers)."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [sys.executable, "-c", "from api.cli import main; main()", "load", str(path)],
            cwd=ROOT,
            env=_env(database_url),
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        # wait4, not wait: the child's resource usage comes with its exit.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            tail = errors.read()[-2000:].decode(errors="replace")
            raise RuntimeError(f"pactlog load exited with {process.returncode}: {tail}")
    return int(usage.ru_maxrss)  # KiB on Linux


def _stop(process: subprocess.Popen[bytes], grace: float = 30) -> None:
    """Ask the process to stop; kill it if it has not within `grace` seconds (a projector
    draining a backlog does not look up until its page is done)."""
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(grace)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], deadline: float = 60) -> None:
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {deadline} s")
