"""Chaos: real worker processes, Redis and PostgreSQL under faults, and nothing lost.

Each test runs one scenario (2 WB sellers: a paged snapshot, ten daily funnel windows, paid
storage in two tasks, a CSV report; 1 YM cabinet: SKU discovery, stats/skus, the stocks
report) through a fault, then checks the store against the emulator: every unit of work
finished DONE, every table holds exactly what the emulator served, no report was created
twice, no quota was overspent, not one 429 or 420. Servers that a test restarts
are private instances on free ports; the machine's shared Redis and PostgreSQL are never
touched. Every wait is bounded.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlmodel import select

from emulator import ym_business_id, ym_campaign_ids
from emulator.wb.data import seller as data
from emulator.wb.data.csv_files import csv_report
from emulator.ym.data import catalogue as ymdata
from emulator.ym.data import report_files as ym_files
from harvester.catalog import get_endpoint
from harvester.core.accounts import get_accounts
from harvester.core.clock import today
from harvester.core.request import fill_template
from harvester.models import HarvestRun, JobStatus, ReportJob, WbFunnelDetailHistory, WbPaidStorage, WorkState, WorkUnit
from harvester.models.state import utcnow
from harvester.models.ym import YmStocksOnWarehouses
from harvester.pipeline.store import ledger
from harvester.pipeline.store.db import session_scope
from harvester.worker import wakeups
from harvester.worker.app import app
from harvester.worker.routing import QUEUES
from harvester.worker.runtime import redis_url
from harvester.worker.tasks import backfill, dispatch, reconcile
from tests.servers import private_postgres, private_redis

from . import rows
from .conftest import Harness, open_harness

SEED = 7
SYNC = ("wb.stocks_products", "wb.funnel.products")
YM_SYNC = ("ym.offer_mappings", "ym.stats_skus")  # stats/skus reads the SKUs discovery found
YM = (*YM_SYNC, "ym.report.stocks_on_warehouses")
ENDPOINTS = (*SYNC, "wb.paid_storage", "wb.csv.detail_history", *YM)
UNITS_PER_SELLER = 1 + 10 + 2 + 1  # a snapshot, ten days, 8 + 2 days of paid storage, one report
YM_UNITS = 1 + 1 + 1  # two snapshots, one report
CABINET, SKUS = "chaos-ym", 60


def _sellers(h: Harness) -> dict[str, str]:
    """The WB sellers by account (their emulator ids as values); the YM cabinet is added too."""
    h.emulator.record = True
    h.add_ym_account(CABINET, campaigns=1, skus=SKUS)
    return {account: h.add_wb_account(account) for account in ("chaos-1", "chaos-2")}


def _dispatch(h: Harness) -> None:
    """As ops would: the CLI, against the harness's broker (which may be a private one). Beat
    dispatches stats/skus once discovery has succeeded."""
    for endpoint in ENDPOINTS:
        subprocess.run([sys.executable, "-c", "from harvester.ops.cli import main; main()", "dispatch",
                        "--endpoint", endpoint], env=h.env, check=True, capture_output=True, timeout=60)


def _units(h: Harness) -> list[WorkUnit]:
    with h.session() as session:
        return [u for u in session.exec(select(WorkUnit)) if u.endpoint in ENDPOINTS]


def _converged(h: Harness, sellers: int) -> bool:
    units = _units(h)
    return len(units) >= sellers * UNITS_PER_SELLER + YM_UNITS and all(u.state.final for u in units)


def _supervise(h: Harness, nodes: list[subprocess.Popen], until: float, sellers: int) -> None:
    """Wait for convergence, starting again any worker node that exited (as systemd does)."""
    deadline = time.monotonic() + until
    while time.monotonic() < deadline:
        if _converged(h, sellers):
            return
        for i, node in enumerate(nodes):
            if node.poll() is not None:
                nodes[i] = h.start_worker(concurrency=2, beat=i == 0)
        time.sleep(0.5)
    states = sorted((u.endpoint, str(u.window_start), u.state.value, u.last_error or "") for u in _units(h))
    raise AssertionError(f"not converged in {until}s: {states}\n{h.logs()[-4000:]}")


def _served_storage(sid: str, jobs: list[ReportJob]) -> list[dict]:
    """The rows of the paid-storage windows the harvester chose: HARVESTER_INITIAL_DAYS=10 days
    up to its yesterday (its own: the test's may be another day's, at midnight), in WB's
    8-day tasks, then a day's window for each emulated day that turned during the test (at 600×
    a day is 144 s)."""
    windows = sorted((j.window_start, j.window_end) for j in jobs)
    assert [(end - start).days + 1 for start, end in windows[:2]] == [8, 2] and windows[-1][1] < today()
    assert all(later[0] == earlier[1] + dt.timedelta(days=1) for earlier, later in pairwise(windows))
    return [row for start, end in windows for row in data.paid_storage(SEED, sid, start, end)]


def _served_csv(sid: str, window: tuple[dt.date, dt.date]) -> int:
    flow = get_endpoint("wb.csv.detail_history").flow
    params = fill_template(flow.params, {"start": window[0].isoformat(), "end": window[1].isoformat()})
    return len(csv_report(SEED, sid, flow.report_type, params)[1])


def _exchanges_that_parse(h: Harness) -> list:
    """Answers a harvest could have loaded: a malformed (truncated) body was never stored."""
    parsed = []
    for exchange in h.emulator.exchanges:
        try:
            json.loads(exchange.response.body or b"null")
        except ValueError:
            continue
        parsed.append(exchange)
    return parsed


def _assert_truth(h: Harness, sids: dict[str, str], wiped_at: float | None = None) -> None:
    """Every unit done, every row served stored once, no report or task made twice, and no 429:
    none at all, or, where Redis was wiped at `wiped_at`, none before and at most one a route
    after (its buckets start full again, while WB's may have been spent a moment before)."""
    units = _units(h)
    unfinished = [(u.endpoint, u.state.value, u.last_error) for u in units if u.state != WorkState.DONE]
    assert not unfinished, unfinished
    funnel_days = {(u.account_id, u.window_start) for u in units if u.endpoint == "wb.funnel.products"}
    assert len(funnel_days) == 10 * len(sids)  # no daily window lost
    candidates = [get_endpoint(name) for name in SYNC]
    accounts = {sid: get_accounts()[account] for account, sid in sids.items()}
    served = rows.served(_exchanges_that_parse(h), accounts, candidates)
    stored = rows.stored(h, candidates)
    for endpoint in candidates:
        for table in endpoint.tables:
            key = [i for i, column in enumerate(table.columns) if column.primary_key]
            for account in sids:
                mine, theirs = stored.get((account, table.name), set()), served.get((account, table.name), set())
                # Snapshot figures move with the emulator's clock, so a window fetched twice (a worker
                # killed after the answer) was served twice: every stored row was served, and no key
                # was lost or added.
                assert mine <= theirs, table.name
                assert {tuple(r[i] for i in key) for r in mine} == {tuple(r[i] for i in key) for r in theirs}
    for account, sid in sids.items():
        jobs = [j for j in h.jobs() if j.account_id == account]
        storage_jobs = [j for j in jobs if j.endpoint == "wb.paid_storage"]
        storage = [r for r in h.all(WbPaidStorage) if r.account_id == account]
        assert len(storage) == len(_served_storage(sid, storage_jobs))
        assert {j.status for j in jobs} == {JobStatus.DONE}
        report = next(j for j in jobs if j.endpoint == "wb.csv.detail_history")
        landed = [r for r in h.all(WbFunnelDetailHistory) if r.account_id == account]
        assert len(landed) == report.rows == _served_csv(sid, (report.window_start, report.window_end))
        stats = h.stats(sid)
        assert stats["reports_created"] == report.attempts  # our own id: looked up, never created twice
        unconfirmed = [r for r in h.all(HarvestRun) if r.account_id == account and r.status == "unconfirmed"]
        assert stats["tasks_created"] <= sum(j.attempts for j in storage_jobs) + len(unconfirmed)
        assert stats["reports_created"] <= 20
    limited = [(x.route, x.at) for x in h.emulator.exchanges if x.response.status == 429]
    if wiped_at is None:
        assert not limited
    else:
        assert all(at > wiped_at for _, at in limited) and len({r for r, _ in limited}) == len(limited), limited
    _assert_ym_truth(h)


def _assert_ym_truth(h: Harness) -> None:
    """The cabinet's discovery and stats/skus hold what was served (as the WB snapshots above),
    its stocks report what the emulator generated, made once per attempt, and no 420."""
    sid, account = f"ym:{ym_business_id(CABINET)}", get_accounts()[CABINET]
    candidates = [get_endpoint(name) for name in YM_SYNC]
    served = rows.served(_exchanges_that_parse(h), {sid: account}, candidates)
    stored = rows.stored(h, candidates)
    for endpoint in candidates:
        for table in endpoint.tables:
            key = [i for i, column in enumerate(table.columns) if column.primary_key]
            mine, theirs = stored.get((CABINET, table.name), set()), served.get((CABINET, table.name), set())
            assert mine and mine <= theirs, table.name
            assert {tuple(r[i] for i in key) for r in mine} == {tuple(r[i] for i in key) for r in theirs}
    (report,) = [j for j in h.jobs() if j.account_id == CABINET]
    business = ym_business_id(CABINET)
    stores = [c for c in ym_campaign_ids(business, 1) if ymdata.placement(business, c) not in ("FBY", "LAAS")]
    expected = ym_files.stocks_rows(SEED, business, stores, SKUS, report.window_end)
    landed = [r for r in h.all(YmStocksOnWarehouses) if r.account_id == CABINET]
    assert report.status == JobStatus.DONE and len(landed) == report.rows == len(expected)
    stats = h.stats(sid)
    # YM has no list of generated reports: a create whose answer was cut is created again, recorded
    # as unconfirmed (as WB's paid-storage tasks above)
    unconfirmed = [r for r in h.all(HarvestRun) if r.job_id == report.id and r.status == "unconfirmed"]
    assert report.attempts <= stats["reports_created"] <= report.attempts + len(unconfirmed)
    assert stats["429"] == 0  # the emulator counts 420s as 429s


@pytest.fixture
def private_redis_harness(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    with private_redis() as server, open_harness(tmp_path, server.url, database_url, monkeypatch) as h:
        yield h, server


@pytest.fixture
def private_postgres_harness(tmp_path: Path, shared_redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    with private_postgres() as server, open_harness(tmp_path, shared_redis_url, server.url, monkeypatch) as h:
        yield h, server


def test_sigkilled_worker_nodes_lose_no_window_and_create_no_report_twice(harness: Harness) -> None:
    sids = _sellers(harness)
    nodes = [harness.start_worker(concurrency=1, beat=True), harness.start_worker(concurrency=2),
             harness.start_worker(concurrency=2)]
    _dispatch(harness)
    for i in range(8):  # SIGKILL a busy node, as the OOM killer would, and start another
        time.sleep(1.0)
        victim = 1 + i % 2
        harness.kill(nodes[victim])
        nodes[victim] = harness.start_worker(concurrency=2)
    _supervise(harness, nodes, 240, len(sids))
    _assert_truth(harness, sids)


def test_a_redis_restart_without_persistence_loses_no_work(private_redis_harness: tuple) -> None:
    harness, server = private_redis_harness
    sids = _sellers(harness)
    nodes = [harness.start_worker(concurrency=2, beat=True), harness.start_worker(concurrency=2)]
    _dispatch(harness)
    harness.wait_for(lambda: len(_units(harness)) >= len(sids) * UNITS_PER_SELLER
                     and any(u.state == WorkState.DONE for u in _units(harness)), 60, "every unit written, some done")
    wiped_at = time.time()
    server.restart()  # every message, parked wake-up, booking and bucket is gone
    _supervise(harness, nodes, 240, len(sids))
    _assert_truth(harness, sids, wiped_at)


def test_postgresql_stopped_and_started_loses_no_work_and_counts_no_attempt(private_postgres_harness: tuple) -> None:
    harness, server = private_postgres_harness
    sids = _sellers(harness)
    nodes = [harness.start_worker(concurrency=2, beat=True), harness.start_worker(concurrency=2)]
    _dispatch(harness)
    harness.wait_for(lambda: any(u.state == WorkState.DONE for u in _units(harness)), 60, "some progress")
    server.stop()  # the dispatches still queued wait it out too
    time.sleep(5)  # 50 emulated minutes without a database
    server.start()
    _supervise(harness, nodes, 240, len(sids))
    _assert_truth(harness, sids)
    assert not [r for r in harness.all(HarvestRun) if r.status == "failed" and r.endpoint in ENDPOINTS]


def test_api_faults_converge_without_a_human(harness: Harness) -> None:
    sids = _sellers(harness)
    # 30 % of reports fail: at the default 3 rebuilds, 1 CSV report in 120 fails 4 times running.
    harness.env.update(HARVESTER_MAX_RETRIES="12", HARVESTER_REPORT_MAX_RETRIES="12", HARVESTER_FLOW_MAX_ATTEMPTS="6")
    harness.emulator_post("/__emulator/faults", {"error_rate": 0.2, "malformed_rate": 0.1, "latency_ms": 50,
                                                 "report_fail_rate": 0.3})
    nodes = [harness.start_worker(concurrency=2, beat=True), harness.start_worker(concurrency=2)]
    _dispatch(harness)
    _supervise(harness, nodes, 240, len(sids))
    _assert_truth(harness, sids)


def _wakeups(h: Harness) -> int:
    """Wake-ups out: in the broker, parked, or lined up for a token (a unit admitted from its
    line is parked and still noted as lined until it is released)."""
    client = redis.Redis.from_url(redis_url(h.env["HARVESTER_BROKER_URL"]), decode_responses=True)
    waiting = set(client.zrange(wakeups.PARKED, 0, -1)) | set(client.hkeys(wakeups.LINED))
    return sum(client.llen(queue) for queue in QUEUES) + len(waiting)


def _logged(h: Harness, event: str) -> list[dict[str, Any]]:
    """The workers' JSON log lines of one event, in order."""
    lines = (json.loads(line) for line in h.logs().splitlines() if line.startswith("{"))
    return [line for line in lines if line.get("event") == event]


def test_a_dispatch_while_earlier_windows_still_wait_queues_nothing_twice(harness: Harness) -> None:
    harness.add_wb_account("waiting")
    harness.start_worker(queues="control")  # dispatch runs; the windows it queues wait, lined or in the broker
    dispatch.delay(endpoint="wb.funnel.products")
    dispatch.delay(endpoint="wb.funnel.products")
    runs = harness.wait_for(lambda: len(found := _logged(harness, "dispatched")) == 2 and found, 60, "two dispatches")
    units = _units(harness)
    # The second cycle adds only the lookback days before the first window (the anchored
    # watermark's), never a window already queued: one wake-up per unit of work, not two.
    assert runs[0]["tasks"] == 10 and sum(run["tasks"] for run in runs) == len(units)
    # The releaser moves wake-ups from the line to the broker meanwhile, and the count reads
    # three places one after the other: it holds once no move falls between the reads.
    harness.wait_for(lambda: _wakeups(harness) == len(units), 10, "one wake-up per unit")
    assert {u.state for u in units} == {WorkState.QUEUED}


def test_a_backfill_run_again_leaves_done_windows_alone(harness: Harness) -> None:
    sid = harness.add_wb_account("history")
    harness.start_worker(concurrency=2)
    since, until = (today() - dt.timedelta(days=16)).isoformat(), (today() - dt.timedelta(days=1)).isoformat()
    backfill.delay("history", "wb.paid_storage", since, until)
    harness.wait_for(lambda: len(harness.jobs(JobStatus.DONE)) == 2, 90, "two paid-storage windows")
    created = harness.stats(sid)["tasks_created"]
    backfill.delay("history", "wb.paid_storage", since, until)
    harness.wait_for(lambda: len(_logged(harness, "backfill_queued")) == 2, 60, "the second backfill")
    assert [run["tasks"] for run in _logged(harness, "backfill_queued")] == [2, 0]  # done: nothing queued
    backfill.delay("history", "wb.paid_storage", since, until, True)  # asked to: once more
    harness.wait_for(lambda: harness.stats(sid)["tasks_created"] == created + 2
                     and len(harness.jobs(JobStatus.DONE)) == 2, 90, "the refresh")


# A worker node that reserves one wake-up and dies at once, before it can say it holds it.
_RESERVE_AND_DIE = ("import os, sys, kombu; "
                    "kombu.Connection(sys.argv[1]).SimpleQueue(sys.argv[2]).get(timeout=10); os._exit(0)")


def _due_unit(account: str, ago: float = 10) -> WorkUnit:
    """A queued harvest of `account`, due `ago` seconds before now (the reconciler's grace is less)."""
    with session_scope() as session:
        unit = ledger.enqueue(session, account, "wb.stocks_products", (today(), today()), queued_by="test")
        assert unit is not None
        unit.due_at = utcnow() - dt.timedelta(seconds=ago)
        session.add(unit)
    return unit


def test_a_wakeup_reserved_by_a_node_that_died_before_noting_it_is_sent_again(harness: Harness) -> None:
    client = redis.Redis.from_url(redis_url(harness.env["HARVESTER_BROKER_URL"]), decode_responses=True)
    unit = _due_unit("gone")
    assert wakeups.waiting(client, [unit], 2) == [False]  # due, and no wake-up anywhere
    assert wakeups.send(app, client, [unit]) == [unit.id]
    queue = "wb"  # harvests of WB windows
    subprocess.run([sys.executable, "-c", _RESERVE_AND_DIE, harness.env["HARVESTER_BROKER_URL"], queue],
                   check=True, timeout=30)
    assert client.llen(queue) == 0 and client.hlen(wakeups.BROKER_RESERVED) == 1
    assert reconcile.run() == 0  # just reserved: its node may yet say so
    [(tag, at)] = client.zrange(wakeups.BROKER_RESERVED_AT, 0, -1, withscores=True)
    client.zadd(wakeups.BROKER_RESERVED_AT, {tag: at - 60})  # a minute later, no node has claimed it
    assert reconcile.run() == 1 and client.llen(queue) == 1


def test_a_wakeup_popped_by_a_node_that_died_before_the_broker_recorded_it_is_sent_again(harness: Harness) -> None:
    """kombu pops a message, then records it as reserved: a node killed between the two leaves
    it nowhere. One waiting as long in its queue, behind a backlog, is left alone."""
    client = redis.Redis.from_url(redis_url(harness.env["HARVESTER_BROKER_URL"]), decode_responses=True)
    popped, behind = _due_unit("gone", ago=120), _due_unit("slow", ago=120)
    queue = "wb"
    assert wakeups.send(app, client, [popped, behind]) == [popped.id, behind.id]
    client.zadd(wakeups.QUEUED, {str(u.id): client.zscore(wakeups.QUEUED, str(u.id)) - 100_000  # type: ignore[operator]
                                 for u in (popped, behind)})  # sent when due
    assert reconcile.run() == 0  # both wait in the queue
    assert client.rpop(queue) is not None  # the oldest, as a worker's BRPOP takes it
    assert reconcile.run() == 1
    assert wakeups.Queues(client).read(queue)[1] == {str(popped.id), str(behind.id)}
