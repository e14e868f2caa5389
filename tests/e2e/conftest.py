"""End-to-end harness: real Celery worker processes, a real emulator on loopback, Redis, a store.

Each test gets a flushed Redis, an empty store, a fresh emulator and its own accounts
file; workers are `celery worker` subprocesses started with the same env as production.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from sqlmodel import Session, select

from emulator import Emulator, make_wb_token, make_ym_key, seller_id, ym_business_id
from harvester.core.clock import DAY_GRACE, now
from harvester.core.settings import get_settings
from harvester.models import JobStatus, ReportJob, WorkUnit
from harvester.pipeline.flows.jobs import ensure_job
from harvester.pipeline.store.db import get_engine, session_scope
from harvester.worker import wakeups
from harvester.worker.routing import QUEUES
from harvester.worker.runtime import get_runtime, redis_url
from harvester.worker.tasks import flow_step

pytestmark = pytest.mark.e2e

TIME_SCALE = 600.0


@dataclass
class Harness:
    tmp: Path
    env: dict[str, str]
    emulator: Emulator
    workers: list[subprocess.Popen] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    def add_wb_account(self, account_id: str, scopes: tuple[str, ...] = ("analytics",), generation: str = "current",
                       in_file: bool = False, seller: str = "", **token: Any) -> str:
        """Add a WB account, its token in an env var or a file (as in production); returns its seller id.
        The seller is the account's namesake unless another is given (two entries, one seller)."""
        self.tokens[account_id] = make_wb_token(seller or account_id, list(scopes), **token)
        if in_file:
            source = f'token_file = "{self.token_path(account_id)}"'
            self.token_path(account_id).write_text(self.tokens[account_id])
        else:
            var = f"HV_TEST_TOKEN_{len(self.tokens)}"
            self.env[var] = os.environ[var] = self.tokens[account_id]
            source = f'token_env = "{var}"'
        with open(self.env["HARVESTER_ACCOUNTS_FILE"], "a") as f:
            f.write(f'[[accounts]]\nid = "{account_id}"\nmarketplace = "wb"\n{source}\n'
                    f'wb_api_generation = "{generation}"\n\n')
        return seller_id(seller or account_id)

    def add_ym_account(self, account_id: str, campaigns: int = 2, skus: int = 1200, tier: str = "none",
                       scopes: tuple[str, ...] = ("all-methods:read-only",)) -> str:
        """Add a Yandex Market cabinet (its key in an env var); returns its emulator seller id."""
        self.tokens[account_id] = make_ym_key(account_id, scopes, tier=tier, campaigns=campaigns, skus=skus)
        var = f"HV_TEST_TOKEN_{len(self.tokens)}"
        self.env[var] = os.environ[var] = self.tokens[account_id]
        business = ym_business_id(account_id)
        with open(self.env["HARVESTER_ACCOUNTS_FILE"], "a") as f:
            f.write(f'[[accounts]]\nid = "{account_id}"\nmarketplace = "ym"\ntoken_env = "{var}"\n'
                    f'business_id = {business}\nsubscription = "{tier}"\n\n')
        return f"ym:{business}"

    def token_path(self, account_id: str) -> Path:
        return self.tmp / f"{account_id}.token"

    def emulator_post(self, path: str, body: dict[str, Any]) -> None:
        requests.post(f"{self.emulator.url}{path}", json=body, timeout=5).raise_for_status()

    def start_worker(self, concurrency: int = 1, beat: bool = False, cwd: Path | None = None,
                     queues: str = ",".join(QUEUES), **env: str) -> subprocess.Popen:
        """A `celery worker` node on `queues` (with beat when asked), run from `cwd` (another
        checkout, for benchmarks) or here."""
        n = len(self.workers)
        cmd = [sys.executable, "-m", "celery", "-A", "harvester.worker.app", "worker", "-P", "prefork",
               "-c", str(concurrency), "-Q", queues, "-n", f"w{n}@%h", "--loglevel", "INFO",
               "--without-gossip", "--without-mingle", "--without-heartbeat"]
        if beat:
            cmd += ["-B", "-s", str(self.tmp / f"beat-{n}")]
        with open(self.tmp / f"worker-{n}.log", "w") as log:  # the child keeps its own copy
            proc = subprocess.Popen(cmd, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, cwd=cwd)
        self.workers.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL a worker and its pool children, as the OOM killer would."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def logs(self, beat: bool = True) -> str:
        """The worker nodes' logs; without beat's lines (one a second), the end of them says what the workers did."""
        text = "".join(p.read_text() for p in sorted(self.tmp.glob("worker-*.log")))
        return text if beat else "".join(line for line in text.splitlines(True) if '"celery.beat"' not in line)

    def stats(self, sid: str) -> dict[str, Any]:
        sellers = requests.get(f"{self.emulator.url}/__emulator/stats", timeout=5).json()["sellers"]
        return {"requests": 0, "429": 0, "401": 0, "tasks_created": 0, "reports_created": 0, "by_route": {},
                **sellers.get(sid, {})}

    def jobs(self, status: JobStatus | None = None) -> list[ReportJob]:
        """Report jobs, all or those in one status."""
        return [j for j in self.all(ReportJob) if status is None or j.status == status]

    def start_job(self, account_id: str, endpoint: str, window: tuple[dt.date, dt.date]) -> int:
        """Open a report job for one window and queue its first step, as dispatch would."""
        with session_scope() as session:
            job, _ = ensure_job(session, account_id, endpoint, window, dt.timedelta(hours=1))
        flow_step.delay(job.id, account_id, endpoint)
        return job.id  # type: ignore[return-value]

    def session(self) -> Session:
        return Session(get_engine())

    def all(self, model: Any) -> list[Any]:
        with self.session() as s:
            return list(s.exec(select(model)))

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 60, what: str = "condition",
                 every: float = 0.2) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(every)
        jobs = "\n".join(f"job {j.id} {j.endpoint} {j.status.value} attempts={j.attempts} retries={j.retries} "
                         f"error={j.last_error!r}" for j in self.all(ReportJob))
        raise AssertionError(f"timed out after {timeout}s waiting for {what}\n--- report jobs ---\n{jobs}\n"
                             f"--- units not done, and where their wake-ups are ---\n{self.where_units_wait()}\n"
                             f"--- worker logs (beat's lines left out) ---\n{self.logs(beat=False)[-6000:]}")

    def where_units_wait(self) -> str:
        """Each unfinished unit's state and lease beside the Redis notes of its wake-up: what a
        test that timed out needs to tell a unit nobody woke from one a worker sits on."""
        client = redis.Redis.from_url(redis_url(self.env["HARVESTER_BROKER_URL"]), decode_responses=True)
        notes = {key: dict(client.zrange(key, 0, -1, withscores=True)) for key in (wakeups.PARKED, wakeups.QUEUED)}
        notes |= {key: client.hgetall(key) for key in (wakeups.LINED, wakeups.RECEIVED)}
        seconds, micros = client.time()
        lines = [f"nodes {client.hgetall(wakeups.NODES)}, Redis now {seconds * 1000 + micros // 1000} ms"]
        for unit in self.all(WorkUnit):
            if not unit.state.final:
                where = {key: found[str(unit.id)] for key, found in notes.items() if str(unit.id) in found}
                lines.append(f"unit {unit.id} {unit.endpoint} {unit.state.value} due={unit.due_at} "
                             f"owner={unit.lease_owner} until={unit.lease_until} {where}")
        return "\n".join(lines[:40])


