"""The search queries report routes (wb-api.md §6): answers against WB's OpenAPI file and the
ground truth in searchdata, Jam, limits, 400s and 401s, and the catalog's requests end to end
(legal for the emulator, parsed into rows with the right keys)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests

from emulator import Emulator, seller_id
from emulator.wb.data import search as searchdata
from emulator.wb.data import seller as data
from harvester.catalog import get_endpoint
from harvester.core.request import Request
from harvester.pipeline import harvest, parse
from harvester.pipeline.parse import records_at
from tests.openapi import check_exchange

from .conftest import WB

BASE = "/api/v2/search-report"
REPORT, GROUPS, DETAILS = f"{BASE}/report", f"{BASE}/table/groups", f"{BASE}/table/details"
TEXTS, ORDERS = f"{BASE}/product/search-texts", f"{BASE}/product/orders"
SID = seller_id("acme")


def days_back(emu: Emulator, first: int, last: int) -> dict:
    today = emu.clock.today()
    return {"start": str(today - timedelta(days=first)), "end": str(today - timedelta(days=last))}


def table_body(emu: Emulator, **changes) -> dict:
    body = {
        "currentPeriod": days_back(emu, 7, 1),
        "positionCluster": "all",
        "orderBy": {"field": "openCard", "mode": "desc"},
        "limit": 1000,
        "offset": 0,
    }
    return body | changes


def texts_body(emu: Emulator, nm_ids: list[int], **changes) -> dict:
    body = {
        "currentPeriod": days_back(emu, 3, 1),
        "nmIds": nm_ids,
        "topOrderBy": "openCard",
        "orderBy": {"field": "orders", "mode": "desc"},
        "limit": 30,
    }
    return body | changes


def orders_body(emu: Emulator, nm_id: int, texts: list[str], **changes) -> dict:
    return {"period": days_back(emu, 7, 1), "nmId": nm_id, "searchTexts": texts} | changes


def live_ids(count: int = 50) -> list[int]:
    return [p["nmID"] for p in data.products(0, SID) if not p["isDeleted"]][:count]


def a_product_with_texts(emu: Emulator) -> tuple[int, list[str]]:
    body = texts_body(emu, live_ids())
    found = searchdata.search_texts(0, SID, body)
    nm_id = found[0]["nmId"]
    return nm_id, [t["text"] for t in found if t["nmId"] == nm_id]


def valid_requests(emu: Emulator) -> list[tuple[str, dict]]:
    nm_id, texts = a_product_with_texts(emu)
    subject = data.products(0, SID)[0]
    return [
        (REPORT, table_body(emu)),
        (REPORT, table_body(emu, pastPeriod=days_back(emu, 14, 8), includeSearchTexts=False, limit=2, offset=1,
                            positionCluster="firstHundred")),
        (GROUPS, table_body(emu, subjectIds=[subject["subjectID"]], orderBy={"field": "avgPosition", "mode": "asc"})),
        (DETAILS, table_body(emu, nmIds=live_ids(), includeSubstitutedSKUs=True)),
        (DETAILS, table_body(emu, subjectId=subject["subjectID"], brandName=subject["brandName"], tagId=0,
                             pastPeriod=days_back(emu, 10, 8), limit=5)),
        (TEXTS, texts_body(emu, live_ids(), pastPeriod=days_back(emu, 6, 4))),
        (ORDERS, orders_body(emu, nm_id, [*texts, "несуществующий запрос"])),
    ]


def page(items: list[dict], body: dict) -> list[dict]:
    return items[body["offset"] :][: body["limit"]]


TRUTH = {
    REPORT: searchdata.main_page,
    GROUPS: lambda seed, sid, body: {"groups": page(searchdata.groups(seed, sid, body), body)},
    DETAILS: lambda seed, sid, body: {"products": page(searchdata.products(seed, sid, body), body)},
    TEXTS: lambda seed, sid, body: {"items": searchdata.search_texts(seed, sid, body)},
    ORDERS: searchdata.product_orders,
}


def test_routes_answer_per_spec_and_truth(fast_rec):
    wb = WB(fast_rec)
    for path, body in valid_requests(fast_rec):
        resp = wb.paced("POST", path, json=body)
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"data": TRUTH[path](0, SID, body)}
    answers = [e for e in fast_rec.exchanges if e.response.status == 200]
    assert len(answers) == 7
    for exchange in answers:
        check_exchange(exchange)


def test_answers_are_realistic(fast_rec):
    """Non-empty, Russian, consistent: every product of the report is the seller's."""
    body = table_body(fast_rec)  # once: an emulated midnight passes every 24 real seconds at this scale
    page = searchdata.main_page(0, SID, body)
    catalogue = {p["nmID"]: p for p in data.products(0, SID)}
    assert page["commonInfo"]["totalProducts"] == len(searchdata.products(0, SID, body)) > 0
    assert len(page["positionInfo"]["chartItems"]) == len(page["visibilityInfo"]["byDay"]) == 7
    items = [i for g in page["groups"] for i in g["items"]]
    assert items and all(catalogue[i["nmId"]]["name"] == i["name"] for i in items)
    texts = searchdata.search_texts(0, SID, texts_body(fast_rec, live_ids()))
    assert texts and all(t["nmId"] in catalogue for t in texts)
    assert any(any("а" <= ch <= "я" for ch in t["text"]) for t in texts)
    assert all(t["frequency"]["current"] > t["openCard"]["current"] for t in texts)


