"""One synthetic truth per seller, end to end (issue 15): reports that give the same WB figure,
harvested by real workers, agree on it when an analyst joins them, as they do at WB."""

from __future__ import annotations

from sqlalchemy import text

from emulator.wb.data import seller as data
from harvester.core.clock import today
from harvester.models import HarvestRun, JobStatus, WorkState, WorkUnit
from harvester.models.wb_funnel import WbFunnelProduct
from harvester.worker.tasks import dispatch

from .conftest import Harness

SEED = 7  # the harness's emulator seed
JOIN = text("""
    SELECT f.nm_id, f.date, f.order_count, c.order_count
    FROM wb_funnel_products f JOIN wb_csv_detail_history c
      ON c.account_id = f.account_id AND c.nm_id = f.nm_id AND c.date = f.date
    WHERE f.account_id = :account
""")
GENERATIONS = text("""
    SELECT v3.nm_id, v3.date,
           v3.open_count, v3.cart_count, v3.order_count, v3.order_sum, v3.buyout_count, v3.cancel_count,
           v2.open_count, v2.cart_count, v2.order_count, v2.order_sum, v2.buyout_count, v2.cancel_count
    FROM wb_funnel_products v3 JOIN wb_funnel_products v2 ON v2.nm_id = v3.nm_id AND v2.date = v3.date
    WHERE v3.account_id = :current AND v2.account_id = :seed
""")


def test_funnel_v3_v2_and_csv_detail_history_join_with_equal_figures(harness: Harness) -> None:
    """One seller in two entries, one on the v3 funnel and one on v2 (both write wb_funnel_products):
    per product and day, v3 = v2 in every count and sum, and v3's orders = the CSV's."""
    account = data.small_sellers(SEED, "truth", 1)[0]
    harness.add_wb_account(account)
    harness.add_wb_account(f"{account}-v2", generation="seed", seller=account)
    harness.start_worker(concurrency=2)
    dispatch.delay(account_id=account, endpoint="wb.csv.detail_history")
    dispatch.delay(account_id=account, endpoint="wb.funnel.products")
    dispatch.delay(account_id=f"{account}-v2", endpoint="wb.funnel.products.seed")
    harness.wait_for(lambda: harness.jobs() and all(j.status.terminal for j in harness.jobs()), 120, "the CSV report")
    (job,) = harness.jobs()
    assert job.status == JobStatus.DONE, job.last_error
    window = {job.window_start.toordinal() + i for i in range((job.window_end - job.window_start).days + 1)}
    # Every funnel window done, not merely every day begun: a page landing between the two
    # queries below would count in one sum and not the other.
    units = harness.wait_for(lambda: _settled(harness, account, "wb.funnel.products"), 120, "the funnel's windows")
    assert {u.state for u in units} == {WorkState.DONE}, [u.last_error for u in units]
    assert window <= {r.date.toordinal() for r in harness.all(WbFunnelProduct) if r.account_id == account}

    with harness.session() as session:
        joined = session.execute(JOIN, {"account": account}).all()
    assert joined and all(funnel == csv for _, _, funnel, csv in joined), [r for r in joined if r[2] != r[3]]
    in_window = [r for r in harness.all(WbFunnelProduct) if r.account_id == account and r.date.toordinal() in window]
    assert sum(r.order_count for r in in_window) == sum(r[3] for r in joined) > 0

    def days(entry: str) -> set[tuple[int, str]]:
        return {(r.nm_id, r.date.isoformat()) for r in harness.all(WbFunnelProduct) if r.account_id == entry}

    harness.wait_for(lambda: days(account) <= days(f"{account}-v2"), 120, "the v2 funnel's days")
    with harness.session() as session:
        generations = session.execute(GENERATIONS, {"current": account, "seed": f"{account}-v2"}).all()
    assert generations and {(r[0], str(r[1])) for r in generations} == days(account)
    assert all(tuple(r[2:8]) == tuple(r[8:14]) for r in generations), [r for r in generations if r[2:8] != r[8:14]]


def _settled(harness: Harness, account: str, endpoint: str) -> list[WorkUnit]:
    """The account's units of the endpoint once every one has ended, else none."""
    units = [u for u in harness.all(WorkUnit) if u.account_id == account and u.endpoint == endpoint]
    return units if units and all(u.state.final for u in units) else []


FULLSTATS_LEVELS = text("""
    SELECT 'campaign = its days', t.advert_id, t.views, t.spend, SUM(d.views), SUM(d.spend)
    FROM wb_adv_fullstats t JOIN wb_adv_fullstats_days d
      ON d.account_id = t.account_id AND d.advert_id = t.advert_id AND d.date BETWEEN t.window_start AND t.window_end
    WHERE t.account_id = :account GROUP BY t.advert_id, t.window_start, t.window_end, t.views, t.spend
    UNION ALL
    SELECT 'day = its apps', d.advert_id, d.views, d.spend, SUM(a.views), SUM(a.spend)
    FROM wb_adv_fullstats_days d JOIN wb_adv_fullstats_apps a
      ON a.account_id = d.account_id AND a.advert_id = d.advert_id AND a.date = d.date
    WHERE d.account_id = :account GROUP BY d.advert_id, d.date, d.views, d.spend
    UNION ALL
    SELECT 'app = its products', a.advert_id, a.views, a.spend, SUM(n.views), SUM(n.spend)
    FROM wb_adv_fullstats_apps a JOIN wb_adv_fullstats_nms n
      ON n.account_id = a.account_id AND n.advert_id = a.advert_id AND n.date = a.date AND n.app_type = a.app_type
    WHERE a.account_id = :account GROUP BY a.advert_id, a.date, a.app_type, a.views, a.spend
""")


