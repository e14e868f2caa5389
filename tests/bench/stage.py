"""What the worker benchmarks share: a stage of an embedded Redis, an empty store, an emulator
and an accounts file, with the worker env pointing at them; and the CPU their workers spent."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from harvester.core.settings import get_settings
from harvester.ops.embedded import embedded_redis
from harvester.pipeline.store.db import get_engine, make_engine, reset_engines
from harvester.pipeline.store.views import drop_views
from harvester.worker.runtime import redis_url
from tests.e2e.conftest import Emulator, Harness


@dataclass
class Stage:
    tmp: Path
    broker: redis.Redis
    database: str
    engine: Engine
    harness: Harness


def open_stage(stack: ExitStack, time_scale: float, env: dict[str, str] | None = None, **emulator: Any) -> Stage:
    """Everything torn down with `stack`; the store is HARVESTER_TEST_DATABASE_URL's (emptied) or
    SQLite, migrated to head here, so no worker's first task pays for it inside the measured time."""
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    broker = stack.enter_context(embedded_redis(tmp / "redis"))
    database = os.environ.get("HARVESTER_TEST_DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    engine = make_engine(database)
    with engine.begin() as conn:
        drop_views(conn)
        SQLModel.metadata.drop_all(conn)
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    get_engine(database)
    reset_engines()
    emu = Emulator(port=0, time_scale=time_scale, **emulator).start()
    stack.callback(emu.stop)
    (tmp / "accounts.toml").write_text("")
    os.environ.update({
        "HARVESTER_BROKER_URL": broker, "HARVESTER_DATABASE_URL": database,
        "HARVESTER_ACCOUNTS_FILE": str(tmp / "accounts.toml"), "HARVESTER_EMULATOR_URL": emu.url,
        "HARVESTER_TIME_SCALE": str(time_scale), "HARVESTER_LOG_FORMAT": "json",
        "HARVESTER_ENV_FILE": "/nonexistent", **(env or {})})
    get_settings.cache_clear()
    harness = Harness(tmp, {**os.environ}, emu)
    stack.callback(harness.stop_all)
    return Stage(tmp, redis.Redis.from_url(redis_url(broker)), database, engine, harness)


def cpu_seconds(pids: list[int]) -> float:
    """User + system time of every live process in these process groups (children that exited included)."""
    return _cpu_seconds(lambda proc, fields: int(fields[2]) in pids)  # pgrp


def builders_cpu_seconds() -> float:
    """User + system time of this process's spawned children: the emulator's builders of report
    files and of big sellers' answers (`emulator.common.builds`)."""
    mine = str(os.getpid())
    return _cpu_seconds(lambda proc, fields: fields[1] == mine and b"spawn_main" in (proc / "cmdline").read_bytes())


def postgres_cpu_seconds() -> float:
    """User + system time of this machine's PostgreSQL so far: its server processes, and through
    the postmaster's children's times the backends that have exited. Read before and after a
    run, the difference is what the run cost the database (nothing else here uses it meanwhile)."""
    return _cpu_seconds(lambda proc, fields: (proc / "comm").read_text().strip() == "postgres")


def _cpu_seconds(chosen: Callable[[Path, list[str]], bool]) -> float:
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if chosen(proc, fields):
                total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        except OSError:
            continue
    return total / ticks