def test_orders_agree_with_one_day_search_texts(fast_rec):
    nm_id, texts = a_product_with_texts(fast_rec)
    orders = searchdata.product_orders(0, SID, orders_body(fast_rec, nm_id, texts))
    for item in orders["items"]:
        for point in item["dateItems"]:
            day = {"start": point["dt"], "end": point["dt"]}
            found = searchdata.search_texts(0, SID, texts_body(fast_rec, [nm_id], currentPeriod=day))
            same = next(t for t in found if t["text"] == item["text"])
            expected = (same["avgPosition"]["current"], same["orders"]["current"])
            assert (point["avgPosition"], point["orders"]) == expected
    assert {p["dt"] for p in orders["total"]} == {p["dt"] for i in orders["items"] for p in i["dateItems"]}


def test_details_pages_cover_every_product(fast_rec):
    wb = WB(fast_rec)
    whole = table_body(fast_rec)  # dated once: the emulated day may turn while paging at 3,600×
    body = whole | {"limit": 100}
    seen = []
    while True:
        page = wb.paced("POST", DETAILS, json=body).json()["data"]["products"]
        seen += page
        if len(page) < body["limit"]:
            break
        body = body | {"offset": body["offset"] + body["limit"]}
    assert seen == searchdata.products(0, SID, whole)


def _set_jam(emu: Emulator, jam: bool) -> None:
    resp = requests.post(emu.url + "/__emulator/sellers", json={"seller": "acme", "jam": jam})
    assert resp.json() == {"seller": SID, "jam": jam}


def test_jam_is_required(fast_rec):
    wb = WB(fast_rec)
    requests_ = valid_requests(fast_rec)
    _set_jam(fast_rec, False)
    for path, body in requests_:
        resp = wb.paced("POST", path, json=body)
        assert resp.status_code == 403
        payload = resp.json()
        assert (payload["title"], payload["detail"], payload["origin"]) == (
            "Authorization error", "Authorization error", "analytic-open-api")
    for exchange in fast_rec.exchanges:
        check_exchange(exchange)
    _set_jam(fast_rec, True)
    assert all(wb.paced("POST", path, json=body).status_code == 200 for path, body in requests_)


def test_burst_then_429():
    """Three requests in a row pass, on any of the five routes; the fourth waits 20 s."""
    with Emulator(time_scale=1.0, record=True) as emu:
        wb = WB(emu)
        nm_id, texts = a_product_with_texts(emu)
        body = orders_body(emu, nm_id, texts[:1], period=days_back(emu, 1, 1))
        assert [wb.post(path, json=b).status_code for path, b in
                ((ORDERS, body), (TEXTS, texts_body(emu, [nm_id])), (ORDERS, body))] == [200, 200, 200]
        resp = wb.post(ORDERS, json=body)
        assert resp.status_code == 429
        assert 18 <= int(resp.headers["X-Ratelimit-Retry"]) <= 20 and resp.headers["X-Ratelimit-Limit"] == "3"
        check_exchange(emu.exchanges[-1])


def test_401_without_the_analytics_scope(fast_rec):
    wb = WB(fast_rec, scopes=("promotion",))
    for path, body in valid_requests(fast_rec):
        resp = wb.post(path, json=body)
        assert resp.status_code == 401
        assert resp.json()["detail"] == "token scope not allowed for this API route"
    for exchange in fast_rec.exchanges:
        check_exchange(exchange)


