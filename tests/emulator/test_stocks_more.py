"""Stocks report groups, sizes and offices (wb-api.md §7.1, §7.3, §7.4): schemas, agreement
with the products report, paging, errors, auth and limits."""

from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as clock_time

import pytest

from emulator import Emulator, seller_id
from emulator.common.clock import MSK, msk_day
from emulator.wb.data import seller as data
from emulator.wb.data.stocks import FBS_OFFICE, MARKETPLACE, layout
from tests.openapi import check_all, check_exchange

from .conftest import STOCKS, WB, period, stocks_body

GROUPS = "/api/v2/stocks-report/products/groups"
SIZES = "/api/v2/stocks-report/products/sizes"
OFFICES = "/api/v2/stocks-report/offices"
ADDITIVE = ("ordersCount", "ordersSum", "buyoutCount", "buyoutSum", "stockCount", "stockSum", "toClientCount")


def today(emu: Emulator) -> dict:
    """A one-day currentPeriod, fixed once per test: a fast emulated clock may pass midnight."""
    day = str(emu.clock.today())
    return {"start": day, "end": day}


def sizes_body(day: dict, nm_id: int, include_office: bool = True, **changes) -> dict:
    return {"nmID": nm_id, "currentPeriod": day, "stockType": "", "orderBy": {"field": "ordersCount", "mode": "desc"},
            "includeOffice": include_office, **changes}


def offices_body(day: dict, **changes) -> dict:
    return {"currentPeriod": day, "stockType": "", "skipDeletedNm": False, **changes}


def groups_body(emu: Emulator, day: dict, **changes) -> dict:
    return stocks_body(emu, currentPeriod=day, **changes)


def truth(day: dict, seller: str = "acme") -> dict[int, dict]:
    return {i["nmID"]: i for i in data.stocks_products(0, seller_id(seller), *period({"currentPeriod": day}))}


def total(rows: list[dict], key: str) -> int:
    return sum(r["metrics"][key] for r in rows)


def test_groups_hold_the_products_report_and_page_to_the_end(fast_rec):
    wb = WB(fast_rec)
    day = today(fast_rec)
    body = groups_body(fast_rec, day, limit=2)
    groups = []
    while True:
        page = wb.patient("POST", GROUPS, json=body).json()["data"]["groups"]
        groups += page
        if len(page) < body["limit"]:
            break
        body = {**body, "offset": body["offset"] + body["limit"]}
    assert check_all(fast_rec.exchanges) == len(fast_rec.exchanges)
    products = list(truth(day).values())
    keys = Counter((g["subjectID"], g["brandName"], g["tagID"]) for g in groups)
    assert len(groups) > 2 and keys.most_common(1)[0][1] == 1
    assert sorted((i for g in groups for i in g["items"]), key=lambda i: i["nmID"]) == sorted(
        products, key=lambda i: i["nmID"]
    )
    subject = {p["nmID"]: p["subjectID"] for p in data.products(0, seller_id("acme"))}
    for g in groups:
        assert {subject[i["nmID"]] for i in g["items"]} == {g["subjectID"]}
        assert {i["brandName"] for i in g["items"]} == {g["brandName"]}
        assert all(g["metrics"][k] == total(g["items"], k) for k in ADDITIVE)
    orders = [g["metrics"]["ordersCount"] for g in groups]  # stocks_body orders by ordersCount, desc
    assert orders == sorted(orders, reverse=True)


def test_group_filters(fast):
    wb = WB(fast)
    day = today(fast)
    items = truth(day)
    brand = next(iter(items.values()))["brandName"]
    body = groups_body(fast, day, brandNames=[brand], skipDeletedNm=True, availabilityFilters=["deficient"])
    found = [i["nmID"] for g in wb.patient("POST", GROUPS, json=body).json()["data"]["groups"] for i in g["items"]]
    expected = [n for n, i in items.items()
                if i["brandName"] == brand and not i["isDeleted"] and i["metrics"]["availability"] == "deficient"]
    assert sorted(found) == sorted(expected)
    assert wb.patient("POST", GROUPS, json=groups_body(fast, day, tagIDs=[1])).json() == {"data": {"groups": []}}


