"""Sales funnel routes (wb-api.md §5): v2 nm-report and v3 sales-funnel against `funneldata`,
their schemas, limits and 400s, and the catalog's mapping of their answers into rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from emulator import Emulator, seller_id
from emulator.common.clock import msk_day
from emulator.wb.data import funnel as fd
from emulator.wb.data import seller as data
from harvester.catalog import get_endpoint
from harvester.core.request import Request
from harvester.pipeline.parse import records_at, tree_rows
from tests.openapi import check_exchange

from .conftest import WB

V2, V3 = "/api/v2/nm-report", "/api/analytics/v3/sales-funnel"
ACME = seller_id("acme")
BIG = next(f"seller-{i}" for i in range(100) if len(data.products(0, seller_id(f"seller-{i}"))) > 2000)
SMALL = next(f"seller-{i}" for i in range(100) if len(data.products(0, seller_id(f"seller-{i}"))) < 300)


def today(emu: Emulator) -> date:
    return msk_day(emu.clock.now())


def ago(emu: Emulator, days: int) -> str:
    return (today(emu) - timedelta(days=days)).isoformat()


def check_schemas(emu: Emulator, request: bool = True) -> None:
    """Check every exchange against WB's OpenAPI (v2: the derived file, see tests/openapi.py)."""
    for exchange in emu.exchanges:
        check_exchange(exchange, request=request)


def v2_period_body(day: str, page: int = 1, **changes: object) -> dict:
    body = {"brandNames": [], "objectIDs": [], "tagIDs": [], "nmIDs": [], "timezone": "Europe/Moscow",
            "period": {"begin": day, "end": day}, "orderBy": {"field": "openCard", "mode": "desc"}, "page": page}
    return {**body, **changes}


def v3_products_body(day: str, **changes: object) -> dict:
    body = {"selectedPeriod": {"start": day, "end": day}, "nmIds": [], "brandNames": [], "subjectIds": [],
            "tagIds": [], "skipDeletedNm": False, "orderBy": {"field": "openCard", "mode": "desc"},
            "limit": 1000, "offset": 0}
    return {**body, **changes}


def v2_history_body(start: str, end: str, **changes: object) -> dict:
    return {"period": {"begin": start, "end": end}, "timezone": "Europe/Moscow", "aggregationLevel": "day", **changes}


def v3_history_body(start: str, end: str, **changes: object) -> dict:
    return {"selectedPeriod": {"start": start, "end": end}, "skipDeletedNm": False, "aggregationLevel": "day",
            **changes}