def day_start() -> float:
    """00:01 UTC of the harvester's (Moscow) day, where the emulator's clock starts: both sides
    then share one calendar day, and at 600× it lasts 126 s of real time (21 h emulated) before
    the emulated Moscow midnight, so a test never sees a day's figures change under it. After it
    the emulator is ahead, which is safe; behind, it would refuse the harvester's today as the
    future. So the day is the harvester's as it will be in 126 s: close to the wall clock's Moscow
    midnight, the next one."""
    shared = dt.timedelta(hours=21) / TIME_SCALE
    day = (now() + shared - DAY_GRACE).date()
    return dt.datetime(day.year, day.month, day.day, 0, 1, tzinfo=dt.UTC).timestamp()


@contextmanager
def open_harness(tmp_path: Path, redis_url_: str, database_url: str, monkeypatch: pytest.MonkeyPatch,
                 **emulator: Any) -> Iterator[Harness]:
    """A flushed Redis, an emulator and an accounts file; workers started by the test are stopped after."""
    redis.Redis.from_url(redis_url(redis_url_)).flushdb()
    emu = Emulator(port=0, **{"time_scale": TIME_SCALE, "seed": 7, "task_new_s": 5, "task_ready_s": 30,
                              "start": day_start(),
                              **emulator}).start()
    accounts = tmp_path / "accounts.toml"
    accounts.write_text("")
    env = {
        **os.environ,
        "HARVESTER_BROKER_URL": redis_url_,
        "HARVESTER_DATABASE_URL": database_url,
        "HARVESTER_ACCOUNTS_FILE": str(accounts),
        "HARVESTER_EMULATOR_URL": emu.url,
        "HARVESTER_TIME_SCALE": str(emu.clock.time_scale),
        "HARVESTER_INITIAL_DAYS": "10",
        "HARVESTER_SWEEP_INTERVAL": "1",
        "HARVESTER_DISPATCH_AT_START": "false",  # tests queue what they mean to; test_ops checks it on
        "HARVESTER_LEASE_TTL": "3",
        "HARVESTER_NODE_TIMEOUT": "2",
        "HARVESTER_IN_FLIGHT_TTL": "5",
        "HARVESTER_MAX_RETRIES": "3",
        "HARVESTER_LOG_FORMAT": "json",
        "HARVESTER_ENV_FILE": "/nonexistent",
    }
    for key, value in env.items():
        if key.startswith("HARVESTER_"):
            monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    get_runtime.cache_clear()
    h = Harness(tmp_path, env, emu)
    try:
        yield h
    finally:
        h.stop_all()
        emu.stop()
        get_settings.cache_clear()
        get_runtime.cache_clear()


@pytest.fixture
def harness(tmp_path: Path, shared_redis_url: str, database_url: str,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    with open_harness(tmp_path, shared_redis_url, database_url, monkeypatch) as h:
        yield h
