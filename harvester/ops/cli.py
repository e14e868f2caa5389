"""The `harvester` command: demo, emulator, catalog, status, dispatch.

Workers and beat are plain Celery processes (`celery -A harvester.worker.app worker|beat`), so
every Celery option and every Celery guide applies to them unchanged.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import typer
from sqlalchemy.exc import OperationalError

from harvester.core.settings import SettingsError

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
emulator_app = typer.Typer(help="The built-in HTTP emulator of the marketplace APIs.")
app.add_typer(emulator_app, name="emulator")
accounts_app = typer.Typer(help="The configured seller accounts.")
app.add_typer(accounts_app, name="accounts")
db_app = typer.Typer(help="The SQL store.")
app.add_typer(db_app, name="db")


def _fail(message: str) -> NoReturn:
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
    from harvester.ops.demo import run_demo

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
    from emulator import serve

    typer.echo(f"emulator on http://127.0.0.1:{port} (time scale {time_scale:g}, seed {seed})")
    serve(port, time_scale, seed)


@emulator_app.command("token")
def emulator_token(
    seller: str = typer.Option(..., help="Seller (WB) or cabinet (Yandex Market) name."),
    marketplace: str = typer.Option("wb", help="wb: a JWT token; ym: an Api-Key."),
    scopes: str = typer.Option("", help="Comma-separated token categories (WB: analytics by default) or "
                                        "Api-Key scopes (YM: all-methods:read-only by default)."),
    type_: str = typer.Option("personal", "--type", help="WB: personal, service, base or test."),
    expires: float = typer.Option(180, help="WB: days until the token expires (negative: already expired)."),
    campaigns: int = typer.Option(2, help="YM: stores of the cabinet."),
    skus: int = typer.Option(1200, help="YM: SKUs per store."),
    products: int | None = typer.Option(None, help="WB: a big seller with exactly this many products "
                                                   "(up to 100,000); by default 40 to 2,600 by its name."),
) -> None:
    """Print a test token for the emulator: a WB-shaped JWT, or a Yandex Market Api-Key."""
    from emulator import big_seller, make_wb_token, make_ym_key

    chosen = [s.strip() for s in scopes.split(",") if s.strip()]
    if marketplace == "ym":
        try:
            typer.echo(make_ym_key(seller, chosen or ("all-methods:read-only",), campaigns=campaigns, skus=skus))
        except ValueError as exc:
            _fail(str(exc))
    elif marketplace == "wb":
        try:
            sid = seller if products is None else big_seller(seller, products)
        except ValueError as exc:
            _fail(str(exc))
        typer.echo(make_wb_token(sid, chosen or ["analytics"], type_, expires))
    else:
        _fail(f"--marketplace must be wb or ym, not {marketplace!r}")


@app.command()
def catalog(as_json: bool = typer.Option(False, "--json", help="One JSON object per endpoint.")) -> None:
    """List the endpoints the harvester knows, with this deployment's cadences, lookbacks and priorities."""
    from harvester.catalog import endpoints, tuned
    from harvester.core.settings import get_settings
    from harvester.pipeline.schedule import priority

    settings = get_settings()
    for e in (tuned(e, settings) for e in endpoints().values()):
        tables = [t.name for t in e.tables]
        row = {"name": e.name, "marketplace": e.marketplace, "generation": e.generation, "method": e.first_call.method,
               "path": e.first_call.path, "flow": e.flow_kind, "cadence": e.cadence,
               "max_days": e.window.max_days, "history_days": e.window.history_days,
               "lookback_days": e.window.lookback_days, "limit": e.first_call.limit.name,
               "depends_on": e.ids.source if e.ids else None, "rotate": bool(e.ids and e.ids.rotate),
               "priority": priority(e), "requires": e.requires or None, "tables": tables}
        typer.echo(json.dumps(row) if as_json else (
            f"{e.name:40} {e.generation:7} {e.cadence:6} lookback {e.window.lookback_days:<2} "
            f"priority {priority(e):<2} {e.flow_kind:13} {e.first_call.method:4} {e.first_call.path} "
            f"-> {', '.join(tables)}"))


@app.command()
def schema(fmt: str = typer.Option("markdown", "--format", help="markdown, or dbt (a dbt sources.yml)."),
           source: str = typer.Option("harvester", help="The dbt source name.")) -> None:
    """Every table and view the harvester writes, each column with its meaning, unit and source field."""
    from harvester.ops.schema import dbt_sources, markdown

    if fmt not in ("markdown", "dbt"):
        _fail(f"--format must be markdown or dbt, not {fmt!r}")
    typer.echo(dbt_sources(source) if fmt == "dbt" else markdown(), nl=False)


