"""What an operator sees in Flower against what the run log holds, and how much a worker logs.

One run of every endpoint for 2 WB sellers and 1 YM cabinet, plus two accounts that must fail
somewhere (a WB token without the Promotion category, a YM key without the finance scope),
with Flower watching the worker. When every unit of work is finished it prints Flower's tasks
by name, state and result next to `harvest_run` by status and the ledger by state, and the
worker log's lines per harvested window (by logger).

    python tests/bench/bench_flower.py [--time-scale 600] [--workers 4]

Uses an embedded Redis and SQLite; the emulator's sellers are seeded, so runs compare.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402

from harvester.core.settings import get_settings  # noqa: E402
from harvester.models import HarvestRun, WorkUnit  # noqa: E402
from harvester.ops.embedded import embedded_redis  # noqa: E402
from harvester.ops.flower import flower_command, flower_env  # noqa: E402
from harvester.pipeline.store.db import make_engine  # noqa: E402
from tests.e2e.conftest import Emulator, Harness  # noqa: E402

AUTH = ("ops", "bench")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settled(engine: Any, quiet_s: float = 3.0) -> bool:
    """Every unit finished, and no new one written for `quiet_s` (dependents start after their source)."""
    with Session(engine) as session:
        units = list(session.exec(select(WorkUnit)))
    return bool(units) and all(u.state.final for u in units) and \
        time.time() - max(u.updated_at.timestamp() for u in units) > quiet_s


def _flower_tasks(base: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{base}/api/tasks", params={"limit": 1_000_000}, auth=AUTH, timeout=30)
    answer.raise_for_status()
    return list(answer.json().values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-scale", type=float, default=600)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a `timeout` still stops the worker and Flower
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        broker = stack.enter_context(embedded_redis(tmp / "redis"))
        database = f"sqlite:///{tmp / 'bench.db'}"
        engine = make_engine(database)
        emulator = Emulator(port=0, time_scale=args.time_scale, seed=7).start()
        stack.callback(emulator.stop)
        (tmp / "accounts.toml").write_text("")
        env = {"HARVESTER_BROKER_URL": broker, "HARVESTER_DATABASE_URL": database,
               "HARVESTER_ACCOUNTS_FILE": str(tmp / "accounts.toml"), "HARVESTER_EMULATOR_URL": emulator.url,
               "HARVESTER_TIME_SCALE": str(args.time_scale), "HARVESTER_LOG_FORMAT": "json",
               "HARVESTER_INITIAL_DAYS": "10", "HARVESTER_ENV_FILE": "/nonexistent"}
        os.environ.update(env)
        get_settings.cache_clear()
        harness = Harness(tmp, {**os.environ}, emulator)
        stack.callback(harness.stop_all)
        for seller in ("shop-1", "shop-2"):
            harness.add_wb_account(seller, scopes=("analytics", "promotion"))
        harness.add_wb_account("no-promotion", scopes=("analytics",))  # its promotion endpoints fail
        harness.add_ym_account("cabinet")
        harness.add_ym_account("no-finance", scopes=("offers-and-cards-management:read-only",))  # no services report

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        flower_environ = flower_env({**harness.env, "HARVESTER_FLOWER_USER": AUTH[0],
                                     "HARVESTER_FLOWER_PASSWORD": AUTH[1]})
        with open(tmp / "flower.log", "w") as out:
            flower = subprocess.Popen(flower_command(port), env=flower_environ, stdout=out,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        harness.workers.append(flower)  # stopped with the workers
        harness.start_worker(concurrency=args.workers)
        harness.wait_for(lambda: "ready" in harness.logs(), 60, "the worker")
        harness.wait_for(lambda: requests.get(f"{base}/api/workers", auth=AUTH, timeout=5).status_code == 200
                         if flower.poll() is None else True, 60, "Flower")
        SQLModel.metadata.create_all(engine)

        from harvester.worker.tasks import dispatch

        started = time.monotonic()
        dispatch.delay()
        harness.wait_for(lambda: _settled(engine), 900, "every unit to finish", every=1.0)
        elapsed = time.monotonic() - started
        time.sleep(3)  # Flower reads the last events
        tasks = _flower_tasks(base)
        with Session(engine) as session:
            runs = Counter(run.status for run in session.exec(select(HarvestRun)))
            units = Counter(unit.state.value for unit in session.exec(select(WorkUnit)))
            failed = Counter((run.account_id, run.endpoint, (run.error or "")[:90])
                             for run in session.exec(select(HarvestRun).where(HarvestRun.status == "failed")))

        print(f"one run of every endpoint, 5 accounts, settled in {elapsed:.0f} s")
        flower_counts = Counter((t.get("name"), t.get("state"), t.get("result") if t.get("state") == "SUCCESS" else "")
                                for t in tasks)
        print(f"Flower, {len(tasks)} tasks:")
        for (name, state, result), n in sorted(flower_counts.items(), key=lambda kv: (str(kv[0]), kv[1])):
            print(f"  {n:6d}  {name} {state} {result or ''}")
        parked = Counter(t["args"].split("'")[3] for t in tasks if t.get("result") == "'parked'")  # the endpoint
        served = requests.get(f"{emulator.url}/__emulator/stats", timeout=5).json()["sellers"]
        print(f"API requests: {sum(s['requests'] for s in served.values())}; parked wake-ups by endpoint: "
              f"{dict(parked.most_common(6))}")
        print(f"Flower failures: {sum(1 for t in tasks if t.get('state') == 'FAILURE')}; "
              f"harvest_run: {dict(runs)}; ledger: {dict(units)}")
        for (account, endpoint, error), n in sorted(failed.items()):
            print(f"  failed {n} × {account} {endpoint}: {error}")
        lines = [line for line in harness.logs().splitlines() if line.startswith("{")]
        loggers = Counter(json.loads(line).get("logger", "?").split(".")[0] for line in lines)
        windows = runs.get("ok", 0)
        print(f"worker log: {len(lines)} lines for {windows} harvested windows "
              f"({len(lines) / max(windows, 1):.1f} a window); by logger: {dict(loggers)}")


if __name__ == "__main__":
    main()
