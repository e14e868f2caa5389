"""Long-running report flows end to end: WB CSV reports, paid storage backfills, paid acceptance."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest

from emulator.wb.data.acceptance import acceptance
from emulator.wb.data.csv_files import csv_report
from harvester.catalog import get_endpoint
from harvester.core.clock import today
from harvester.models import (
    JobStatus,
    ReportQuota,
    WbAcceptanceReport,
    WbFunnelDetailHistory,
    WbPaidStorage,
    WorkState,
    WorkUnit,
)
from harvester.worker.tasks import backfill, dispatch

from .conftest import Harness

SEED = 7
YESTERDAY = today() - dt.timedelta(days=1)


def _served(sid: str, endpoint: str, window: tuple[dt.date, dt.date]) -> list[list[str]]:
    from harvester.core.request import fill_template

    flow = get_endpoint(endpoint).flow
    params = fill_template(flow.params, {"start": window[0].isoformat(), "end": window[1].isoformat()})
    return csv_report(SEED, sid, flow.report_type, params)[1]


def test_every_csv_report_type_lands_what_the_emulator_served(harness: Harness) -> None:
    sid = harness.add_wb_account("shop")
    harness.start_worker(concurrency=2)
    for name in ("detail_history", "grouped_history", "search_queries_group", "search_queries_product",
                 "search_queries_text", "stock_history", "stock_daily"):
        dispatch.delay(endpoint=f"wb.csv.{name}")
    harness.wait_for(lambda: len(harness.jobs()) >= 7 and all(j.status.terminal for j in harness.jobs()), 120,
                     "reports")
    assert {j.status for j in harness.jobs()} == {JobStatus.DONE}, [(j.endpoint, j.last_error) for j in harness.jobs()]
    for job in harness.jobs():
        served = _served(sid, job.endpoint, (job.window_start, job.window_end))
        melted = job.endpoint == "wb.csv.stock_daily"
        expected = sum(1 for row in served for cell in row[8:] if cell.strip()) if melted else len(served)
        assert job.rows == expected, job.endpoint
    for endpoint in {j.endpoint for j in harness.jobs()}:
        stored = len(harness.all(get_endpoint(endpoint).model))
        assert stored == sum(j.rows for j in harness.jobs() if j.endpoint == endpoint), endpoint
    assert harness.stats(sid)["reports_created"] == len(harness.jobs())
    assert harness.stats(sid)["429"] == 0


def test_a_report_that_fails_twice_is_retried_and_loaded_once(harness: Harness) -> None:
    sid = harness.add_wb_account("flaky")
    harness.emulator_post("/__emulator/report_faults", {"seller": sid, "fail_times": 2})
    harness.start_worker(concurrency=1)
    window = (YESTERDAY - dt.timedelta(days=2), YESTERDAY)
    harness.start_job("flaky", "wb.csv.detail_history", window)
    harness.wait_for(lambda: harness.jobs(JobStatus.DONE), 90, "the report to load")
    job = harness.jobs()[0]
    assert (job.retries, job.attempts) == (2, 1)
    assert harness.stats(sid)["reports_created"] == 1
    assert len(harness.all(WbFunnelDetailHistory)) == len(_served(sid, "wb.csv.detail_history", window)) == job.rows


def test_25_reports_in_one_day_never_create_more_than_20(harness: Harness) -> None:
    sid = harness.add_wb_account("greedy")
    harness.start_worker(concurrency=4)
    for i in range(25):
        day = YESTERDAY - dt.timedelta(days=i)
        harness.start_job("greedy", "wb.csv.detail_history", (day, day))
    harness.wait_for(lambda: len(harness.jobs(JobStatus.DONE)) >= 20, 120, "20 reports")
    time.sleep(1)  # give the other 5 every chance to overspend
    assert len(harness.jobs(JobStatus.DONE)) == 20
    waiting = [j for j in harness.jobs() if j.status == JobStatus.NEW]
    assert len(waiting) == 5 and all("quota" in (j.last_error or "") for j in waiting)
    assert harness.stats(sid)["reports_created"] == 20 and harness.stats(sid)["429"] == 0
    assert [q.used for q in harness.all(ReportQuota)] == [20]


@pytest.mark.parametrize("step", ["create", "poll", "download", "load"])
def test_a_worker_killed_at_any_step_never_creates_a_second_report(harness: Harness, step: str) -> None:
    sid = harness.add_wb_account("crashy")
    window = (YESTERDAY - dt.timedelta(days=59), YESTERDAY)  # a large file, so the load takes a while
    if step in ("create", "download"):
        harness.emulator.set_faults(latency_ms=1500)  # the call is in flight when the worker dies
    first = harness.start_worker(concurrency=1)
    harness.start_job("crashy", "wb.csv.detail_history", window)
    file_route = "GET /api/v2/nm-report/downloads/file/{downloadId}"
    reached = {
        "create": lambda: harness.jobs(JobStatus.CREATING),
        "poll": lambda: harness.jobs(JobStatus.POLLING),
        "download": lambda: harness.jobs(JobStatus.DOWNLOADING),
        "load": lambda: harness.jobs(JobStatus.DOWNLOADING) and harness.stats(sid)["by_route"].get(file_route),
    }[step]
    harness.wait_for(reached, 90, f"the {step} step", every=0.02)
    harness.kill(first)
    harness.emulator.set_faults(latency_ms=0)
    time.sleep(2)  # let an in-flight create land at the emulator
    harness.start_worker(concurrency=1, beat=True)
    harness.wait_for(lambda: harness.jobs(JobStatus.DONE), 120, "the flow to finish")
    assert harness.stats(sid)["reports_created"] == 1
    served = _served(sid, "wb.csv.detail_history", window)
    assert len(harness.all(WbFunnelDetailHistory)) == len(served) == harness.jobs()[0].rows


def test_paid_storage_backfills_any_period_as_consecutive_8_day_tasks(harness: Harness) -> None:
    from emulator.wb.data.seller import paid_storage

    sid = harness.add_wb_account("history")
    harness.start_worker(concurrency=2)
    since = YESTERDAY - dt.timedelta(days=19)
    backfill.delay("history", "wb.paid_storage", since.isoformat(), YESTERDAY.isoformat())
    harness.wait_for(lambda: len(harness.jobs(JobStatus.DONE)) == 3, 90, "3 tasks")
    assert sorted((j.window_end - j.window_start).days + 1 for j in harness.jobs()) == [4, 8, 8]
    assert harness.stats(sid)["tasks_created"] == 3
    served = sum(1 for j in harness.jobs() for _ in paid_storage(SEED, sid, j.window_start, j.window_end))
    assert len(harness.all(WbPaidStorage)) == served


@pytest.mark.parametrize("generation", ["seed", "current"])
def test_paid_acceptance_lands_the_same_rows_in_either_api_generation(harness: Harness, generation: str) -> None:
    sid = harness.add_wb_account("acceptor", generation=generation)
    harness.start_worker(concurrency=2)
    endpoint = "wb.acceptance_report" if generation == "current" else "wb.acceptance_report.seed"
    dispatch.delay(endpoint=endpoint)
    (unit,) = harness.wait_for(lambda: [u for u in harness.all(WorkUnit) if u.state == WorkState.DONE], 90,
                               "the acceptance report")
    # HARVESTER_INITIAL_DAYS=10, one 31-day window, up to the harvester's yesterday (its own:
    # the test's may be another day's, at midnight)
    assert (unit.window_end - unit.window_start).days == 9 and unit.window_end < today()
    served = acceptance(SEED, sid, unit.window_start, unit.window_end)
    assert len(harness.all(WbAcceptanceReport)) == len(served)
    stored = {(r.income_id, r.nm_id, r.shk_create_date.isoformat()): r for r in harness.all(WbAcceptanceReport)}
    for row in served:
        got = stored[(row["incomeId"], row["nmID"], row["shkCreateDate"])]
        assert (got.count, got.total) == (row["count"], Decimal(str(row["total"])))  # money: NUMERIC, exact
        assert (got.amount is not None) == (generation == "seed")