def test_an_nmid_the_seller_does_not_have_is_left_out(fast):
    wb = WB(fast)
    day = today(fast)
    known = next(iter(truth(day)))
    body = groups_body(fast, day, nmIDs=[known, 1])
    found = [i["nmID"] for g in wb.patient("POST", GROUPS, json=body).json()["data"]["groups"] for i in g["items"]]
    assert found == [known]
    items = wb.patient("POST", STOCKS, json=stocks_body(fast, nmIDs=[1, known])).json()["data"]["items"]
    assert [i["nmID"] for i in items] == [known]


def _products(day: dict) -> tuple[dict, dict]:
    """A sized and a non-sized product with stock."""
    items = [i for i in truth(day).values() if i["metrics"]["stockCount"] > 0]
    return next(i for i in items if i["hasSizes"]), next(i for i in items if not i["hasSizes"])


def test_sizes_four_cases_add_up_to_the_product(fast_rec):
    wb = WB(fast_rec)
    day = today(fast_rec)
    sized, plain = _products(day)
    sid = seller_id("acme")
    with_offices = wb.patient("POST", SIZES, json=sizes_body(day, sized["nmID"])).json()["data"]
    assert set(with_offices) == {"sizes"}
    sizes = with_offices["sizes"]
    names, offices = layout(0, sid, sized["nmID"], True)
    by_chrt = sorted(sizes, key=lambda s: s["chrtID"])
    assert [(s["name"], s["chrtID"]) for s in by_chrt] == sorted(names, key=lambda n: n[1])
    assert all(sized["metrics"][k] == total(sizes, k) for k in ADDITIVE)
    for size in sizes:
        assert {o["officeID"] for o in size["offices"]} == {o[0] for o in offices}
        assert all(size["metrics"][k] == total(size["offices"], k) for k in ADDITIVE)
        assert size["metrics"]["currentPrice"] == sized["metrics"]["currentPrice"]
    no_offices = wb.patient("POST", SIZES, json=sizes_body(day, sized["nmID"], False)).json()["data"]
    assert no_offices == {"sizes": [{k: v for k, v in s.items() if k != "offices"} for s in sizes]}

    plain_offices = wb.patient("POST", SIZES, json=sizes_body(day, plain["nmID"])).json()["data"]
    assert set(plain_offices) == {"offices"}
    assert all(plain["metrics"][k] == total(plain_offices["offices"], k) for k in ADDITIVE)
    fbs = [o for o in plain_offices["offices"] if o["regionName"] == MARKETPLACE]
    assert all((o["officeID"], o["officeName"]) == FBS_OFFICE[:2] for o in fbs)
    assert wb.patient("POST", SIZES, json=sizes_body(day, plain["nmID"], False)).json() == {"data": {}}
    assert check_all(fast_rec.exchanges) == 4


def test_sizes_stock_type_splits_wb_and_seller_warehouses(fast):
    wb = WB(fast)
    day = today(fast)
    sized, _ = _products(day)
    parts = [wb.patient("POST", SIZES, json=sizes_body(day, sized["nmID"], stockType=t)).json()["data"]
             for t in ("wb", "mp")]
    offices = [o for part in parts for s in part.get("sizes", []) for o in s["offices"]]
    assert sum(o["metrics"]["stockCount"] for o in offices) == sized["metrics"]["stockCount"]
    assert all(o["regionName"] != MARKETPLACE for s in parts[0]["sizes"] for o in s["offices"])
    assert all(o["regionName"] == MARKETPLACE for s in parts[1].get("sizes", []) for o in s["offices"])


