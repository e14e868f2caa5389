"""Yandex Market end to end: discovery → stats/skus in 500-SKU batches → async reports, through Celery.

Two cabinets of two stores with 1,200 SKUs each, harvested by four worker processes: every
row the emulator served lands, not one request is refused with 420, and the same requests
once more change nothing. A 420 the emulator forces pauses the resource for every worker
until its `X-RateLimit-Resource-Until`.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from emulator import ym_business_id, ym_campaign_ids
from emulator.ym import host as ym_host
from emulator.ym.data import catalogue as ymdata
from emulator.ym.data import report_files as ym_files
from harvester.catalog import endpoints_for
from harvester.core.accounts import get_account
from harvester.core.clock import today
from harvester.models import HarvestRun, JobStatus, Watermark
from harvester.models.ym import (
    YmMarketplaceServicePlacement,
    YmStatsSku,
    YmStatsSkuStock,
    YmStatsSkuTariff,
    YmStocksOnWarehouses,
)
from harvester.worker.tasks import dispatch, harvest
from tests.openapi import check_exchange

from . import rows
from .conftest import Harness

SEED = 7
SYNC = [e for e in endpoints_for("ym", "current") if e.flow is None]
ALL = endpoints_for("ym", "current")


def _missing(h: Harness, accounts: list[str]) -> list[tuple[str, str]]:
    with h.session() as session:
        return [(a, e.name) for a in accounts for e in ALL
                if (mark := session.get(Watermark, (a, e.name))) is None or mark.last_success_at is None]


def _harvest_all(h: Harness, accounts: list[str]) -> None:
    dispatch.delay()
    try:
        h.wait_for(lambda: not _missing(h, accounts), 180, "every YM endpoint of every cabinet")
    except AssertionError:
        failed = {(r.account_id, r.endpoint, r.error) for r in h.all(HarvestRun) if r.status != "ok"}
        raise AssertionError(f"not harvested: {_missing(h, accounts)}; failed: {failed}") from None


def test_two_cabinets_of_2400_skus_land_what_was_served_with_four_workers_and_no_420(harness: Harness) -> None:
    harness.emulator.record = True
    accounts = ["ym-shop-1", "ym-shop-2"]
    sids = {harness.add_ym_account(a, campaigns=2, skus=1200): a for a in accounts}
    harness.start_worker(concurrency=4)
    _harvest_all(harness, accounts)
    assert all(r.status == "ok" for r in harness.all(HarvestRun))

    served = rows.served(harness.emulator.exchanges, {s: get_account(a) for s, a in sids.items()}, SYNC)
    stored = rows.stored(harness, SYNC)
    for endpoint in SYNC:
        for table in endpoint.tables:
            for account in accounts:
                assert stored.get((account, table.name), set()) == served.get((account, table.name), set()), table.name
    for account in accounts:
        skus = {(r.campaign_id, r.shop_sku) for r in harness.all(YmStatsSku) if r.account_id == account}
        assert len(skus) == 2 * 1200
        assert {c for c, _ in skus} == set(ym_campaign_ids(ym_business_id(account), 2))

    day = ym_host.today(harness.emulator)
    for account in accounts:
        business = ym_business_id(account)
        stores = [c for c in ym_campaign_ids(business, 2) if ymdata.placement(business, c) not in ("FBY", "LAAS")]
        expected = ym_files.stocks_rows(SEED, business, stores, 1200, day)  # the business form skips FBY stores
        landed = [r for r in harness.all(YmStocksOnWarehouses) if r.account_id == account]
        assert sorted((r.shop_sku, r.warehouse, r.available_for_order) for r in landed) == sorted(
            (x["SHOP_SKU"], x["WAREHOUSE"], x["AVAILABLE_FOR_ORDER"]) for x in expected)
        assert any(r.account_id == account for r in harness.all(YmMarketplaceServicePlacement))
    jobs = harness.jobs()
    assert {j.status for j in jobs} == {JobStatus.DONE} and all(j.attempts == 1 for j in jobs)

    for sid in sids:
        stats = harness.stats(sid)
        assert stats["429"] == 0, stats  # the emulator counts YM's 420s here
        skus_calls = stats["by_route"]["POST /v2/campaigns/{campaignId}/stats/skus"]
        assert skus_calls == 2 * 3  # 1,200 SKUs a store in batches of at most 500

    before, runs = rows.snapshot(harness, SYNC, keys_only=True), harness.all(HarvestRun)
    for run in runs:
        if run.endpoint in {e.name for e in SYNC}:
            harvest.delay(run.account_id, run.endpoint, run.window_start.isoformat(), run.window_end.isoformat())
    harness.wait_for(lambda: len(harness.all(HarvestRun)) > len(runs), 60, "the same requests again")
    rows.wait_settled(harness)
    assert rows.snapshot(harness, SYNC, keys_only=True) == before  # stock moved on since: values may differ

    # The harvester's requests and the emulator's answers keep to Yandex's OpenAPI: the first three
    # exchanges of every route (a 500-SKU answer takes openapi-core seconds; tests/emulator checks more).
    routes = {rows.route_of(e) for e in ALL} | {"GET /v2/reports/info/{}"}
    checked: dict[str, int] = {}
    for exchange in harness.emulator.exchanges:
        route = rows.blank(exchange.route)
        if route in routes and checked.get(route, 0) < 3:
            check_exchange(exchange)
            checked[route] = checked.get(route, 0) + 1
    assert set(checked) == routes



def test_a_forced_420_pauses_the_resource_for_every_worker_until_its_until_time(harness: Harness) -> None:
    """Also: tariff and stock types Yandex adds later are stored as they come."""
    account = "ym-throttled"
    sid = harness.add_ym_account(account, campaigns=2, skus=1200)
    harness.emulator_post("/__emulator/ym/novel_enums", {"tariff_type": "DRONE_DELIVERY", "stock_type": "IN_ORBIT"})
    harness.start_worker(concurrency=4)
    dispatch.delay(account_id=account, endpoint="ym.offer_mappings")
    harness.wait_for(lambda: all(n != "ym.offer_mappings" for _, n in _missing(harness, [account])), 60,
                     "SKU discovery")

    until = harness.emulator.clock.now() + 1800  # 3 s of real time at the harness's scale
    harness.emulator_post("/__emulator/ym/throttle", {"account": account, "group": "ym.stats_skus", "until": until})
    started = time.monotonic()
    day = today().isoformat()
    for _ in range(4):  # four copies race for the same window; the harvest lock lets one work
        harvest.delay(account, "ym.stats_skus", day, day)
    harness.wait_for(lambda: any(r.endpoint == "ym.stats_skus" and r.status == "ok" for r in harness.all(HarvestRun)),
                     90, "stats/skus after the pause")
    waited = time.monotonic() - started
    refused = harness.stats(sid)["429"]
    # one 420 per store whose request met the throttle; everything after waited out the pause
    assert 1 <= refused <= 2, refused
    assert waited >= 1800 / 600 - 0.5
    assert "rate_limited_by_api" in harness.logs()
    assert len({(r.campaign_id, r.shop_sku) for r in harness.all(YmStatsSku)}) == 2 * 1200
    assert "DRONE_DELIVERY" in {r.type for r in harness.all(YmStatsSkuTariff)}
    assert "IN_ORBIT" in {r.type for r in harness.all(YmStatsSkuStock)}


def _last_week() -> tuple[dt.date, dt.date]:
    yesterday = today() - dt.timedelta(days=1)
    return yesterday - dt.timedelta(days=6), yesterday


@pytest.mark.parametrize("step", ["poll", "download"])
def test_a_worker_killed_mid_report_never_generates_a_second_one(harness: Harness, step: str) -> None:
    account, endpoint = "ym-crashy", "ym.report.united_marketplace_services"
    sid = harness.add_ym_account(account, campaigns=2, skus=60)
    harness.emulator.ym.reports.ready_s = 1800  # 3 s of real time in PROCESSING
    if step == "download":
        harness.emulator.ym.reports.ready_s = 5
        harness.emulator.set_faults(latency_ms=1500)  # the info or file call is in flight when the worker dies
    first = harness.start_worker(concurrency=1)
    harness.start_job(account, endpoint, _last_week())
    status = {"poll": JobStatus.POLLING, "download": JobStatus.DOWNLOADING}[step]
    harness.wait_for(lambda: harness.jobs(status), 60, f"the {step} step", every=0.02)
    harness.kill(first)
    harness.emulator.set_faults(latency_ms=0)
    harness.start_worker(concurrency=1, beat=True)
    harness.wait_for(lambda: harness.jobs(JobStatus.DONE), 90, "the report to load")
    (job,) = harness.jobs()
    assert harness.stats(sid)["reports_created"] == 1 and job.attempts == 1
    assert len(harness.all(YmMarketplaceServicePlacement)) == job.rows > 0


def test_a_failed_report_is_generated_once_more_and_an_empty_one_loads_nothing(harness: Harness) -> None:
    sid = harness.add_ym_account("ym-flaky", campaigns=1, skus=40)
    harness.add_ym_account("ym-empty", campaigns=1, skus=0)
    harness.emulator_post("/__emulator/ym/report_faults", {"account": "ym-flaky", "fail_times": 1})
    harness.start_worker(concurrency=1)
    harness.start_job("ym-flaky", "ym.report.united_marketplace_services", _last_week())
    harness.wait_for(lambda: harness.jobs(JobStatus.DONE), 90, "the report to load")
    (job,) = harness.jobs()
    assert (job.attempts, harness.stats(sid)["reports_created"]) == (2, 2)
    assert any(r.status == "recreated" for r in harness.all(HarvestRun))
    assert len(harness.all(YmMarketplaceServicePlacement)) == job.rows > 0

    harness.start_job("ym-empty", "ym.report.stocks_on_warehouses", _last_week())
    harness.wait_for(lambda: len(harness.jobs(JobStatus.DONE)) == 2, 90, "the empty report")
    assert [j.rows for j in harness.jobs() if j.account_id == "ym-empty"] == [0]


def test_active_reports_limit_420_is_waited_out_and_every_report_made_once(harness: Harness) -> None:
    """YM: 'Active reports limit exceeded' (420) while the cabinet's reports generate: wait, do not fail."""
    sid = harness.add_ym_account("ym-busy", campaigns=2, skus=40)
    harness.emulator_post("/__emulator/ym/active_reports", {"limit": 1})
    harness.emulator.ym.reports.ready_s = 600  # a second of real time generating: the other one meets it
    harness.emulator.record = True
    harness.start_worker(concurrency=2)
    harness.start_job("ym-busy", "ym.report.united_marketplace_services", _last_week())
    harness.start_job("ym-busy", "ym.report.stocks_on_warehouses", (today(), today()))
    harness.wait_for(lambda: len(harness.jobs(JobStatus.DONE)) == 2, 120, "both reports")
    assert harness.stats(sid)["reports_created"] == 2 and all(j.attempts == 1 for j in harness.jobs())
    assert any(x.response.status == 420 and b"Active reports limit" in (x.response.body or b"")
               for x in harness.emulator.exchanges)  # the limit was met
    assert not [r for r in harness.all(HarvestRun) if r.status == "failed"]