BAD = [  # (route, changes to a valid body given the emulator, None dropping a field; the reason)
    (REPORT, lambda e: {"limit": 1001}, "limit (must be"),
    (REPORT, lambda e: {"limit": None}, "limit (field required)"),
    (REPORT, lambda e: {"positionCluster": "top"}, "positionCluster ("),
    (REPORT, lambda e: {"orderBy": {"field": "avgPosition", "mode": "asc"}}, "orderBy (field must be one of openCard"),
    (REPORT, lambda e: {"includeSubstitutedSKUs": False, "includeSearchTexts": False},
     "includeSubstitutedSKUs and includeSearchTexts can not both be false"),
    (REPORT, lambda e: {"currentPeriod": days_back(e, 366, 360)}, "currentPeriod.start (must not be earlier"),
    (REPORT, lambda e: {"pastPeriod": days_back(e, 20, 8)}, "pastPeriod (must not be longer"),
    (REPORT, lambda e: {"pastPeriod": days_back(e, 8, 2)}, "pastPeriod.end (must be before"),
    (GROUPS, lambda e: {}, "subjectIds, brandNames or tagIds (a filter is required"),
    (GROUPS, lambda e: {"subjectIds": [105], "orderBy": {"field": "orderCount", "mode": "asc"}},
     "orderBy (field must be one of avgPosition"),
    (DETAILS, lambda e: {"nmIds": list(range(1, 52))}, "nmIds (must hold at most 50"),
    (DETAILS, lambda e: {"offset": -1}, "offset ("),
    (TEXTS, lambda e: {"limit": 31}, "limit (must be an integer from 1 to 30"),
    (TEXTS, lambda e: {"limit": 0}, "limit (must be an integer from 1 to 30"),
    (TEXTS, lambda e: {"nmIds": list(range(1, 52))}, "nmIds (must hold at most 50"),
    (TEXTS, lambda e: {"topOrderBy": "visibility"}, "topOrderBy ("),
    (TEXTS, lambda e: {"nmIds": None}, "nmIds (field required)"),
    (ORDERS, lambda e: {"period": days_back(e, 8, 1)}, "period (must not be longer than 7 days"),
    (ORDERS, lambda e: {"searchTexts": []}, "searchTexts ("),
    (ORDERS, lambda e: {"searchTexts": [f"запрос {i}" for i in range(31)]}, "searchTexts ("),
    (ORDERS, lambda e: {"nmId": "123"}, "nmId ("),
]


def _bad_body(emu: Emulator, path: str, change) -> dict:
    body = {REPORT: table_body(emu), GROUPS: table_body(emu), DETAILS: table_body(emu),
            TEXTS: texts_body(emu, [1]), ORDERS: orders_body(emu, 1, ["кроссовки"])}[path]
    return {k: v for k, v in (body | change(emu)).items() if v is not None}


@pytest.mark.parametrize(("path", "change", "reason"), BAD)
def test_bad_body_gives_400(fast_rec, path, change, reason):
    resp = WB(fast_rec).paced("POST", path, json=_bad_body(fast_rec, path, change))
    assert resp.status_code == 400, resp.text
    payload = resp.json()
    assert (payload["title"], payload["origin"]) == ("Invalid request body", "analytic-open-api")
    assert payload["detail"].startswith("code=400, message=invalid: " + reason)
    check_exchange(fast_rec.exchanges[-1], request=False)  # the request breaks the schema on purpose