def test_offices_add_up_to_the_catalogue(fast_rec):
    wb = WB(fast_rec)
    day = today(fast_rec)
    regions = wb.patient("POST", OFFICES, json=offices_body(day)).json()["data"]["regions"]
    assert check_all(fast_rec.exchanges) == 1
    stock = sum(i["metrics"]["stockCount"] for i in truth(day).values())
    assert sum(r["metrics"]["stockCount"] for r in regions) == stock
    for r in regions:
        if r["regionName"] == MARKETPLACE:
            assert r["offices"] == []
        else:
            assert r["metrics"]["stockCount"] == sum(o["metrics"]["stockCount"] for o in r["offices"]) > 0
    only_wb = wb.patient("POST", OFFICES, json=offices_body(day, stockType="wb")).json()["data"]["regions"]
    assert only_wb == [r for r in regions if r["regionName"] != MARKETPLACE]
    some = next(iter(truth(day).values()))
    one = wb.patient("POST", OFFICES, json=offices_body(day, nmIDs=[some["nmID"]])).json()["data"]["regions"]
    assert sum(r["metrics"]["stockCount"] for r in one) == some["metrics"]["stockCount"]


def _body(emu, path: str, period: dict) -> dict:
    """A valid body of `path` for `period`."""
    return {GROUPS: groups_body(emu, period), SIZES: sizes_body(period, 1), OFFICES: offices_body(period)}[path]


def _refused(emu, path: str, body: dict, reason: str) -> None:
    """`body` gets the documented 400, its detail starting with `reason`, in the spec's shape."""
    resp = WB(emu).patient("POST", path, json=body)
    assert resp.status_code == 400
    assert resp.json()["detail"].startswith(f"code=400, message=invalid: {reason}")
    check_exchange(emu.exchanges[-1], request=False)


@pytest.mark.parametrize(
    ("path", "change"),
    [
        (GROUPS, {"offset": None}),
        (GROUPS, {"limit": 1001}),
        (GROUPS, {"brandNames": [1]}),
        (GROUPS, {"currentPeriod": {"start": "2020-01-01", "end": "2020-01-02"}}),
        (SIZES, {"nmID": None}),
        (SIZES, {"includeOffice": "yes"}),
        (SIZES, {"orderBy": {"field": "price", "mode": "asc"}}),
        (OFFICES, {"stockType": "fbs"}),
        (OFFICES, {"skipDeletedNm": None}),
        (OFFICES, {"currentPeriod": {"start": "2026-01-02", "end": "2026-01-01"}}),
    ],
)
def test_bad_bodies_give_the_documented_400(fast_rec, path, change):
    day = today(fast_rec)
    base = _body(fast_rec, path, day)
    _refused(fast_rec, path, {k: v for k, v in {**base, **change}.items() if v is not None}, "")


def test_period_older_than_three_months_is_refused(fast):
    day = fast.clock.today()
    old = {"start": str(day - timedelta(days=100)), "end": str(day)}
    assert WB(fast).patient("POST", OFFICES, json=offices_body(old)).status_code == 400


@pytest.mark.parametrize("path", [GROUPS, SIZES, OFFICES])
def test_a_far_future_end_is_refused_not_walked(fast_rec, path):
    """The specs bound only the start; an end years ahead is refused as after today."""
    future = {"start": today(fast_rec)["start"], "end": "9999-12-31"}
    _refused(fast_rec, path, _body(fast_rec, path, future), "currentPeriod.end (must not be later than ")


def test_a_period_may_end_on_the_moscow_today_while_the_utc_date_is_yesterday(emu):
    now = emu.clock.now()
    emu.clock.advance(datetime.combine(msk_day(now) + timedelta(days=1), clock_time(1), tzinfo=MSK).timestamp() - now)
    moscow = msk_day(emu.clock.now())
    assert emu.clock.today() < moscow  # 01:00 MSK is 22:00 UTC of the day before
    wb = WB(emu)
    assert wb.post(OFFICES, json=offices_body({"start": str(moscow), "end": str(moscow)})).status_code == 200
    tomorrow = {"start": str(moscow), "end": str(moscow + timedelta(days=1))}
    refused = wb.post(OFFICES, json=offices_body(tomorrow))
    assert refused.status_code == 400
    assert f"currentPeriod.end (must not be later than {moscow})" in refused.json()["detail"]