def post(wb: WB, path: str, body: dict) -> dict | list:
    resp = wb.paced("POST", path, json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_v2_detail_pages_to_the_end(rec):
    wb, sid, day = WB(rec, BIG), seller_id(BIG), ago(rec, 1)
    cards, page = [], 1
    while True:
        answer = post(wb, f"{V2}/detail", v2_period_body(day, page))
        assert answer["error"] is False and answer["data"]["page"] == page
        cards += answer["data"]["cards"]
        if not answer["data"]["isNextPage"]:
            break
        page += 1
    truth = fd.period_funnel(0, sid, date.fromisoformat(day), date.fromisoformat(day))
    stock = {i["nmID"]: i["metrics"]["stockCount"] for i in data.stocks_products(0, sid, today(rec), today(rec))}
    assert page == 3 and len(cards) == len({c["nmID"] for c in cards}) == len(truth)
    opens = [c["statistics"]["selectedPeriod"]["openCardCount"] for c in cards]
    assert opens == sorted(opens, reverse=True)
    for card in cards:
        selected, funnel = card["statistics"]["selectedPeriod"], truth[card["nmID"]]
        assert (selected["openCardCount"], selected["ordersCount"], selected["buyoutsSumRub"]) == (
            funnel.views, funnel.orders, funnel.buyout_sum)
        assert card["stocks"]["stocksWb"] == stock[card["nmID"]]
    check_schemas(rec)


def test_v3_products_page_by_offset_and_agree_with_v2(rec):
    wb, sid, day = WB(rec, BIG), seller_id(BIG), ago(rec, 1)
    products, offset = [], 0
    while True:
        page = post(wb, f"{V3}/products", v3_products_body(day, offset=offset))["data"]["products"]
        products += page
        if len(page) < 1000:
            break
        offset += 1000
    truth = fd.period_funnel(0, sid, date.fromisoformat(day), date.fromisoformat(day))
    assert len(products) == len({p["product"]["nmId"] for p in products}) == len(truth)
    for item in products:
        selected, funnel = item["statistic"]["selected"], truth[item["product"]["nmId"]]
        assert (selected["openCount"], selected["cartCount"], selected["orderSum"], selected["cancelCount"]) == (
            funnel.views, funnel.carts, funnel.order_sum, funnel.cancels)
    orders = fd.total(truth.values()).orders
    assert [p["statistic"]["selected"]["shareOrderPercent"] for p in products] == [
        round(100 * truth[p["product"]["nmId"]].orders / orders, 2) for p in products]
    v2 = post(wb, f"{V2}/detail", v2_period_body(day, nmIDs=[products[0]["product"]["nmId"]]))["data"]["cards"]
    assert v2[0]["statistics"]["selectedPeriod"]["ordersSumRub"] == products[0]["statistic"]["selected"]["orderSum"]
    check_schemas(rec)


def test_v3_products_defaults_order_and_past_period(rec):
    wb, day = WB(rec), ago(rec, 3)
    body = v3_products_body(day, orderBy={"field": "orderSum", "mode": "asc"})
    del body["limit"]
    products = post(wb, f"{V3}/products", body)["data"]["products"]
    sums = [p["statistic"]["selected"]["orderSum"] for p in products]
    assert len(products) == 50 and sums == sorted(sums)
    past = products[0]["statistic"]["past"]
    assert past["period"] == {"start": ago(rec, 4), "end": ago(rec, 4)}
    funnel = fd.day_funnel(0, ACME, date.fromisoformat(ago(rec, 4)))[products[0]["product"]["nmId"]]
    assert past["orderCount"] == funnel.orders
    check_schemas(rec)


def test_history_is_the_period_report_day_by_day(rec):
    wb = WB(rec)
    start, end = ago(rec, 7), ago(rec, 1)
    nm_ids = [p["nmID"] for p in data.products(0, ACME)[:20]]
    v2 = post(wb, f"{V2}/detail/history", v2_history_body(start, end, nmIDs=nm_ids))["data"]
    v3 = post(wb, f"{V3}/products/history", v3_history_body(start, end, nmIds=nm_ids))
    week = post(wb, f"{V2}/detail", v2_period_body(start, period={"begin": start, "end": end}, nmIDs=nm_ids))
    assert [p["nmID"] for p in v2] == [p["product"]["nmId"] for p in v3] == nm_ids
    by_card = {c["nmID"]: c["statistics"]["selectedPeriod"] for c in week["data"]["cards"]}
    for old, new in zip(v2, v3, strict=True):
        assert [r["dt"] for r in old["history"]] == [r["date"] for r in new["history"]] == [
            d.isoformat() for d in fd.days(date.fromisoformat(start), date.fromisoformat(end))]
        truth = [fd.day_funnel(0, ACME, date.fromisoformat(r["dt"]))[old["nmID"]] for r in old["history"]]
        assert [r["openCardCount"] for r in old["history"]] == [r["openCount"] for r in new["history"]] == [
            t.views for t in truth]
        assert [r["ordersSumRub"] for r in old["history"]] == [r["orderSum"] for r in new["history"]]
        assert sum(r["buyoutsCount"] for r in old["history"]) == by_card[old["nmID"]]["buyoutsCount"]
    check_schemas(rec)


def test_weekly_history_sums_the_days(rec):
    wb = WB(rec)
    start, end = ago(rec, 7), ago(rec, 1)
    nm_ids = [p["nmID"] for p in data.products(0, ACME)[:3]]
    daily = post(wb, f"{V3}/products/history", v3_history_body(start, end, nmIds=nm_ids))
    weekly = post(wb, f"{V3}/products/history", v3_history_body(start, end, nmIds=nm_ids, aggregationLevel="week"))
    for by_day, by_week in zip(daily, weekly, strict=True):
        assert len(by_week["history"]) in (1, 2) and by_week["history"][0]["date"] == start
        assert sum(r["orderCount"] for r in by_week["history"]) == sum(r["orderCount"] for r in by_day["history"])
    check_schemas(rec)


def test_grouped_reports_sum_their_products(rec):
    wb, day = WB(rec), ago(rec, 1)
    products = data.products(0, ACME)
    per_nm = fd.day_funnel(0, ACME, date.fromisoformat(day))
    truth = fd.group_funnel(per_nm, products)
    grouped = post(wb, f"{V2}/grouped", v2_period_body(day))["data"]["groups"]
    v2 = post(wb, f"{V2}/grouped/history", v2_history_body(day, day))["data"]
    v3 = post(wb, f"{V3}/grouped/history", v3_history_body(day, day))["data"]
    assert {(g["object"]["id"], g["brandName"]) for g in grouped} == set(truth)
    for g in grouped:
        assert g["statistics"]["selectedPeriod"]["ordersCount"] == truth[(g["object"]["id"], g["brandName"])].orders
    assert [(g["object"]["id"], g["brandName"], g["tag"]) for g in v2] == [
        (s, b, {"id": 0, "name": ""}) for s, b in sorted(truth)]
    assert [(g["product"]["subjectId"], g["product"]["brandName"], g["product"]["nmId"]) for g in v3] == [
        (s, b, 0) for s, b in sorted(truth)]
    for old, new in zip(v2, v3, strict=True):
        expected = truth[(old["object"]["id"], old["brandName"])]
        assert old["history"][0]["openCardCount"] == new["history"][0]["openCount"] == expected.views
    subject, brand = sorted(truth)[0]
    one = post(wb, f"{V3}/grouped/history", v3_history_body(day, day, subjectIds=[subject], brandNames=[brand]))
    assert [(g["product"]["subjectId"], g["product"]["brandName"]) for g in one["data"]] == [(subject, brand)]
    check_schemas(rec)


def test_filters(rec):
    wb, day = WB(rec, SMALL), ago(rec, 1)
    products = data.products(0, seller_id(SMALL))
    some = [products[1]["nmID"], products[4]["nmID"]]
    body = v2_period_body(f"{day} 00:00:00", nmIDs=some, period={"begin": f"{day} 00:00:00", "end": f"{day} 23:59:59"})
    assert sorted(c["nmID"] for c in post(wb, f"{V2}/detail", body)["data"]["cards"]) == some
    assert post(wb, f"{V2}/detail", v2_period_body(day, tagIDs=[5]))["data"] == {
        "page": 0, "isNextPage": False, "cards": []}
    kept = post(wb, f"{V3}/products", v3_products_body(day, skipDeletedNm=True))["data"]["products"]
    assert {p["product"]["nmId"] for p in kept} == {p["nmID"] for p in products if not p["isDeleted"]}
    subject = products[0]["subjectID"]
    chosen = post(wb, f"{V3}/products", v3_products_body(day, subjectIds=[subject]))["data"]["products"]
    assert {p["product"]["nmId"] for p in chosen} == {p["nmID"] for p in products if p["subjectID"] == subject}
    check_schemas(rec)


@pytest.mark.parametrize("path, body", [
    (f"{V2}/detail/history", lambda e: v2_history_body(ago(e, 1), ago(e, 1), nmIDs=[1])),
    (f"{V3}/products/history", lambda e: v3_history_body(ago(e, 1), ago(e, 1), nmIds=[1])),
])
def test_a_burst_of_three_then_429(rec, path, body):
    wb = WB(rec)
    answers = [wb.post(path, json=body(rec)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["title"] == "too many requests"
    assert int(answers[3].headers["X-Ratelimit-Retry"]) >= 1 and answers[3].headers["X-Ratelimit-Limit"] == "3"
    check_schemas(rec)


Body = Callable[[Emulator], dict]
TWENTY_ONE = list(range(1, 22))
BAD = [
    (f"{V2}/detail/history", lambda e: v2_history_body(ago(e, 1), ago(e, 1), nmIDs=TWENTY_ONE), "nmIDs"),
    (f"{V2}/detail/history", lambda e: v2_history_body(ago(e, 7), ago(e, 0), nmIDs=[1]), "longer than 7 days"),
    (f"{V2}/detail/history", lambda e: v2_history_body(ago(e, 9), ago(e, 8), nmIDs=[1]), "period.begin"),
    (f"{V2}/grouped/history", lambda e: v2_history_body(ago(e, 1), ago(e, 1), objectIDs=[1, 2, 3, 4, 5],
                                                        brandNames=["a", "b", "c", "d"]), "exceed 16, got 20"),
    (f"{V2}/detail", lambda e: v2_period_body(ago(e, 366)), "period.begin"),
    (f"{V2}/detail", lambda e: {k: v for k, v in v2_period_body(ago(e, 1)).items() if k != "page"}, "page"),
    (f"{V2}/grouped", lambda e: v2_period_body(ago(e, 1), period={"begin": ago(e, 1), "end": ago(e, 2)}), "period"),
    (f"{V3}/products/history", lambda e: v3_history_body(ago(e, 1), ago(e, 1), nmIds=TWENTY_ONE), "nmIds"),
    (f"{V3}/products/history", lambda e: v3_history_body(ago(e, 1), ago(e, 1), nmIds=[]), "nmIds"),
    (f"{V3}/products/history", lambda e: v3_history_body(ago(e, 7), ago(e, 0), nmIds=[1]), "longer than 7 days"),
    (f"{V3}/products/history", lambda e: v3_history_body(ago(e, 9), ago(e, 8), nmIds=[1]), "selectedPeriod.start"),
    (f"{V3}/products/history", lambda e: v3_history_body(ago(e, 1), ago(e, 1), nmIds=[1], aggregationLevel="month"),
     "aggregationLevel"),
    (f"{V3}/grouped/history", lambda e: v3_history_body(ago(e, 1), ago(e, 1), subjectIds=list(range(17))),
     "exceed 16, got 17"),
    (f"{V3}/products", lambda e: v3_products_body(ago(e, 366)), "selectedPeriod.start"),
    (f"{V3}/products", lambda e: v3_products_body(ago(e, 1), limit=1001), "limit"),
    (f"{V3}/products", lambda e: v3_products_body(ago(e, 1), orderBy={"field": "views", "mode": "desc"}),
     "orderBy.field"),
]


@pytest.mark.parametrize("path, body, reason", BAD)
def test_bad_requests_get_the_documented_400(rec, path: str, body: Body, reason: str):
    resp = WB(rec).paced("POST", path, json=body(rec))
    answer = resp.json()
    assert resp.status_code == 400
    if path.startswith(V2):
        assert answer["error"] is True and answer["data"] == []
        assert reason in answer["errorText"] and any(reason in f"{e['field']}: {e['description']}"
                                                     for e in answer["additionalErrors"])
    else:
        assert (answer["title"], answer["origin"]) == ("Invalid request body", "analytics-open-api")
        assert reason in answer["detail"]
    check_schemas(rec, request=False)


def test_the_edges_of_the_rules_are_legal(rec):
    wb = WB(rec)
    assert wb.paced("POST", f"{V2}/detail", json=v2_period_body(ago(rec, 365))).status_code == 200
    week = (ago(rec, 7), ago(rec, 1))
    ids = v3_history_body(*week, nmIds=TWENTY_ONE[:20])
    assert wb.paced("POST", f"{V3}/products/history", json=ids).status_code == 200
    groups = v3_history_body(*week, subjectIds=[1, 2, 3, 4], brandNames=["a", "b"], tagIds=[7, 8])
    assert wb.paced("POST", f"{V3}/grouped/history", json=groups).status_code == 200
    check_schemas(rec)


ROUTES = [
    (f"{V2}/detail", lambda e: v2_period_body(ago(e, 1))),
    (f"{V2}/grouped", lambda e: v2_period_body(ago(e, 1))),
    (f"{V2}/detail/history", lambda e: v2_history_body(ago(e, 1), ago(e, 1), nmIDs=[1])),
    (f"{V2}/grouped/history", lambda e: v2_history_body(ago(e, 1), ago(e, 1))),
    (f"{V3}/products", lambda e: v3_products_body(ago(e, 1))),
    (f"{V3}/products/history", lambda e: v3_history_body(ago(e, 1), ago(e, 1), nmIds=[1])),
    (f"{V3}/grouped/history", lambda e: v3_history_body(ago(e, 1), ago(e, 1))),
]


@pytest.mark.parametrize("path, body", ROUTES)
def test_401_without_the_analytics_scope(rec, path: str, body: Body):
    resp = WB(rec, scopes=("promotion", "statistics")).post(path, json=body(rec))
    assert resp.status_code == 401
    assert resp.json()["detail"] == "token scope not allowed for this API route"
    check_schemas(rec)


def harvest_rows(wb: WB, name: str, day: str, **ids: list[int]) -> dict[str, list[dict]]:
    """Send the first request the catalog entry builds for one day (and id chunk) and map its
    answer into rows the way a harvest does: {table name: rows}."""
    ep = get_endpoint(name)
    values = {f"ids.{k}": v for k, v in ids.items()}
    request = ep.paginator.first(Request.from_call(ep.fetch, start=day, end=day, **values))
    records = records_at(post(wb, request.path, request.json), ep.fetch.records, name)
    context = {"account_id": "a1", "window_start": date.fromisoformat(day), "window_end": date.fromisoformat(day)}
    return {t.name: rows for t, rows in tree_rows(ep.model.__table__, ep.children, records, context, name).items()}


SHARED_PRODUCT_COLUMNS = ("account_id", "nm_id", "date", "vendor_code", "brand_name", "subject_id", "subject_name",
                          "stock_wb", "stock_mp", "open_count", "cart_count", "order_count", "order_sum",
                          "buyout_count", "buyout_sum", "cancel_count", "cancel_sum", "avg_price",
                          "add_to_cart_percent", "cart_to_order_percent", "buyout_percent", "tags")


def test_both_generations_map_to_the_same_rows(rec):
    """The catalog's requests are legal, and v2 and v3 answers for one day land as the same rows."""
    wb, day, products = WB(rec, SMALL), ago(rec, 1), data.products(0, seller_id(SMALL))
    nm_ids = [p["nmID"] for p in products[:20]]
    old, new = (harvest_rows(wb, name, day) for name in ("wb.funnel.products.seed", "wb.funnel.products"))
    old_rows = {r["nm_id"]: r for r in old["wb_funnel_products"]}
    assert len(old_rows) == len(products)
    for row in new["wb_funnel_products"]:
        assert {k: row[k] for k in SHARED_PRODUCT_COLUMNS} == {k: old_rows[row["nm_id"]][k]
                                                               for k in SHARED_PRODUCT_COLUMNS}
        assert row["date"] == date.fromisoformat(day) and row["title"] and row["wb_club_order_count"] is not None
    histories = [harvest_rows(wb, name, day, nm_id=nm_ids)
                 for name in ("wb.funnel.product_history.seed", "wb.funnel.product_history")]
    for rows in histories:
        assert [r["nm_id"] for r in rows["wb_funnel_cards"]] == nm_ids
        assert [(r["account_id"], r["nm_id"], r["date"]) for r in rows["wb_funnel_product_history"]] == [
            ("a1", nm, date.fromisoformat(day)) for nm in nm_ids]
    assert [r["order_sum"] for r in histories[0]["wb_funnel_product_history"]] == [
        r["order_sum"] for r in histories[1]["wb_funnel_product_history"]]
    groups_v2, groups_v3 = (harvest_rows(wb, name, day)
                            for name in ("wb.funnel.grouped_history.seed", "wb.funnel.grouped_history"))
    keys = [(r["subject_id"], r["brand_name"], r["date"]) for r in groups_v3["wb_funnel_group_history"]]
    assert keys == [(r["subject_id"], r["brand_name"], r["date"]) for r in groups_v2["wb_funnel_group_history_v2"]]
    assert {r["tag_id"] for r in groups_v2["wb_funnel_group_history_v2"]} == {0}
    grouped = harvest_rows(wb, "wb.funnel.grouped.seed", day)
    assert sorted((r["subject_id"], r["brand_name"], r["date"]) for r in grouped["wb_funnel_grouped"]) == keys
    check_schemas(rec)
