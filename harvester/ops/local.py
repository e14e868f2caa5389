"""Running the harvester on one machine: `harvester up`, `run-once` and `demo` share this.

A Celery worker (with beat when asked) runs as a child process with the same code paths as
production; without a configured broker an embedded Redis is started beside it.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlmodel import Session, select

from harvester.catalog import endpoints_for
from harvester.core.accounts import get_accounts
from harvester.core.clock import today
from harvester.core.settings import get_settings
from harvester.models import HarvestRun, Watermark
from harvester.ops.embedded import embedded_redis
from harvester.pipeline.schedule import due_windows
from harvester.pipeline.store.db import get_engine
from harvester.worker.routing import QUEUES

Targets = dict[tuple[str, str], dt.date]


@contextmanager
def broker(workdir: Path) -> Iterator[str]:
    """The configured broker, or an embedded Redis for as long as the block runs."""
    configured = get_settings().broker_url
    if configured:
        yield configured
        return
    with embedded_redis(workdir / "redis") as url:
        os.environ["HARVESTER_BROKER_URL"] = url
        get_settings.cache_clear()
        try:
            yield url
        finally:
            os.environ.pop("HARVESTER_BROKER_URL", None)
            get_settings.cache_clear()


@contextmanager
def worker(workdir: Path, concurrency: int = 4, beat: bool = True) -> Iterator[subprocess.Popen]:
    """A Celery worker on every queue (and beat) as a child process; stopped warmly at the end."""
    cmd = [sys.executable, "-m", "celery", "-A", "harvester.worker.app", "worker", "-c", str(concurrency),
           "-Q", ",".join(QUEUES), "--loglevel", "INFO"]
    if beat:
        cmd += ["-B", "-s", str(workdir / "beat-schedule")]
    with open(workdir / "worker.log", "a") as log_file:
        proc = subprocess.Popen(cmd, env=dict(os.environ), stdout=log_file, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def due_targets() -> Targets:
    """For every account × endpoint with work due now, the window end it must reach."""
    settings, targets = get_settings(), {}
    with Session(get_engine()) as session:
        marks = {(m.account_id, m.endpoint): m.complete_until for m in session.exec(select(Watermark))}
    for account in get_accounts().values():
        for endpoint in endpoints_for(account.marketplace, account.wb_api_generation):
            windows = due_windows(endpoint.window, marks.get((account.id, endpoint.name)), today(),
                                  settings.initial_days)
            if windows:
                targets[(account.id, endpoint.name)] = windows[-1][1]
    return targets


def wait_settled(targets: Targets, since: dt.datetime, timeout: float,
                 progress: Callable[[int, int], object] = lambda landed, total: None) -> tuple[bool, bool]:
    """Wait until every target is reached or failed since `since`: (all settled, all succeeded).
    `progress` hears (landed, total) after every look."""
    deadline = time.monotonic() + timeout
    while True:
        with Session(get_engine()) as session:
            marks = {(m.account_id, m.endpoint): m.complete_until for m in session.exec(select(Watermark))}
            failed = {(r.account_id, r.endpoint) for r in session.exec(
                select(HarvestRun).where(HarvestRun.status == "failed", HarvestRun.finished_at >= since))}
        ok = {pair: (mark := marks.get(pair)) is not None and mark >= end for pair, end in targets.items()}
        progress(sum(ok.values()), len(ok))
        settled = all(done or pair in failed for pair, done in ok.items())
        if settled or time.monotonic() > deadline:
            return settled, all(ok.values())
        time.sleep(1)


def preflight() -> str | None:
    """Why the harvester cannot start (broker, database or accounts unreachable), or None."""
    import redis
    from sqlalchemy.exc import OperationalError

    from harvester.core.settings import SettingsError
    from harvester.worker.runtime import redis_url

    settings = get_settings()
    try:
        redis.Redis.from_url(redis_url(settings.broker_url or ""), socket_connect_timeout=3).ping()
    except (redis.RedisError, ValueError) as exc:
        return f"cannot reach the broker at HARVESTER_BROKER_URL: {exc}"
    try:
        get_engine()
    except OperationalError as exc:
        return f"cannot reach the database at HARVESTER_DATABASE_URL: {str(exc.orig).splitlines()[0]}"
    try:
        get_accounts()
    except SettingsError as exc:
        return str(exc)
    return None
