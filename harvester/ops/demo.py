"""`harvester demo`: the whole pipeline on a laptop, with nothing installed but this package.

It starts the emulator and an embedded Redis, writes three emulated WB sellers and a Yandex
Market cabinet into an accounts file, runs a real Celery worker with beat, dispatches every
catalog endpoint, waits until each account × endpoint is complete, and prints what landed.
Time-scaled, so WB's per-minute limits pass in seconds while still being obeyed to the token.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

import requests
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from emulator import Emulator, make_wb_token, make_ym_key, ym_business_id
from emulator.wb.data.seller import small_sellers
from harvester.core.settings import get_settings
from harvester.models.state import utcnow
from harvester.ops.local import broker, due_targets, wait_settled, worker

console = Console()


def _accounts_file(workdir: Path, sellers: int, env: MutableMapping[str, str]) -> Path:
    """Demo sellers: WB ones (the last on the seeds' API generation, so every endpoint runs) and
    one Yandex Market cabinet with two stores."""
    lines = []
    # Small catalogues: per-product endpoints (sizes, search texts) finish in seconds, not hours.
    for i, seller in enumerate(small_sellers(0, "demo-seller", sellers), start=1):
        var = f"HARVESTER_DEMO_TOKEN_{i}"
        env[var] = make_wb_token(seller, ["analytics", "promotion"])
        generation = "seed" if i == sellers and sellers > 1 else "current"
        lines += ["[[accounts]]", f'id = "wb-demo-{i}"', 'marketplace = "wb"', f'name = "Demo seller {i}"',
                  f'token_env = "{var}"', f'wb_api_generation = "{generation}"', ""]
    env["HARVESTER_DEMO_YM_KEY"] = make_ym_key("demo-ym", campaigns=2, skus=120)
    lines += ["[[accounts]]", 'id = "ym-demo"', 'marketplace = "ym"', 'name = "Demo cabinet"',
              'token_env = "HARVESTER_DEMO_YM_KEY"', f"business_id = {ym_business_id('demo-ym')}", ""]
    path = workdir / "accounts.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _print_results(emulator_url: str) -> None:
    from harvester.core.accounts import get_accounts
    from harvester.ops.status import status_rows
    from harvester.pipeline.store.db import get_engine

    table = Table(title="Rows landed per account × endpoint")
    for column in ("account", "endpoint"):
        table.add_column(column, no_wrap=True)  # names are what people copy into commands: never cut
    for column in ("rows", "last success (UTC)", "last error"):
        table.add_column(column)
    rows = status_rows(get_engine(), get_accounts())
    for row in rows:
        table.add_row(row["account"], row["endpoint"], str(row["rows"]), (row["last_success"] or "-")[:19],
                      row["last_error"] or "")
    console.print(table)
    stats = requests.get(f"{emulator_url}/__emulator/stats", timeout=5).json()["sellers"]
    requests_total = sum(s["requests"] for s in stats.values())
    throttled = sum(s["429"] for s in stats.values())
    landed = sum(1 for row in rows if row["last_success"])
    console.print(f"total: {landed} of {len(rows)} account × endpoint pairs landed, {sum(r['rows'] for r in rows)} "
                  f"rows, {requests_total} requests, {throttled} answered 429/420")


def run_demo(sellers: int = 3, time_scale: float = 120.0, workdir: Path = Path("harvester-demo"),
             timeout: float = 110.0) -> int:
    """Run the demo; 0 when every account × endpoint landed in time."""
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "harvester.db"
    for stale in workdir.glob("harvester.db*"):
        stale.unlink()
    emulator = Emulator(port=0, time_scale=time_scale).start()
    console.print(f"emulator on {emulator.url} (time scale {time_scale:g}×)")
    os.environ.pop("HARVESTER_BROKER_URL", None)  # the demo always runs on the embedded defaults
    accounts = _accounts_file(workdir, sellers, os.environ)
    os.environ.update(
        HARVESTER_DATABASE_URL=f"sqlite:///{db}",
        HARVESTER_ACCOUNTS_FILE=str(accounts),
        HARVESTER_EMULATOR_URL=emulator.url,
        HARVESTER_TIME_SCALE=str(time_scale),
        HARVESTER_INITIAL_DAYS="14",
        HARVESTER_SWEEP_INTERVAL="5",
        HARVESTER_LOG_FORMAT="json",
    )
    get_settings.cache_clear()
    targets, since = due_targets(), utcnow()
    with broker(workdir), worker(workdir):
        console.print(f"worker with beat started (log: {workdir / 'worker.log'}); harvesting {sellers} WB "
                      f"seller{'s' if sellers != 1 else ''} and 1 Yandex Market cabinet")
        from harvester.worker.tasks import dispatch

        dispatch.delay()
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("account × endpoint pairs landed", total=len(targets))
            _, succeeded = wait_settled(targets, since, timeout,
                                        lambda landed, total: bar.update(task, completed=landed, total=total))
        _print_results(emulator.url)
    emulator.stop()
    if not succeeded:
        console.print("[red]not every account × endpoint completed; see the last error column and the worker log[/red]")
        return 1
    console.print(f"done: data in {db}")
    return 0