def test_fullstats_campaign_totals_are_the_sums_of_their_days_apps_and_products(harness: Harness) -> None:
    """Views and spend (to the kopeck: each level's spend is the sum of the rounded spends below it)."""
    account = data.small_sellers(SEED, "adverts", 1)[0]
    harness.add_wb_account(account, scopes=("analytics", "promotion"))
    harness.start_worker(concurrency=2)
    dispatch.delay(endpoint="wb.adv.campaigns")
    harness.wait_for(lambda: _succeeded(harness, "wb.adv.campaigns"), 60, "campaign discovery")
    dispatch.delay(endpoint="wb.adv.fullstats")
    harness.wait_for(lambda: _succeeded(harness, "wb.adv.fullstats"), 120, "fullstats")

    with harness.session() as session:
        levels = session.execute(FULLSTATS_LEVELS, {"account": account}).all()
    assert {level for level, *_ in levels} == {"campaign = its days", "day = its apps", "app = its products"}
    # spend is NUMERIC, but SQLite keeps it as a binary float and raw SQL reads it so: to the kopeck
    wrong = [row for row in levels if (row[2], round(row[3], 2)) != (row[4], round(row[5], 2))]
    assert not wrong, wrong


STOCKS = text("""
    SELECT p.nm_id, p.order_count, p.buyout_count, p.stock_count, p.order_sum,
           SUM(h.order_count), SUM(h.buyout_count), SUM(h.stock_count), SUM(h.order_sum)
    FROM wb_stocks_products p JOIN wb_csv_stock_history h
      ON h.account_id = p.account_id AND h.nm_id = p.nm_id AND h.period_start = p.date AND h.period_end = p.date
    WHERE p.account_id = :account
    GROUP BY p.nm_id, p.order_count, p.buyout_count, p.stock_count, p.order_sum
""")


def test_stocks_report_products_are_the_sums_of_the_csv_stock_history(harness: Harness) -> None:
    """Per product on the same day: the stocks report's orders, buyouts, stock and order sum are
    the sums of the CSV stock history's size × warehouse rows."""
    account = data.small_sellers(SEED, "stocks", 1)[0]
    harness.add_wb_account(account)
    harness.start_worker(concurrency=2)
    dispatch.delay(account_id=account, endpoint="wb.stocks_products")
    day = today()
    harness.start_job(account, "wb.csv.stock_history", (day, day))
    harness.wait_for(lambda: _succeeded(harness, "wb.stocks_products") and harness.jobs()
                     and all(j.status.terminal for j in harness.jobs()), 120, "the stocks report and the CSV")
    (job,) = harness.jobs()
    assert job.status == JobStatus.DONE, job.last_error

    with harness.session() as session:
        joined = session.execute(STOCKS, {"account": account}).all()
    assert joined and sum(row[3] for row in joined) > 0
    wrong = [row for row in joined if tuple(row[1:4]) != tuple(row[5:8]) or round(row[4], 2) != round(row[8], 2)]
    assert not wrong, wrong


YM_STOCKS = text("""
    SELECT s.shop_sku, w.name, s.count, r.valid
    FROM ym_stats_sku_stocks s
    JOIN ym_stats_sku_warehouses w
      ON w.account_id = s.account_id AND w.campaign_id = s.campaign_id AND w.snapshot_date = s.snapshot_date
     AND w.shop_sku = s.shop_sku AND w.warehouse_id = s.warehouse_id
    JOIN ym_report_stocks_on_warehouses r
      ON r.account_id = s.account_id AND r.stock_date = s.snapshot_date AND r.shop_sku = s.shop_sku
     AND r.warehouse = w.name
    WHERE s.account_id = :account AND s.type = 'FIT'
""")


def test_ym_stats_skus_stocks_equal_the_stocks_on_warehouses_report(harness: Harness) -> None:
    """Per SKU and warehouse on the same day: stats/skus' FIT count is the report's valid stock."""
    account = "ym-truth"
    harness.add_ym_account(account, campaigns=2, skus=60)
    harness.start_worker(concurrency=2)
    dispatch.delay(account_id=account, endpoint="ym.offer_mappings")
    harness.wait_for(lambda: _succeeded(harness, "ym.offer_mappings"), 60, "SKU discovery")
    dispatch.delay(account_id=account, endpoint="ym.stats_skus")
    dispatch.delay(account_id=account, endpoint="ym.report.stocks_on_warehouses")
    harness.wait_for(lambda: all(_succeeded(harness, e) for e in ("ym.stats_skus", "ym.report.stocks_on_warehouses")),
                     120, "stats/skus and the stocks report")

    with harness.session() as session:
        joined = session.execute(YM_STOCKS, {"account": account}).all()
        reported = session.execute(text("SELECT COUNT(*) FROM ym_report_stocks_on_warehouses "
                                        "WHERE account_id = :account"), {"account": account}).scalar_one()
    assert joined and all(stats == report for _, _, stats, report in joined), [r for r in joined if r[2] != r[3]]
    assert len(joined) == reported  # every report row has its stats/skus twin


def _succeeded(harness: Harness, endpoint: str) -> bool:
    return any(r.endpoint == endpoint and r.status == "ok" for r in harness.all(HarvestRun))