@app.command()
def status(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per account × endpoint."),
    stale_after: float | None = typer.Option(
        None,
        help="Exit 1 when any account × endpoint has no success within this many hours (for cron and monitoring).",
    ),
) -> None:
    """Last success, lag, rows stored and last error per account × endpoint."""
    from sqlmodel import Session

    from harvester.core.accounts import accounts_file_problems, get_accounts
    from harvester.ops.status import status_rows
    from harvester.pipeline.store.accounts_state import blocks
    from harvester.pipeline.store.db import get_engine
    from harvester.pipeline.store.migrate import SchemaError

    try:
        accounts = get_accounts()
        engine = get_engine(migrate=False)
        rows = status_rows(engine, accounts)
        with Session(engine) as session:
            blocked = blocks(session)
    except (SettingsError, SchemaError, OperationalError) as exc:
        _fail(_short(exc))
    now = datetime.now(UTC)
    stale = []
    for row in rows:
        last = datetime.fromisoformat(row["last_success"]) if row["last_success"] else None
        lag = (now - last).total_seconds() / 3600 if last else None
        row["lag_hours"] = None if lag is None else round(lag, 2)
        if stale_after is not None and (lag is None or lag > stale_after):
            stale.append(row)
        typer.echo(json.dumps(row, ensure_ascii=False) if as_json else
                   f"{row['account']:20} {row['endpoint']:30} rows={row['rows']:<9} "
                   f"lag={'never' if lag is None else f'{lag:.1f}h':>8} pending={row['pending']:<4} "
                   f"failed={row['failed']:<3} {_rotation(row)}{row['last_error'] or ''}")
    for problem in accounts_file_problems():
        typer.secho(f"accounts file: {problem}", fg="red", err=True)
    for block in blocked:  # what dispatch skips until the account changes or `accounts unblock`
        typer.echo(json.dumps(block, ensure_ascii=False) if as_json else
                   f"BLOCKED {block['account']:20} {block['blocked']:30} since {block['since'][:19]} "
                   f"{block['reason']}")
    if stale:
        typer.secho(f"{len(stale)} account × endpoint pairs have no success within {stale_after:g} h:",
                    fg="red", err=True)
        for row in stale:
            since = "never" if row["lag_hours"] is None else f"{row['lag_hours']:g} h"
            typer.secho(f"  {row['account']} {row['endpoint']}: {since}", fg="red", err=True)
        raise typer.Exit(1)


def _rotation(row: dict) -> str:
    """An endpoint read in rotation: the share of ids its newest window read, and the stalest."""
    if row["ids"] is None:
        return ""
    coverage = "-" if row["coverage"] is None else f"{row['coverage']:.0%}"
    stalest = f"{row['never_read']} never read" if row["never_read"] else f"oldest read {row['oldest_read']}"
    return f"coverage={coverage} of {row['ids']} ids, {stalest} "


@app.command()
def plan(
    account: str | None = typer.Option(None, help="Only this account (and the entries sharing its budget)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per budget owner × limit group."),
    products: int | None = typer.Option(None, min=0, help="Assume a catalogue of this many products "
                                                            "(instead of what the store holds)."),
) -> None:
    """Requests a day each endpoint asks of each seller's budgets, against what they afford: coverage and freshness."""
    from sqlmodel import Session

    from harvester.catalog import endpoints_for
    from harvester.core.accounts import get_accounts
    from harvester.core.settings import get_settings
    from harvester.ops.plan import as_rows, render, selected, sizer
    from harvester.ops.plan import plan as make_plan
    from harvester.pipeline.store.db import get_engine
    from harvester.pipeline.store.migrate import SchemaError

    settings = get_settings()
    try:
        chosen, problems = selected(get_accounts(), account)
    except SettingsError as exc:
        _fail(str(exc))
    if account is not None and not chosen:
        _fail(f"account {account} is not in {settings.accounts_file} or its token cannot be read")
    try:
        engine = get_engine(migrate=False)
    except (SchemaError, OperationalError) as exc:
        typer.secho(f"store not read ({_short(exc)}): dependent fetches are sized by --products only",
                    fg="yellow", err=True)
        engine = None
    with Session(engine) if engine else nullcontext() as session:
        groups = make_plan(chosen, sizer(session, products),
                           lambda a: endpoints_for(a.marketplace, a.wb_api_generation, settings))
    for text in (json.dumps(row, ensure_ascii=False) for row in as_rows(groups)) if as_json else render(groups):
        typer.echo(text)
    for problem in problems:
        typer.secho(f"left out: {problem}", fg="red", err=True)
    for g in groups:
        if g.over:
            typer.secho(f"warning: {g.owner} {g.group}: demand {g.demand:,.0f}/day exceeds the budget "
                        f"{g.budget:,.0f}/day ({g.utilization:.0%})", fg="red", err=True)


