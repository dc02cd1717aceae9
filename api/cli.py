"""`pactlog …`: serve, project, load JSON Lines, replay, verify, status, tokens (Flask's click).

The environment is read by `api.settings.Settings.from_env` (anonymous reads on by default for
`serve`) and nowhere below.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, ScriptInfo
from werkzeug.serving import run_simple

from api.app import create_app
from api.services import services
from api.settings import Settings
from events.errors import DomainError
from service import export as export_lines
from service.config import store_env
from service.errors import StoreUnavailable
from service.importing import import_lines
from service.pactlog import PactlogService
from service.projections.policy import service_policy
from service.projector import projector_env, run_projector
from service.tokens import SCOPES, UnknownScope

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "openai-microsoft.jsonl"


def _app() -> Flask:
    return create_app(Settings.from_env())


HELP = """pactlog: an event-sourced, bitemporal timeline service for business partnerships.

\b
Configured by the environment: DATABASE_URL (default sqlite:///var/pactlog.sqlite),
PACTLOG_ADMIN_TOKEN, PACTLOG_ANONYMOUS_READS (default on for `serve`),
PACTLOG_PROJECT_INLINE, PACTLOG_CORS_ORIGINS, PACTLOG_LOG_FORMAT (json or text).
"""


@click.group(name="pactlog", cls=AppGroup, help=HELP)
@click.version_option(package_name="pactlog", prog_name="pactlog")
def cli() -> None:
    """The commands run in an app context built from the environment (no Flask options)."""


def main() -> None:
    cli.main(prog_name="pactlog", obj=ScriptInfo(create_app=_app, set_debug_flag=False))


def _service() -> PactlogService:
    return services().pactlog


# --- serve ---------------------------------------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--examples/--no-examples",
    default=True,
    show_default=True,
    help="On an empty store, load examples/openai-microsoft.jsonl first.",
)
def serve(host: str, port: int, examples: bool) -> None:
    """Serve the API (Werkzeug, threaded). Use gunicorn in production."""
    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    service = _service()
    if examples and service.last_position() == 0 and EXAMPLE.exists():
        added, _ = _load(service, EXAMPLE)
        click.echo(f"loaded {added} example events from {EXAMPLE.name}")
    _announce_admin()
    click.echo(f"pactlog on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    run_simple(host, port, app, threaded=True, use_reloader=False)


def _announce_admin() -> None:
    if services().settings.admin_token:
        click.echo("admin token: the one in PACTLOG_ADMIN_TOKEN")
        return
    store = services().tokens
    if any("admin" in t.scopes and t.revoked_at is None for t in store.list()):
        click.echo("an admin token exists; `pactlog token create --scope admin` makes another")
        return
    issued = store.create("admin (first start)", ["admin"])
    click.echo(f"admin token (shown once): {issued.secret}")


# --- load, replay, verify ------------------------------------------------------------------


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "form",
    type=click.Choice(("jsonl", "csv")),
    default=None,
    help="Default: by the file's suffix (.csv is CSV, anything else JSON Lines).",
)
@click.option(
    "--partial",
    is_flag=True,
    help="Store every good row and report the bad ones (default: a bad row stores nothing).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes validating a large JSON Lines file (default: one per core).",
)
def load(file: Path, form: str | None, partial: bool, workers: int | None) -> None:
    """Append the events of a JSON Lines or CSV file, all or nothing (ids load once).

    Takes what `pactlog export` writes: the log (CloudEvents lines) or the timeline as CSV.
    """
    added, existing = _load(_service(), file, form, partial=partial, workers=workers)
    click.echo(f"{added} events added, {existing} already there")


def _load(
    service: PactlogService,
    file: Path,
    form: str | None = None,
    *,
    partial: bool = False,
    workers: int | None = None,
) -> tuple[int, int]:
    form = form or ("csv" if file.suffix.lower() == ".csv" else "jsonl")
    with file.open(encoding="utf-8", newline="") as lines:
        report = import_lines(service, lines, form, partial=partial, workers=workers)
    try:
        service.catch_up()
    except StoreUnavailable as error:  # what is stored is stored: the projections follow later
        click.echo(
            f"note: every line is stored; projecting them now failed ({error}): the API or "
            "`pactlog project` projects them on its next turn",
            err=True,
        )
    unit = "row" if form == "csv" else "line"
    for number, reason in report.refused:
        click.echo(f"{file}:{unit} {number}: refused: {reason}", err=True)
    if report.refused and not partial:
        raise click.ClickException(
            f"{len(report.refused)} of {report.rows} {unit}s refused; nothing stored "
            "(--partial stores the good ones)"
        )
    if report.refused:
        click.echo(f"{len(report.refused)} of {report.rows} {unit}s refused", err=True)
    return report.appended, report.already_there


@cli.command()
@click.argument("what", type=click.Choice(("log", "timeline", "snapshot")))
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here (default: standard output).",
)
@click.option(
    "--format",
    "form",
    type=click.Choice(("jsonl", "csv")),
    default=None,
    help="log: jsonl; timeline: csv (default) or jsonl; snapshot: jsonl (default) or csv.",
)
@click.option(
    "--after", type=int, default=0, show_default=True, help="log: resume after this position."
)
@click.option(
    "--partnership", "slugs", multiple=True, help="timeline: only this partnership (repeatable)."
)
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option(
    "--known-at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]), default=None, help="UTC."
)
def export(
    what: str, out: Path | None, form: str | None, after: int, slugs: tuple[str, ...],
    as_of: datetime | None, known_at: datetime | None,
) -> None:  # fmt: skip
    """Export the log (JSON Lines of CloudEvents), the timeline (CSV) or a snapshot of every
    partnership as of a date, streamed."""
    service = _service()
    day = as_of.date() if as_of else None
    instant = known_at.replace(tzinfo=UTC) if known_at else None
    chunks: Iterable[str | bytes]
    if what == "log":
        if form == "csv":
            raise click.BadParameter("the log exports as jsonl", param_hint="--format")
        chunks = export_lines.log_lines(service, after)
    elif what == "timeline":
        records = export_lines.timeline_records(
            service, list(slugs) or None, as_of=day, known_at=instant
        )
        chunks = (
            export_lines.timeline_jsonl(records)
            if form == "jsonl"
            else export_lines.timeline_csv(records)
        )
    else:
        snapshot = export_lines.snapshot_records(service, day, instant)
        chunks = (
            export_lines.snapshot_csv(snapshot)
            if form == "csv"
            else export_lines.snapshot_jsonl(snapshot)
        )
    target = click.open_file(str(out) if out else "-", "wb")
    with target as sink:
        for chunk in chunks:
            sink.write(chunk if isinstance(chunk, bytes) else chunk.encode())


@cli.command()
def replay() -> None:
    """Rebuild every projection from the log (clears the view first)."""
    click.echo(f"{_service().rebuild()} events projected")


@cli.command()
@click.option("--poll", default=1.0, show_default=True, help="Seconds between polls.")
def project(poll: float) -> None:
    """Run the projector until interrupted: LISTEN/NOTIFY on PostgreSQL, polling as fallback."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # The store's settings, not a service: the projector starts (and waits) while the database
    # is down, and builds only the connections it uses.
    env = projector_env(store_env(services().settings.database_url))
    click.echo("projecting; Ctrl-C to stop")
    run_projector(env, service_policy(), stop, poll_interval=poll)


@cli.command()
@click.option("--max-lag", type=int, default=None, help="Exit 1 when the view trails more.")
def status(max_lag: int | None) -> None:
    """Print the log position and how far the projections trail it."""
    current = _service().status()
    click.echo(
        f"log position {current.log_position}, projected {current.projected_position}, "
        f"lag {current.lag}"
    )
    if max_lag is not None and current.lag > max_lag:
        raise SystemExit(1)


@cli.command()
@click.argument("slugs", nargs=-1)
def verify(slugs: tuple[str, ...]) -> None:
    """Recompute the hash chains (all partnerships, or those named); exit 1 if any breaks."""
    service = _service()
    chosen = slugs or tuple(p.slug for p in service.partnerships())
    broken = 0
    for slug in chosen:
        try:
            result = service.verify(slug)
        except DomainError as error:
            raise click.ClickException(str(error)) from None
        if result.ok:
            click.echo(f"{slug}: ok, {result.checked} events, head {result.head}")
        else:
            broken += 1
            click.echo(f"{slug}: BROKEN at version {result.version}: {result.problem}")
    if broken:
        sys.exit(1)


# --- tokens --------------------------------------------------------------------------------


@cli.group()
def token() -> None:
    """Create, list and revoke bearer tokens."""


@token.command("create")
@click.option("--name", default="token", show_default=True)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPES),
    default=("read", "append"),
    show_default=True,
)
def token_create(name: str, scopes: tuple[str, ...]) -> None:
    """Create a token and print its secret (shown once)."""
    try:
        issued = services().tokens.create(name, scopes)
    except UnknownScope as error:
        raise click.BadParameter(str(error)) from None
    click.echo(f"id {issued.token.id}  scopes {' '.join(issued.token.scopes)}")
    click.echo(issued.secret)


@token.command("list")
def token_list() -> None:
    """List tokens (never their secrets)."""
    for t in services().tokens.list():
        state = f"revoked {t.revoked_at}" if t.revoked_at else "live"
        click.echo(f"{t.id}  {t.name}  [{' '.join(t.scopes)}]  created {t.created_at}  {state}")


@token.command("revoke")
@click.argument("token_id")
def token_revoke(token_id: str) -> None:
    """Revoke a token by its id."""
    if not services().tokens.revoke(token_id):
        raise click.ClickException(f"no live token {token_id}")
    click.echo(f"revoked {token_id}")
