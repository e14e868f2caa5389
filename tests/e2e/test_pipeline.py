"""The foundation end to end: beat's dispatch → Celery workers → limiter → emulator → SQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

from sqlmodel import select

from emulator import make_wb_token
from emulator.wb.data import seller as data
from harvester.core.clock import today
from harvester.models import HarvestRun, JobStatus, ReportJob, Watermark, WbPaidStorage, WbStocksProduct
from harvester.models.tables import table_of
from harvester.worker.tasks import dispatch, harvest

from .conftest import TIME_SCALE, Harness

SEED = 7


def _dump(h: Harness) -> list[str]:
    return sorted(repr(r.model_dump()) for m in (WbStocksProduct, WbPaidStorage) for r in h.all(m))


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite keeps no zone


def _assert_lineage(h: Harness) -> None:
    """Every row names the unit that wrote it, and that unit's run was under way when it did."""
    runs = {run.unit_id: run for run in h.all(HarvestRun)}
    for model in (WbStocksProduct, WbPaidStorage):
        with h.session() as session:
            found = session.execute(select(table_of(model).c.unit_id, table_of(model).c.loaded_at)).all()
        assert found
        for unit_id, loaded_at in found:
            run = runs[unit_id]
            assert _utc(run.started_at) <= _utc(loaded_at) <= _utc(run.finished_at), (model, unit_id)


def _served_storage(sid: str) -> list[dict]:
    """What the emulator serves for the first 10 days: one 8-day and one 2-day task."""
    yesterday = today() - dt.timedelta(days=1)
    start = yesterday - dt.timedelta(days=9)
    return [*data.paid_storage(SEED, sid, start, start + dt.timedelta(days=7)),
            *data.paid_storage(SEED, sid, start + dt.timedelta(days=8), yesterday)]


def _harvest_days(h: Harness, account: str, days: int, within: float = 90) -> None:
    """Queue `days` one-day stocks harvests for `account` and wait (`within` seconds at most)
    until all are recorded."""
    for i in range(days):
        day = (today() - dt.timedelta(days=i)).isoformat()
        harvest.delay(account, "wb.stocks_products", day, day)
    runs = lambda: [r for r in h.all(HarvestRun) if r.endpoint == "wb.stocks_products"]  # noqa: E731
    h.wait_for(lambda: len(runs()) == days, within, f"{days} harvests")
    assert all(r.status == "ok" for r in runs())


def _done(h: Harness, account: str, endpoint: str, until: dt.date) -> bool:
    with h.session() as s:
        mark = s.get(Watermark, (account, endpoint))
        return mark is not None and mark.complete_until is not None and mark.complete_until >= until


def test_both_endpoints_land_exactly_what_the_emulator_served_and_reruns_change_nothing(harness: Harness) -> None:
    sids = {a: harness.add_wb_account(a) for a in ("acc-1", "acc-2")}
    harness.start_worker(concurrency=2)
    for endpoint in ("wb.stocks_products", "wb.paid_storage"):
        dispatch.delay(endpoint=endpoint)
    yesterday = today() - dt.timedelta(days=1)
    for account in sids:
        harness.wait_for(lambda account=account: _done(harness, account, "wb.stocks_products", today())
                         and _done(harness, account, "wb.paid_storage", yesterday), 90, f"{account} complete")

    for account, sid in sids.items():
        served = data.stocks_products(SEED, sid, today(), today())
        stored = {r.nm_id: r for r in harness.all(WbStocksProduct) if r.account_id == account}
        assert set(stored) == {item["nmID"] for item in served}
        for item in served:
            row = stored[item["nmID"]]
            assert (row.stock_count, row.order_sum, row.sale_rate_hours, row.min_price, row.availability) == (
                item["metrics"]["stockCount"], item["metrics"]["ordersSum"], item["metrics"]["saleRate"]["hours"],
                item["metrics"]["currentPrice"]["minPrice"], item["metrics"]["availability"])

        served_storage = _served_storage(sid)
        stored_storage = [r for r in harness.all(WbPaidStorage) if r.account_id == account]
        assert len(stored_storage) == len(served_storage)
        assert sorted((str(r.date), r.office_id, r.gi_id, r.chrt_id, r.barcode, r.warehouse_price)
                      for r in stored_storage) == sorted(
            (x["date"], x["officeId"], x["giId"], x["chrtId"], x["barcode"], Decimal(str(x["warehousePrice"])))
            for x in served_storage)

    jobs = harness.all(ReportJob)
    assert {j.status for j in jobs} == {JobStatus.DONE} and len(jobs) == 4  # 10 days = 8 + 2 per account
    _assert_lineage(harness)

    before = _dump(harness)
    runs_before = len(harness.all(HarvestRun))
    harvest.delay("acc-1", "wb.stocks_products", today().isoformat(), today().isoformat())
    dispatch.delay(endpoint="wb.paid_storage")  # re-reads the lookback day
    harness.wait_for(lambda: len(harness.all(HarvestRun)) >= runs_before + 3, 60, "re-runs")  # 1 + one day per account
    assert _dump(harness) == before
    assert all(r.status == "ok" for r in harness.all(HarvestRun))