def _short(exc: Exception) -> str:
    """A one-line reason, without SQL or a stack, for errors shown to people."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return f"cannot reach the database: {text}" if isinstance(exc, OperationalError) else text


@app.command("env-example")
def env_example() -> None:
    """Print every setting with its meaning and default, as an env file."""
    from harvester.core.settings import env_example as render

    typer.echo(render(), nl=False)


@app.command()
def dispatch(
    cadence: str | None = typer.Option(None, help="Only endpoints of this cadence."),
    account: str | None = typer.Option(None, help="Only this account id."),
    endpoint: str | None = typer.Option(None, help="Only this endpoint name."),
    refresh: bool = typer.Option(False, help="Also read again windows that finished lately."),
) -> None:
    """Queue every due window now instead of waiting for beat."""
    try:
        from harvester.worker.tasks import dispatch as dispatch_task

        dispatch_task.delay(cadence, account, endpoint, refresh)
    except SettingsError as exc:
        _fail(str(exc))
    typer.echo("queued")


@app.command()
def backfill(
    account: str = typer.Option(..., help="Account id."),
    endpoint: str = typer.Option(..., help="Endpoint name (see `harvester catalog`)."),
    since: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="First day, YYYY-MM-DD."),
    until: datetime | None = typer.Option(None, formats=["%Y-%m-%d"], help="Last day (default: yesterday)."),
    wait: bool = typer.Option(True, help="Follow the landed windows with a progress bar until all are done."),
    refresh: bool = typer.Option(False, help="Harvest again windows that are already done."),
) -> None:
    """Queue a past period as legal windows; the limiter paces them; windows already done are
    left alone unless --refresh, failed ones are tried again."""
    from harvester.catalog import get_endpoint
    from harvester.core.accounts import get_account
    from harvester.core.clock import today
    from harvester.pipeline.schedule import backfill_windows
    from harvester.worker.tasks import backfill as backfill_task

    last = until.date() if until else today() - timedelta(days=1)
    try:
        windows = backfill_windows(get_account(account), get_endpoint(endpoint), since.date(), last, today())
    except KeyError as exc:
        _fail(str(exc.args[0]))
    except SettingsError as exc:
        _fail(str(exc))
    backfill_task.delay(account, endpoint, since.date().isoformat(), last.isoformat(), refresh)
    typer.echo(f"queued {endpoint} for {account}: {since.date()} .. {last}, {len(windows)} windows")
    if wait:
        _follow(account, endpoint, windows)


def _follow(account: str, endpoint: str, windows: list) -> None:
    """A progress bar over the windows whose unit of work has finished (done or failed)."""
    import time

    from rich.progress import Progress
    from sqlmodel import Session, select

    from harvester.models import WorkUnit
    from harvester.pipeline.store.db import get_engine

    wanted = set(windows)
    with Progress() as progress:
        bar = progress.add_task(f"{endpoint} {account}", total=len(wanted))
        while True:
            with Session(get_engine()) as session:
                units = session.exec(select(WorkUnit).where(
                    WorkUnit.account_id == account, WorkUnit.endpoint == endpoint)).all()
            landed = {(u.window_start, u.window_end): u for u in units
                      if (u.window_start, u.window_end) in wanted and u.state.final}
            progress.update(bar, completed=len(landed))
            if len(landed) == len(wanted):
                break
            time.sleep(1)
    failed = sorted(w for w, unit in landed.items() if unit.state.value == "FAILED")
    rows = sum(unit.rows for unit in landed.values())
    typer.echo(f"{len(landed) - len(failed)} windows landed, {len(failed)} failed, {rows} rows")
    if failed:
        typer.secho(f"first failed: {failed[0][0]}..{failed[0][1]}: {landed[failed[0]].last_error} "
                    "(see `harvester status`)", fg="red")
        raise typer.Exit(1)


@accounts_app.command("check")
def accounts_check(
    ping: bool = typer.Option(True, help="Also call the API's /ping with each token."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per account."),
) -> None:
    """Decode each token (seller, type, categories, expiry), warn before expiry, ping the API; never print a token."""
    from rich.console import Console
    from rich.table import Table

    from harvester.core.accounts import accounts_file_problems, get_accounts
    from harvester.core.settings import get_settings
    from harvester.ops.checks import check, shared_budgets
    from harvester.pipeline.client import Client

    client = Client(get_settings())
    results = [check(account, client, ping) for account in get_accounts().values()]
    shared = shared_budgets(get_accounts().values())
    for result in results:
        if result["account"] in shared:
            result["warnings"].append(f"shares its seller's budget (rate limits, daily CSV reports) with "
                                      f"{', '.join(shared[result['account']])}: one budget, as the API counts it")
    results += [{"account": "(accounts file)", "marketplace": "-", "problems": [problem], "warnings": []}
                for problem in accounts_file_problems()]
    for block in _blocks():
        for result in results:
            if result["account"] == block["account"]:
                result["problems"].append(f"{block['blocked']} blocked since {block['since'][:10]}: {block['reason']} "
                                          f"(`harvester accounts unblock {block['account']}` lifts it)")
    if as_json:
        for result in results:
            typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        table = Table()
        for column in ("account", "seller", "type", "categories / scopes", "expires", "ping", "problems / warnings"):
            table.add_column(column)
        for r in results:
            notes = "; ".join(r["problems"] + r["warnings"])
            granted = r.get("categories", r.get("scopes", []))
            table.add_row(r["account"], str(r.get("seller_id", "-")), str(r.get("token_type", "-")), ",".join(granted),
                          str(r.get("expires", "-"))[:10], r.get("ping", "-"),
                          f"[red]{notes}[/red]" if r["problems"] else notes)
        Console().print(table)
    if any(r["problems"] for r in results):
        raise typer.Exit(1)


def _blocks() -> list[dict[str, str]]:
    """Every block in force; none when the database has no schema yet."""
    from sqlmodel import Session

    from harvester.pipeline.store.accounts_state import blocks
    from harvester.pipeline.store.db import get_engine
    from harvester.pipeline.store.migrate import SchemaError

    try:
        with Session(get_engine(migrate=False)) as session:
            return blocks(session)
    except SchemaError:
        return []
    except OperationalError as exc:
        _fail(_short(exc))


@accounts_app.command("unblock")
def accounts_unblock(
    account: str = typer.Argument(..., help="Account id."),
    feature: str | None = typer.Option(None, help="Only this block: `token`, a feature such as `jam` or "
                                                  "`scope:promotion`, or an endpoint name (see `harvester status`)."),
) -> None:
    """Lift an account's blocks: the next dispatch schedules what they stopped."""
    from harvester.pipeline.store.accounts_state import unblock
    from harvester.pipeline.store.db import get_engine, session_scope
    from harvester.pipeline.store.migrate import SchemaError

    try:
        with session_scope(get_engine(migrate=False)) as session:
            lifted = unblock(session, account, feature)
    except (SchemaError, OperationalError) as exc:
        _fail(_short(exc))
    if not lifted:
        _fail(f"account {account} has no block{f' on {feature}' if feature else ''} (see `harvester status`)")
    typer.echo(f"lifted for {account}: {', '.join(lifted)}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the configured database to the schema this version expects."""
    from harvester.core.settings import get_settings
    from harvester.pipeline.store.db import make_engine
    from harvester.pipeline.store.migrate import current, upgrade

    engine = make_engine(get_settings().database_url)
    try:
        before = current(engine)
        upgrade(engine)
        typer.echo(f"database at {current(engine)} (was {before or 'empty'})")
    except OperationalError as exc:
        _fail(_short(exc))


@app.command()
def metrics(port: int = typer.Option(9108, help="Port for /metrics."),
            address: str | None = typer.Option(None, help="Address to listen on (HARVESTER_LISTEN_ADDRESS, "
                                                         "127.0.0.1 by default).")) -> None:
    """Serve Prometheus metrics (requests, 429s, rows, quota left, queue lengths) until interrupted."""
    from harvester.core.accounts import get_accounts
    from harvester.core.settings import get_settings
    from harvester.ops.metrics import serve
    from harvester.pipeline.store.db import get_engine
    from harvester.worker.runtime import get_runtime

    address = address or get_settings().listen_address
    typer.echo(f"metrics on http://{address}:{port}/metrics")
    serve(port, get_runtime().redis, get_engine(migrate=False), address, get_accounts)


@app.command()
def flower(port: int = typer.Option(5555, help="Port of the Flower web UI."),
           address: str | None = typer.Option(None, help="Address to listen on (HARVESTER_LISTEN_ADDRESS, "
                                                        "127.0.0.1 by default).")) -> None:
    """Flower for these workers, with basic auth from HARVESTER_FLOWER_USER / HARVESTER_FLOWER_PASSWORD."""
    from harvester.core.settings import get_settings
    from harvester.ops.flower import run_flower

    raise typer.Exit(run_flower(port, address or get_settings().listen_address))


def _interrupt(signum: int, _frame: object) -> NoReturn:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM (systemd, `docker stop`) both unwind the command while the block runs,
    so its worker is stopped warmly rather than left running alone; SIGINT too when the shell
    that started the command ignored it (a background job's lot)."""
    before = {stop: signal.signal(stop, _interrupt) for stop in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for stop, handler in before.items():
            signal.signal(stop, handler)


@contextmanager
def _local_broker(workdir: Path) -> Iterator[None]:
    """The broker (an embedded one when none is configured), after checking everything is reachable."""
    from harvester.ops.local import broker, preflight

    workdir.mkdir(parents=True, exist_ok=True)
    with broker(workdir):
        problem = preflight()
        if problem:
            _fail(problem)
        yield


@app.command()
def up(
    concurrency: int = typer.Option(4, help="Worker processes."),
    with_flower: bool = typer.Option(False, "--flower", help="Also run Flower (needs its basic-auth variables)."),
    flower_port: int = typer.Option(5555, help="Port of Flower, with --flower."),
    metrics_port: int | None = typer.Option(None, help="Also serve Prometheus metrics on this port."),
    workdir: Path = typer.Option(Path(".harvester"), help="Beat schedule, worker log, embedded Redis."),
) -> None:
    """Worker and beat (and Flower, metrics) in one command; an embedded Redis when no broker is configured."""
    import subprocess
    import threading

    from harvester.core.settings import get_settings

    with _stopped_by_signals(), _local_broker(workdir):
        extra = []
        if with_flower:
            from harvester.ops.flower import FlowerConfigError, flower_command, flower_env

            try:
                extra.append(subprocess.Popen(flower_command(flower_port, get_settings().listen_address),
                                              env=flower_env(os.environ)))
            except FlowerConfigError as exc:
                _fail(str(exc))
        if metrics_port:
            threading.Thread(target=metrics, args=(metrics_port, None), daemon=True).start()
        typer.echo(f"worker and beat running (log: {workdir / 'worker.log'}); Ctrl-C stops them")
        try:
            _supervise(workdir, concurrency)
        except KeyboardInterrupt:
            typer.echo("stopping")
        finally:
            for p in extra:
                p.terminate()


def _supervise(workdir: Path, concurrency: int) -> None:
    """Run the worker (with beat) and start it again whenever it exits, as systemd's
    Restart=always does for the shipped units: a broker restart can make Celery exit."""
    import time

    from harvester.ops.local import worker

    while True:
        with worker(workdir, concurrency) as proc:
            code = proc.wait()
        typer.echo(f"the worker exited with code {code}; starting it again in 5 s", err=True)
        time.sleep(5)


@app.command("run-once")
def run_once(
    timeout: float = typer.Option(3600, help="Give up waiting after this many seconds."),
    concurrency: int = typer.Option(4, help="Worker processes."),
    workdir: Path = typer.Option(Path(".harvester"), help="Worker log and embedded Redis."),
) -> None:
    """Harvest everything due now, wait for it, exit (0 when all landed): for cron instead of daemons."""
    from harvester.models.state import utcnow
    from harvester.ops.local import due_targets, wait_settled, worker

    with _stopped_by_signals(), _local_broker(workdir):
        targets, since = due_targets(), utcnow()
        with worker(workdir, concurrency, beat=False):
            from harvester.worker.tasks import dispatch as dispatch_task

            dispatch_task.delay()
            settled, succeeded = wait_settled(targets, since, timeout)
    typer.echo(f"{len(targets)} account × endpoint pairs due; "
               f"{'all landed' if succeeded else 'some failed' if settled else 'timed out'}")
    raise typer.Exit(0 if succeeded else 1)


def main() -> None:
    try:
        app()
    except SettingsError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise SystemExit(2) from None