def test_not_json_gives_400(fast_rec):
    resp = WB(fast_rec).post(REPORT, data=b"{oops", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400


def test_period_edges_are_legal(fast_rec):
    wb = WB(fast_rec)
    nm_id, texts = a_product_with_texts(fast_rec)
    orders = orders_body(fast_rec, nm_id, texts, period=days_back(fast_rec, 6, 0))
    assert wb.paced("POST", ORDERS, json=orders).status_code == 200
    same_length_past = table_body(fast_rec, currentPeriod=days_back(fast_rec, 7, 1),
                                  pastPeriod=days_back(fast_rec, 14, 8))
    assert wb.paced("POST", REPORT, json=same_length_past).status_code == 200
    year_ago = table_body(fast_rec, currentPeriod=days_back(fast_rec, 365, 365))
    assert wb.paced("POST", REPORT, json=year_ago).status_code == 200


# --- the catalog's requests, sent and parsed ---------------------------------------------------


def _catalog_exchange(emu: Emulator, name: str, chunk: list[tuple]) -> tuple[dict, list[dict], dict]:
    """Send the entry's first request for yesterday's window (orders: the two last days) and
    return the context, the records and the rows per table the harvester would store."""
    endpoint = get_endpoint(name)
    yesterday = emu.clock.today() - timedelta(days=1)
    window = (yesterday - timedelta(days=1), yesterday) if endpoint.window.max_days > 1 else (yesterday, yesterday)
    request = Request.from_call(endpoint.fetch, **harvest.request_values(window, endpoint.ids, chunk))
    request = endpoint.paginator.first(request)
    resp = WB(emu).paced(request.method, request.path, json=request.json)
    assert resp.status_code == 200, resp.text
    check_exchange(emu.exchanges[-1])  # the harvester's request is legal
    context = {"account_id": "acc-1", "window_start": window[0], "window_end": window[1]}
    if endpoint.ids and endpoint.ids.group:
        context[endpoint.ids.group] = chunk[0][0]
    records = records_at(resp.json(), endpoint.fetch.records, request.label, endpoint.fetch.single)
    tables = parse.tree_rows(endpoint.model.__table__, endpoint.children, records, context, request.label)
    return context, records, {t.name: rows for t, rows in tables.items()}


def _keys(table_rows: list[dict], *names: str) -> list[tuple]:
    return [tuple(r[n] for n in names) for r in table_rows]


def test_catalog_products_request_and_rows(fast_rec):
    context, records, tables = _catalog_exchange(fast_rec, "wb.search_report.products", [()])
    rows = tables["wb_search_report_products"]
    assert len(rows) == len(records) > 0
    day = context["window_start"]
    assert _keys(rows, "account_id", "date", "nm_id") == [("acc-1", day, r["nmId"]) for r in records]
    assert rows[0]["open_count"] == records[0]["openCard"]["current"]
    assert rows[0]["min_price"] == records[0]["price"]["minPrice"]


def test_catalog_texts_request_and_rows(fast_rec):
    context, records, tables = _catalog_exchange(fast_rec, "wb.search_report.texts", [(n,) for n in live_ids()])
    rows = tables["wb_search_texts"]
    assert len(rows) == len(records) > 0
    assert _keys(rows, "date", "nm_id", "text") == [(context["window_start"], r["nmId"], r["text"]) for r in records]
    assert rows[0]["order_count_percentile"] == records[0]["orders"]["percentile"]


def test_catalog_main_page_request_and_rows(fast_rec):
    context, records, tables = _catalog_exchange(fast_rec, "wb.search_report", [()])
    (row,) = tables["wb_search_report"]
    assert (row["account_id"], row["date"]) == ("acc-1", context["window_start"])
    assert row["total_products"] == records[0]["commonInfo"]["totalProducts"]
    groups = tables["wb_search_report_groups"]
    assert _keys(groups, "date", "subject_id", "brand_name", "tag_id") == [
        (context["window_start"], g["subjectId"], g["brandName"], g["tagId"]) for g in records[0]["groups"]]


def test_catalog_orders_request_and_rows(fast_rec):
    nm_id, texts = a_product_with_texts(fast_rec)
    context, records, tables = _catalog_exchange(fast_rec, "wb.search_report.orders", [(nm_id, t) for t in texts])
    asked = {"account_id": "acc-1", "nm_id": nm_id}
    assert tables["wb_search_orders"] == [asked | {"period_start": context["window_start"],
                                                   "period_end": context["window_end"], "unit_id": None,
                                                   "loaded_at": None}]  # no unit: a parse outside a harvest
    answer = records[0]
    assert _keys(tables["wb_search_orders_days"], "nm_id", "text", "date") == [
        (nm_id, i["text"], date.fromisoformat(p["dt"])) for i in answer["items"] for p in i["dateItems"]]
    assert _keys(tables["wb_search_orders_totals"], "account_id", "nm_id", "date") == [
        ("acc-1", nm_id, date.fromisoformat(p["dt"])) for p in answer["total"]]
    assert {r["text"] for r in tables["wb_search_orders_texts"]} == set(texts)