def test_four_worker_processes_share_one_bucket_without_a_single_429(harness: Harness) -> None:
    sid = harness.add_wb_account("busy")
    harness.start_worker(concurrency=4)
    products = len(data.products(SEED, sid))
    # The first (fresh) harvest starts the sizes rotation, a fresh tail of a request a product,
    # which ranks before the seven past days (catch-up) and may take the bucket first: its
    # whole day, at a token every 20 s of API time, bounds the wait too.
    _harvest_days(harness, "busy", 8, within=90 + products * 20 / TIME_SCALE)
    stats = harness.stats(sid)
    pages = -(-products // 1000)
    assert stats["by_route"]["POST /api/v2/stocks-report/products/products"] == 8 * pages
    assert stats["429"] == 0  # nor for the dependents the first harvest started


def test_a_429_from_the_api_pauses_the_bucket_for_every_worker(harness: Harness) -> None:
    sid = harness.add_wb_account("throttled")
    harness.start_worker(concurrency=4)
    harness.wait_for(lambda: "ready" in harness.logs(), 60, "the worker")  # a slow start must not outlast the throttle
    harness.emulator.throttle(sid, "wb.stocks_report", retry_after=3600)  # 6 s of real time
    _harvest_days(harness, "throttled", 6)
    # Only requests already in flight when the first 429 landed can meet the throttle (the
    # bucket's burst is 3); everything after waits out the shared pause.
    assert 1 <= harness.stats(sid)["429"] <= 3
    assert "rate_limited_by_api" in harness.logs()


def test_a_worker_killed_mid_flow_leaves_a_flow_a_fresh_worker_finishes_with_one_task(harness: Harness) -> None:
    harness.emulator.tasks.ready_s = 1800  # 3 s of real time in `processing`
    sid = harness.add_wb_account("crashy")
    first = harness.start_worker(concurrency=1)
    dispatch.delay(account_id="crashy", endpoint="wb.paid_storage")

    def polling() -> ReportJob | None:
        with harness.session() as s:
            return s.exec(select(ReportJob).where(ReportJob.status == JobStatus.POLLING)).first()

    job = harness.wait_for(polling, 60, "a created, polling job")
    harness.kill(first)
    harness.start_worker(concurrency=1, beat=True)
    harness.wait_for(lambda: all(j.status == JobStatus.DONE for j in harness.all(ReportJob)), 90, "flows done")
    assert harness.stats(sid)["tasks_created"] == 2  # 10 days = one 8-day and one 2-day task, each created once
    done = harness.all(ReportJob)
    assert all(j.attempts == 1 for j in done) and job.id in {j.id for j in done}
    assert len(harness.all(WbPaidStorage)) == len(_served_storage(sid))


def test_a_bad_token_ends_in_one_recorded_failure_and_no_token_is_ever_logged(harness: Harness) -> None:
    good = harness.add_wb_account("good")
    harness.add_wb_account("wrong-scope", scopes=("promotion",))
    expired_sid = harness.add_wb_account("expired", expires_days=-1)
    harness.start_worker(concurrency=2)
    dispatch.delay(endpoint="wb.stocks_products")
    harness.wait_for(lambda: len(harness.all(HarvestRun)) == 3, 60, "3 runs")
    runs = {r.account_id: r for r in harness.all(HarvestRun)}
    assert runs["good"].status == "ok"
    for account in ("wrong-scope", "expired"):
        assert runs[account].status == "failed"
        assert f"account {account}" in runs[account].error and "HTTP 401" in runs[account].error
    assert harness.stats(expired_sid)["401"] == harness.stats(expired_sid)["requests"] == 1  # recorded, not retried
    assert harness.stats(good)["429"] == 0

    logs = harness.logs()
    run_log = json.dumps([r.model_dump(mode="json") for r in harness.all(HarvestRun)])
    for token in harness.tokens.values():
        assert token not in logs and token not in run_log
        assert token.split(".")[1] not in logs  # not even the payload
    assert not re.search(r"eyJ[\w-]{8,}\.[\w-]{8,}\.", logs + run_log)


def test_a_refused_token_stops_its_schedules_until_it_is_rotated(harness: Harness) -> None:
    sid = harness.add_wb_account("rotating", in_file=True, expires_days=-1)
    harness.start_worker(concurrency=1)
    dispatches = lambda: harness.logs().count('"event": "dispatched"')  # noqa: E731
    for expected_runs, n in ((1, 1), (1, 2)):
        dispatch.delay(endpoint="wb.stocks_products")
        harness.wait_for(lambda n=n: dispatches() >= n, 30, f"dispatch {n}")
        harness.wait_for(lambda expected_runs=expected_runs: len(harness.all(HarvestRun)) >= expected_runs, 30,
                         "the failed run")
    assert [r.status for r in harness.all(HarvestRun)] == ["failed"]  # the second dispatch skipped the account
    assert harness.stats(sid)["401"] == 1 and harness.logs().count("token_invalid") == 1
    harness.token_path("rotating").write_text(make_wb_token("rotating", ["analytics"]))
    dispatch.delay(endpoint="wb.stocks_products")
    harness.wait_for(lambda: any(r.status == "ok" for r in harness.all(HarvestRun)), 30, "the run with the new token")
    assert "token_changed" in harness.logs()
    lines = [json.loads(line) for line in harness.logs().splitlines() if line.startswith("{")]
    dispatch_ids = {line["task_id"] for line in lines if line.get("event") == "dispatched"}
    done = [line for line in lines if line.get("event") == "harvest_done"]
    assert done and all(line.get("queued_by") in dispatch_ids for line in done)  # the dispatch that started it
