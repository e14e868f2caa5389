"""The `harvester` command: demo, emulator, catalog, status, dispatch.

Workers and beat are plain Celery processes (`celery -A harvester.app worker|beat`), so
every Celery option and every Celery guide applies to them unchanged.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional

import typer

from harvester.settings import SettingsError

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
emulator_app = typer.Typer(help="The built-in HTTP emulator of the marketplace APIs.")
app.add_typer(emulator_app, name="emulator")


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(2)


@app.command()
def demo(
    sellers: int = typer.Option(3, min=1, help="Emulated WB sellers to harvest."),
    time_scale: float = typer.Option(120.0, min=1, help="Emulated seconds per real second."),
    workdir: Path = typer.Option(Path("harvester-demo"), help="Where the SQLite file, accounts and logs go."),
    timeout: float = typer.Option(110.0, help="Give up after this many seconds."),
) -> None:
    """Harvest every catalog endpoint for emulated sellers into SQLite, then print what landed."""
    from harvester.demo import run_demo

    raise typer.Exit(run_demo(sellers, time_scale, workdir, timeout))


@emulator_app.callback(invoke_without_command=True)
def emulator(
    ctx: typer.Context,
    port: int = typer.Option(8080, help="Port on 127.0.0.1."),
    time_scale: float = typer.Option(1.0, help="Emulated seconds per real second."),
    seed: int = typer.Option(0, help="Seed of the synthetic data."),
) -> None:
    """Serve the emulator on loopback until interrupted."""
    if ctx.invoked_subcommand is not None:
        return
    from harvester.emulator import serve

    typer.echo(f"emulator on http://127.0.0.1:{port} (time scale {time_scale:g}, seed {seed})")
    serve(port, time_scale, seed)


@emulator_app.command("token")
def emulator_token(
    seller: str = typer.Option(..., help="Seller name or UUID (becomes the `sid` claim)."),
    scopes: str = typer.Option("analytics", help="Comma-separated token categories."),
    type_: str = typer.Option("personal", "--type", help="personal, service, base or test."),
    expires: float = typer.Option(180, help="Days until the token expires (negative: already expired)."),
) -> None:
    """Print a WB-shaped test token for the emulator."""
    from harvester.emulator import make_wb_token

    typer.echo(make_wb_token(seller, [s.strip() for s in scopes.split(",") if s.strip()], type_, expires))


@app.command()
def catalog(as_json: bool = typer.Option(False, "--json", help="One JSON object per endpoint.")) -> None:
    """List the endpoints the harvester knows."""
    from harvester.catalog import endpoints

    for e in endpoints().values():
        row = {"name": e.name, "marketplace": e.marketplace, "method": e.first_call.method,
               "path": e.first_call.path, "flow": e.flow_kind}
        typer.echo(json.dumps(row) if as_json else f"{e.name:30} {e.flow_kind:14} {e.first_call.method:5} {e.first_call.path}")


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="One JSON object per account × endpoint.")) -> None:
    """Last success, rows stored and last error per account × endpoint."""
    from harvester.accounts import get_accounts
    from harvester.status import status_rows
    from harvester.store.db import get_engine

    try:
        rows = status_rows(get_engine(), get_accounts())
    except SettingsError as exc:
        _fail(str(exc))
    for row in rows:
        typer.echo(json.dumps(row, ensure_ascii=False) if as_json else
                   f"{row['account']:20} {row['endpoint']:24} rows={row['rows']:<8} "
                   f"last_success={row['last_success'] or '-'} {row['last_error'] or ''}")


@app.command("env-example")
def env_example() -> None:
    """Print every setting with its meaning and default, as an env file."""
    from harvester.settings import env_example as render

    typer.echo(render(), nl=False)


@app.command()
def dispatch(
    cadence: Optional[str] = typer.Option(None, help="Only endpoints of this cadence."),
    account: Optional[str] = typer.Option(None, help="Only this account id."),
    endpoint: Optional[str] = typer.Option(None, help="Only this endpoint name."),
) -> None:
    """Queue every due window now instead of waiting for beat."""
    try:
        from harvester.tasks import dispatch as dispatch_task

        dispatch_task.delay(cadence, account, endpoint)
    except SettingsError as exc:
        _fail(str(exc))
    typer.echo("queued")


@app.command()
def backfill(
    account: str = typer.Option(..., help="Account id."),
    endpoint: str = typer.Option(..., help="Endpoint name (see `harvester catalog`)."),
    since: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="First day, YYYY-MM-DD."),
    until: Optional[datetime] = typer.Option(None, formats=["%Y-%m-%d"], help="Last day (default: yesterday)."),
) -> None:
    """Queue a past period as legal windows; the limiter paces them, re-runs change nothing."""
    from harvester.catalog import get_endpoint
    from harvester.schedule import today
    from harvester.tasks import backfill as backfill_task

    try:
        if get_endpoint(endpoint).window.history_days == 0:
            _fail(f"{endpoint} is a snapshot of today's data; a past period cannot be harvested")
    except KeyError as exc:
        _fail(str(exc.args[0]))
    last = until.date() if until else today() - timedelta(days=1)
    if last < since.date():
        _fail(f"--until {last} is before --since {since.date()}")
    backfill_task.delay(account, endpoint, since.date().isoformat(), last.isoformat())
    typer.echo(f"queued {endpoint} for {account}: {since.date()} .. {last}")


def main() -> None:
    try:
        app()
    except SettingsError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise SystemExit(2) from None
