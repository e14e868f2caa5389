"""`harvester demo`: the whole pipeline on a laptop, with nothing installed but this package.

It starts the emulator and an embedded Redis, writes three emulated sellers into an accounts
file, runs a real Celery worker with beat, dispatches every catalog endpoint, waits until
each account × endpoint is complete, and prints what landed. Time-scaled, so WB's
per-minute limits pass in seconds while still being obeyed to the token.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from rich.console import Console
from rich.table import Table

from harvester.catalog import endpoints_for
from harvester.embedded import embedded_redis
from harvester.emulator import Emulator, make_wb_token
from harvester.routing import QUEUES
from harvester.schedule import due_windows, today

console = Console()


def _accounts_file(workdir: Path, sellers: int, env: dict[str, str]) -> Path:
    """Demo sellers; the last one stays on the seeds' API generation, so every endpoint runs."""
    lines = []
    for i in range(1, sellers + 1):
        var = f"HARVESTER_DEMO_TOKEN_{i}"
        env[var] = make_wb_token(f"demo-seller-{i}", ["analytics"])
        generation = "seed" if i == sellers and sellers > 1 else "current"
        lines += ["[[accounts]]", f'id = "wb-demo-{i}"', 'marketplace = "wb"', f'name = "Demo seller {i}"',
                  f'token_env = "{var}"', f'wb_api_generation = "{generation}"', ""]
    path = workdir / "accounts.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _targets(initial_days: int) -> dict[tuple[str, str], object]:
    """The newest window end each account × endpoint must reach for the demo to be complete."""
    from harvester.accounts import get_accounts

    return {
        (a.id, e.name): due_windows(e.window, None, today(), initial_days)[-1][1]
        for a in get_accounts().values() for e in endpoints_for(a.marketplace, a.wb_api_generation)
    }


def _settled(targets: dict[tuple[str, str], object]) -> tuple[bool, bool]:
    """(every pair finished one way or another, every pair succeeded)."""
    from sqlmodel import Session, select

    from harvester.store.db import get_engine
    from harvester.store.models import HarvestRun, Watermark

    with Session(get_engine()) as session:
        marks = {(m.account_id, m.endpoint): m.complete_until for m in session.exec(select(Watermark))}
        failed = {(r.account_id, r.endpoint) for r in session.exec(select(HarvestRun).where(HarvestRun.status == "failed"))}
    ok = {pair: marks.get(pair) is not None and marks[pair] >= end for pair, end in targets.items()}  # type: ignore[operator]
    return all(done or pair in failed for pair, done in ok.items()), all(ok.values())


def _print_results(emulator_url: str) -> None:
    from harvester.accounts import get_accounts
    from harvester.status import status_rows
    from harvester.store.db import get_engine

    table = Table(title="Rows landed per account × endpoint")
    for column in ("account", "endpoint", "rows", "last success (UTC)", "last error"):
        table.add_column(column)
    for row in status_rows(get_engine(), get_accounts()):
        table.add_row(row["account"], row["endpoint"], str(row["rows"]), (row["last_success"] or "-")[:19], row["last_error"] or "")
    console.print(table)
    stats = requests.get(f"{emulator_url}/__emulator/stats", timeout=5).json()["sellers"]
    requests_total = sum(s["requests"] for s in stats.values())
    throttled = sum(s["429"] for s in stats.values())
    console.print(f"emulator: {requests_total} requests, {throttled} answered 429")


def run_demo(sellers: int = 3, time_scale: float = 120.0, workdir: Path = Path("harvester-demo"), timeout: float = 110.0) -> int:
    """Run the demo; 0 when every account × endpoint landed in time."""
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "harvester.db"
    for stale in workdir.glob("harvester.db*"):
        stale.unlink()
    emulator = Emulator(port=0, time_scale=time_scale).start()
    console.print(f"emulator on {emulator.url} (time scale {time_scale:g}×)")
    worker = None
    with embedded_redis(workdir / "redis") as broker:
        env = dict(os.environ)
        accounts = _accounts_file(workdir, sellers, env)
        env.update(
            HARVESTER_BROKER_URL=broker,
            HARVESTER_DATABASE_URL=f"sqlite:///{db}",
            HARVESTER_ACCOUNTS_FILE=str(accounts),
            HARVESTER_EMULATOR_URL=emulator.url,
            HARVESTER_TIME_SCALE=str(time_scale),
            HARVESTER_INITIAL_DAYS="14",
            HARVESTER_SWEEP_INTERVAL="5",
            HARVESTER_LOG_FORMAT="json",
        )
        os.environ.update(env)
        from harvester.settings import get_settings

        get_settings.cache_clear()
        log_path = workdir / "worker.log"
        with open(log_path, "w") as log_file:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "harvester.app", "worker", "-B", "-c", "4",
                 "-Q", ",".join(QUEUES), "--loglevel", "INFO", "-s", str(workdir / "beat-schedule")],
                env=env, stdout=log_file, stderr=subprocess.STDOUT,
            )
        console.print(f"worker with beat started (log: {log_path}); harvesting {sellers} sellers")
        try:
            from harvester.tasks import dispatch

            dispatch.delay()
            targets = _targets(get_settings().initial_days)
            deadline = time.monotonic() + timeout
            done = succeeded = False
            while time.monotonic() < deadline and not done:
                time.sleep(1)
                done, succeeded = _settled(targets)
            _print_results(emulator.url)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
    emulator.stop()
    if not succeeded:
        console.print("[red]not every account × endpoint completed; see the last error column and the worker log[/red]")
        return 1
    console.print(f"done: data in {db}")
    return 0