@pytest.mark.parametrize("path", [GROUPS, SIZES, OFFICES])
def test_401_without_the_analytics_scope(fast_rec, path):
    day = today(fast_rec)
    body = _body(fast_rec, path, day)
    resp = WB(fast_rec, scopes=("promotion",)).post(path, json=body)
    assert resp.status_code == 401
    check_exchange(fast_rec.exchanges[-1])


def test_the_four_routes_share_one_bucket_of_three(emu):
    emu.record = True
    wb = WB(emu)
    day = today(emu)
    calls = [(STOCKS, groups_body(emu, day)), (GROUPS, groups_body(emu, day)), (OFFICES, offices_body(day))]
    assert [wb.post(path, json=body).status_code for path, body in calls] == [200, 200, 200]
    limited = wb.post(SIZES, json=sizes_body(day, 1))
    assert limited.status_code == 429 and int(limited.headers["X-Ratelimit-Retry"]) > 0
    check_exchange(emu.exchanges[-1])


def _tables(endpoint_name: str, body: dict, day: dict) -> dict[str, list[dict]]:
    """The rows harvester.pipeline.parse makes of one answer, per table name."""
    from harvester.catalog import get_endpoint
    from harvester.pipeline.parse import records_at, tree_rows

    endpoint = get_endpoint(endpoint_name)
    when = date.fromisoformat(day["start"])
    context = {"account_id": "acc-1", "window_start": when, "window_end": when, "nm_id": body.get("nmID")}
    records = records_at(body["answer"], endpoint.fetch.records, "test", endpoint.fetch.single)
    found = tree_rows(endpoint.model.__table__, endpoint.children, records, context, "test")
    return {table.name: rows for table, rows in dict(found).items()}


def test_parse_makes_child_rows_keyed_by_their_parent(fast):
    wb = WB(fast)
    day = today(fast)
    groups = wb.patient("POST", GROUPS, json=groups_body(fast, day)).json()
    tables = _tables("wb.stocks_groups", {"answer": groups}, day)
    assert len(tables["wb_stocks_groups"]) == len(groups["data"]["groups"])
    items = tables["wb_stocks_group_items"]
    assert len(items) == sum(len(g["items"]) for g in groups["data"]["groups"])
    assert set(items[0]) == {"account_id", "date", "subject_id", "brand_name", "tag_id", "nm_id",
                             "unit_id", "loaded_at"}  # with the lineage every data row carries
    regions = wb.patient("POST", OFFICES, json=offices_body(day)).json()
    tables = _tables("wb.stocks_offices", {"answer": regions}, day)
    offices = tables["wb_stocks_region_offices"]
    assert {o["region_name"] for o in offices} == {r["regionName"] for r in regions["data"]["regions"]} - {MARKETPLACE}
    assert all(o["date"] == date.fromisoformat(day["start"]) for o in offices)


def test_parse_of_a_size_answer(fast):
    """`records="data"` is one record (one product a call) and WB leaves empty lists out."""
    wb = WB(fast)
    day = today(fast)
    sized, plain = _products(day)
    answer = wb.patient("POST", SIZES, json=sizes_body(day, sized["nmID"])).json()
    tables = _tables("wb.stocks_sizes", {"answer": answer, "nmID": sized["nmID"]}, day)
    sizes = answer["data"]["sizes"]
    assert [r["nm_id"] for r in tables["wb_stocks_size_reports"]] == [sized["nmID"]]
    assert {r["chrt_id"] for r in tables["wb_stocks_sizes"]} == {s["chrtID"] for s in sizes}
    assert len(tables["wb_stocks_size_offices"]) == sum(len(s["offices"]) for s in sizes)
    assert tables["wb_stocks_product_offices"] == []
    answer = wb.patient("POST", SIZES, json=sizes_body(day, plain["nmID"])).json()
    tables = _tables("wb.stocks_sizes", {"answer": answer, "nmID": plain["nmID"]}, day)
    assert tables["wb_stocks_sizes"] == []
    assert len(tables["wb_stocks_product_offices"]) == len(answer["data"]["offices"])
