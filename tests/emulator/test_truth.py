"""One synthetic truth per seller (issue 15): the funnel v2 and v3 answers and the CSV funnel
reports derive every product's day from `funnel.day_funnel`, so they reconcile exactly."""

from __future__ import annotations

from datetime import date

import pytest

from emulator import seller_id
from emulator.wb.data import funnel as fd
from emulator.wb.data import seller as data
from emulator.wb.data.csv_files import csv_report

from .conftest import WB
from .test_funnel import V2, V3, ago, check_schemas, post, v2_history_body, v3_history_body

SELLERS = ["acme", *data.small_sellers(0, "truth", 2)]
START, END = date(2026, 9, 28), date(2026, 10, 4)


def csv_dicts(sid: str, report: str, params: dict) -> list[dict]:
    header, rows = csv_report(0, sid, report, params)
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.mark.parametrize("account", SELLERS)
def test_csv_detail_history_is_the_funnel_day_by_day(account: str):
    sid = seller_id(account)
    params = {"startDate": START.isoformat(), "endDate": END.isoformat()}
    rows = {(int(r["nmID"]), r["dt"]): r for r in csv_dicts(sid, "DETAIL_HISTORY_REPORT", params)}
    for day in fd.days(START, END):
        for nm_id, truth in fd.day_funnel(0, sid, day).items():
            row = rows.get((nm_id, day.isoformat()))
            if row is None:  # the report leaves out product-days without activity
                assert truth == fd.ZERO
                continue
            assert (int(row["openCardCount"]), int(row["ordersCount"]), int(row["ordersSumRub"])) == (
                truth.views, truth.orders, truth.order_sum)
            assert (int(row["buyoutsCount"]), int(row["cancelCount"])) == (truth.buyouts, truth.cancels)
    grouped = csv_dicts(sid, "GROUPED_HISTORY_REPORT", params)
    assert [int(r["ordersCount"]) for r in grouped] == [
        fd.total(fd.day_funnel(0, sid, d).values()).orders for d in fd.days(START, END)]


@pytest.mark.parametrize("account", SELLERS)
def test_a_period_is_the_sum_of_its_days(account: str):
    sid = seller_id(account)
    week = fd.period_funnel(0, sid, START, END)
    for nm_id, funnel in week.items():
        assert funnel == fd.total(fd.day_funnel(0, sid, d)[nm_id] for d in fd.days(START, END))


def test_v2_v3_and_the_csv_report_agree_per_product_and_day(rec):
    account = SELLERS[1]
    wb, sid = WB(rec, account), seller_id(account)
    start, end = ago(rec, 7), ago(rec, 1)
    nm_ids = [p["nmID"] for p in data.products(0, sid)[:20]]
    v2 = post(wb, f"{V2}/detail/history", v2_history_body(start, end, nmIDs=nm_ids))["data"]
    v3 = post(wb, f"{V3}/products/history", v3_history_body(start, end, nmIds=nm_ids))
    csv = csv_dicts(sid, "DETAIL_HISTORY_REPORT", {"startDate": start, "endDate": end, "nmIDs": nm_ids})
    from_csv = {(int(r["nmID"]), r["dt"]): (int(r["ordersCount"]), int(r["ordersSumRub"])) for r in csv}
    for old, new in zip(v2, v3, strict=True):
        assert [(r["ordersCount"], r["ordersSumRub"]) for r in old["history"]] == [
            (r["orderCount"], r["orderSum"]) for r in new["history"]]
        for r in old["history"]:
            assert from_csv.get((old["nmID"], r["dt"]), (0, 0)) == (r["ordersCount"], r["ordersSumRub"])
    check_schemas(rec)


@pytest.mark.parametrize("account", SELLERS)
def test_search_orders_are_part_of_the_funnels_orders(account: str):
    sid = seller_id(account)
    current = {"start": START.isoformat(), "end": END.isoformat()}
    params = {"currentPeriod": current, "orderBy": {"field": "orders", "mode": "desc"}, "positionCluster": "all"}
    week = fd.period_funnel(0, sid, START, END)
    rows = csv_dicts(sid, "SEARCH_QUERIES_PREMIUM_REPORT_PRODUCT", params)
    assert rows and any(int(r["Orders"]) for r in rows)
    for row in rows:
        truth = week[int(row["NmID"])]
        assert 0 < int(row["OpenCard"]) <= truth.views
        assert int(row["AddToCart"]) <= truth.carts and int(row["Orders"]) <= truth.orders
