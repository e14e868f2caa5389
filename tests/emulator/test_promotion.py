"""Promotion routes (wb-api.md §4): answers per the OpenAPI files and the ground truth in
`advdata`, documented 400s, statistics only for statuses 7/9/11, limits and token scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from emulator import Emulator, seller_id
from emulator.server import Exchange
from emulator.wb.data import promotion as advdata
from emulator.wb.data import seller as data
from emulator.wb.routes.promotion import CAMP_ORIGIN
from harvester.catalog import wb_promotion as catalog
from harvester.catalog.model import Endpoint
from harvester.pipeline.parse import records_at, tree_rows
from tests.openapi import check_exchange

from .conftest import WB

SID = seller_id("acme")
END = date(2026, 10, 20)
BEGIN = END - timedelta(days=6)
PERIOD = {"from": str(BEGIN), "to": str(END)}
INTERVAL = {"begin": str(BEGIN), "end": str(END)}
CAMPAIGNS = advdata.campaigns(0, SID)
STATS = [c for c in CAMPAIGNS if c["status"] in advdata.STAT_STATUSES]
IDLE = [c for c in CAMPAIGNS if c["status"] not in advdata.STAT_STATUSES]
UNIFIED = next(c for c in STATS if c["type"] == 8)
MANUAL = next(c for c in STATS if c["type"] == 9)
PAIRS = [(c["advertId"], p["nmID"]) for c in STATS for p in c["nms"]]


def v3_query(ids: list[int], begin: date = BEGIN, end: date = END) -> dict:
    return {"ids": ",".join(map(str, ids)), "beginDate": str(begin), "endDate": str(end)}


@pytest.fixture
def wb(rec: Emulator) -> WB:
    return WB(rec, scopes=("promotion",))


# §4.6: POST /adv/v1/normquery/stats was added 2026-02, after the vendored 2025-12 files; this
# fragment transcribes the reference's description of it.
_STAT_V1 = {
    "type": "object",
    "required": ["normQuery", "views", "clicks", "atbs", "orders", "ctr", "cpc", "cpm", "avgPos", "shks", "spend"],
    "additionalProperties": False,
    "properties": {
        "normQuery": {"type": "string"}, "views": {"type": "integer", "nullable": True},
        "clicks": {"type": "integer"}, "atbs": {"type": "integer"}, "orders": {"type": "integer"},
        "ctr": {"type": "number", "nullable": True}, "cpc": {"type": "number"},
        "cpm": {"type": "number", "nullable": True}, "avgPos": {"type": "number"},
        "shks": {"type": "integer"}, "spend": {"type": "number"},
    },
}
_PAIR_V1 = {"type": "object", "required": ["advertId", "nmId"],
            "properties": {"advertId": {"type": "integer"}, "nmId": {"type": "integer"}}}
NORMQUERY_V1 = OpenAPI.from_dict({
    "openapi": "3.0.1",
    "info": {"title": "normquery v1 (wb-api.md §4.6)", "version": "2026-02"},
    "servers": [{"url": "https://advert-api.wildberries.ru"}],
    "paths": {"/adv/v1/normquery/stats": {"post": {
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["from", "to", "items"],
            "properties": {"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
                           "items": {"type": "array", "maxItems": 100, "items": _PAIR_V1}}}}}},
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
            "type": "object", "required": ["items"],
            "properties": {"items": {"type": "array", "items": {**_PAIR_V1, "properties": {
                **_PAIR_V1["properties"],
                "dailyStats": {"type": "array", "items": {
                    "type": "object", "required": ["date", "stat"],
                    "properties": {"date": {"type": "string", "format": "date"}, "stat": _STAT_V1}}}}}}}}}}}},
    }}},
})


def check_v1_normquery(exchange: Exchange) -> None:
    req, resp = exchange.request, exchange.response
    mock = MockRequest("https://advert-api.wildberries.ru", "post", req.path, data=req.body,
                       content_type="application/json")
    NORMQUERY_V1.validate_request(mock)
    NORMQUERY_V1.validate_response(mock, MockResponse(resp.body, status_code=resp.status,
                                                      content_type="application/json"))


def check(emu: Emulator) -> None:
    """Every recorded exchange (200s and the documented errors) matches its spec."""
    for exchange in emu.exchanges:
        if exchange.route == "POST /adv/v1/normquery/stats":
            check_v1_normquery(exchange)
        else:
            check_exchange(exchange)


def test_data_is_deterministic_and_has_every_kind_of_campaign():
    assert advdata.campaigns(0, SID) == CAMPAIGNS and advdata.campaigns(1, SID) != CAMPAIGNS
    statuses = {c["status"] for c in CAMPAIGNS}
    assert {4, 7, 8, 9, 11} <= statuses and {8, 9} <= {c["type"] for c in STATS}
    products = {p["nmID"]: p["name"] for p in data.products(0, SID)}
    assert all(products[p["nmID"]] == p["name"] for c in CAMPAIGNS for p in c["nms"])
    item = advdata.fullstats(0, SID, MANUAL["advertId"], advdata.days(BEGIN, END))
    assert item["views"] == sum(d["views"] for d in item["days"])
    assert all(a["clicks"] == sum(n["clicks"] for n in a["nms"]) for d in item["days"] for a in d["apps"])


def test_campaign_list_and_fullstats_match_the_ground_truth(rec: Emulator, wb: WB):
    assert wb.paced("GET", "/adv/v1/promotion/count").json() == advdata.campaign_count(0, SID)
    ids = [c["advertId"] for c in CAMPAIGNS]
    v3 = wb.paced("GET", "/adv/v3/fullstats", params=v3_query(ids)).json()
    days = advdata.days(BEGIN, END)
    assert v3 == [advdata.fullstats(0, SID, c["advertId"], days) for c in STATS]  # 7, 9, 11 only
    v2 = wb.paced("POST", "/adv/v2/fullstats", json=[{"id": i, "interval": INTERVAL} for i in ids]).json()
    assert [item["advertId"] for item in v2] == [c["advertId"] for c in STATS]
    first_v2, first_v3 = v2[0]["days"][0]["apps"][0], v3[0]["days"][0]["apps"][0]
    assert "canceled" not in first_v2 and first_v2["nm"] == [
        {k: v for k, v in n.items() if k != "canceled"} for n in first_v3["nms"]]
    by_dates = wb.paced("POST", "/adv/v2/fullstats", json=[{"id": MANUAL["advertId"], "dates": [str(END)]}]).json()
    assert by_dates[0]["dates"] == [str(END)]
    check(rec)


def test_keyword_and_cluster_routes(rec: Emulator, wb: WB):
    clusters = wb.paced("GET", "/adv/v2/auto/stat-words", params={"id": UNIFIED["advertId"]}).json()
    assert clusters == advdata.stat_words(0, SID, UNIFIED["advertId"])
    words = wb.paced("GET", "/adv/v1/stat/words", params={"id": MANUAL["advertId"]}).json()
    assert words["stat"][0]["keyword"] == "Всего по кампании" and len(words["stat"]) <= 61
    query = {"advert_id": MANUAL["advertId"], **PERIOD}
    keywords = wb.paced("GET", "/adv/v0/stats/keywords", params=query).json()
    assert keywords == {"keywords": advdata.keywords(0, SID, MANUAL["advertId"], BEGIN, END)}
    v0 = wb.paced("POST", "/adv/v0/normquery/stats",
                  json={**PERIOD, "items": [{"advert_id": a, "nm_id": n} for a, n in PAIRS]}).json()
    assert [(s["advert_id"], s["nm_id"]) for s in v0["stats"]] == PAIRS and any(s["stats"] for s in v0["stats"])
    v1 = wb.paced("POST", "/adv/v1/normquery/stats",
                  json={**PERIOD, "items": [{"advertId": a, "nmId": n} for a, n in PAIRS]}).json()
    a, n = PAIRS[0]
    assert v1["items"][0] == {"advertId": a, "nmId": n,
                              "dailyStats": advdata.normquery_v1(0, SID, a, n, BEGIN, END)}
    views = {q["norm_query"]: q["views"] for q in v0["stats"][0]["stats"]}
    daily: dict[str, int] = {}
    for d in v1["items"][0]["dailyStats"]:
        daily[d["stat"]["normQuery"]] = daily.get(d["stat"]["normQuery"], 0) + d["stat"]["views"]
    assert views == daily  # the period form sums the days
    check(rec)


def test_media_campaigns_page_and_their_stats(rec: Emulator, wb: WB):
    media = advdata.media_campaigns(0, SID)
    assert len(media) >= 2
    pages = [wb.paced("GET", "/adv/v1/adverts", params={"limit": 1, "offset": i, "order": "id", "direction": "asc"})
             for i in range(len(media) + 1)]
    assert [p.json()[0] for p in pages[:-1]] == media and pages[-1].status_code == 204
    body = [{"id": m["advertId"], "interval": {"begin": str(END), "end": str(END)}} for m in media]
    answer = wb.paced("POST", "/adv/v1/stats", json=body).json()
    assert answer == [{"interval": b["interval"], "stats": advdata.media_stats(0, SID, b["id"], [END])} for b in body]
    ran = [m for m in media if m["status"] in advdata.MEDIA_STAT_STATUSES]
    assert all(bool(a["stats"]) <= (m in ran) for a, m in zip(answer, media, strict=False))
    dated = wb.paced("POST", "/adv/v1/stats", json=[{"id": ran[0]["advertId"], "dates": [str(END)]}]).json()
    assert dated[0]["dates"] == [str(END)]
    check(rec)


def test_statistics_exist_only_for_statuses_7_9_11(rec: Emulator, wb: WB):
    idle = IDLE[0]["advertId"]
    assert wb.paced("GET", "/adv/v3/fullstats", params=v3_query([idle])).json() == []
    v2 = wb.paced("POST", "/adv/v2/fullstats", json=[{"id": idle, "interval": INTERVAL}])
    assert (v2.status_code, v2.json()) == (400, {"error": "Не найдено"})
    assert wb.paced("GET", "/adv/v2/auto/stat-words", params={"id": idle}).status_code == 204
    missing = wb.paced("GET", "/adv/v0/stats/keywords", params={"advert_id": idle, **PERIOD})
    assert (missing.status_code, missing.json()) == (404, {"type": "not found", "message": "campaign not found"})
    v0 = wb.paced("POST", "/adv/v0/normquery/stats", json={**PERIOD, "items": [{"advert_id": idle, "nm_id": 1}]})
    assert v0.json() == {"stats": [{"advert_id": idle, "nm_id": 1, "stats": []}]}
    wrong_kind = wb.paced("GET", "/adv/v2/auto/stat-words", params={"id": MANUAL["advertId"]})
    assert wrong_kind.json() == {"error": "доступно только для кампаний с единой ставкой"}
    check(rec)


def test_bad_requests_get_the_documented_400(rec: Emulator, wb: WB):
    def camp_400(resp, detail: str) -> None:
        body = resp.json()
        assert resp.status_code == 400 and body["origin"] == CAMP_ORIGIN and body["status"] == 400
        assert detail in body["detail"] and len(body["request_id"]) == 32

    camp_400(wb.paced("GET", "/adv/v3/fullstats", params=v3_query(list(range(1, 52)))), "invalid ids")
    camp_400(wb.paced("GET", "/adv/v3/fullstats", params=v3_query([1], END - timedelta(days=31))), "31 days")
    camp_400(wb.paced("GET", "/adv/v3/fullstats", params={"ids": "1", "beginDate": "20.10.2026",
                                                          "endDate": str(END)}), "beginDate")
    both = [{"id": MANUAL["advertId"], "interval": INTERVAL, "dates": [str(END)]}]
    for path in ("/adv/v2/fullstats", "/adv/v1/stats"):
        resp = wb.paced("POST", path, json=both)
        assert (resp.status_code, resp.json()) == (400, {"error": "Некорректное тело запроса"})
        too_many = wb.paced("POST", path, json=[{"id": i, "interval": INTERVAL} for i in range(1, 102)])
        assert too_many.status_code == 400
    bad_end = wb.paced("POST", "/adv/v2/fullstats", json=[{"id": 1, "interval": {"begin": str(END), "end": "x"}}])
    assert bad_end.json() == {"error": "Некорректная дата конца"}
    week = wb.paced("GET", "/adv/v0/stats/keywords",
                    params={"advert_id": MANUAL["advertId"], "from": str(END - timedelta(days=7)), "to": str(END)})
    assert (week.status_code, week.json()) == (
        400, {"type": "bad request", "message": "the period of stats cannot be more than one week"})
    items = [{"advert_id": 1, "nm_id": i} for i in range(101)]
    camp_400(wb.paced("POST", "/adv/v0/normquery/stats", json={**PERIOD, "items": items}), "too many items")
    camp_400(wb.paced("POST", "/adv/v1/normquery/stats", json={"to": str(END), "items": []}), "period")
    for exchange in rec.exchanges:  # the routes whose 400 the spec documents
        if exchange.route in ("GET /adv/v3/fullstats", "POST /adv/v2/fullstats", "GET /adv/v0/stats/keywords",
                              "POST /adv/v1/stats", "POST /adv/v0/normquery/stats"):
            check_exchange(exchange, request=False)


ROUTES = [
    ("GET", "/adv/v1/promotion/count", {}, 5),
    ("GET", "/adv/v3/fullstats", {"params": v3_query([MANUAL["advertId"]])}, 1),
    ("POST", "/adv/v2/fullstats", {"json": [{"id": MANUAL["advertId"], "interval": INTERVAL}]}, 5),
    ("GET", "/adv/v2/auto/stat-words", {"params": {"id": UNIFIED["advertId"]}}, 4),
    ("GET", "/adv/v1/stat/words", {"params": {"id": MANUAL["advertId"]}}, 4),
    ("GET", "/adv/v0/stats/keywords", {"params": {"advert_id": MANUAL["advertId"], **PERIOD}}, 4),
    ("POST", "/adv/v0/normquery/stats", {"json": {**PERIOD, "items": [{"advert_id": 1, "nm_id": 2}]}}, 20),
    ("POST", "/adv/v1/normquery/stats", {"json": {**PERIOD, "items": [{"advertId": 1, "nmId": 2}]}}, 20),
    ("GET", "/adv/v1/adverts", {}, 10),
    ("POST", "/adv/v1/stats", {"json": [{"id": 1, "interval": INTERVAL}]}, 10),
]


@pytest.mark.parametrize(("method", "path", "kw", "burst"), ROUTES, ids=[r[1] for r in ROUTES])
def test_burst_then_429(method: str, path: str, kw: dict, burst: int):
    with Emulator(record=True, time_scale=0.001) as emu:  # no refill while the burst is sent
        wb = WB(emu, scopes=("promotion",))
        statuses = [wb.http.request(method, emu.url + path, **kw).status_code for _ in range(burst + 1)]
        assert statuses[:burst].count(429) == 0 and statuses[-1] == 429
        limited = emu.exchanges[-1]
        assert int(limited.response.headers["X-Ratelimit-Retry"]) > 0
        if path != "/adv/v1/normquery/stats":
            check_exchange(limited, request=False)


@pytest.mark.parametrize(("method", "path", "kw", "burst"), ROUTES, ids=[r[1] for r in ROUTES])
def test_401_without_the_promotion_scope(rec: Emulator, method: str, path: str, kw: dict, burst: int):
    resp = WB(rec, scopes=("analytics",)).http.request(method, rec.url + path, **kw)
    assert resp.status_code == 401 and resp.json()["detail"] == "token scope not allowed for this API route"


def rows_of(endpoint: Endpoint, body: object, context: dict) -> dict[str, list[dict]]:
    """What the harvester stores from one answer: the records, then every child table's rows."""
    records = records_at(body, endpoint.fetch.records, endpoint.name)
    tables = tree_rows(endpoint.model.__table__, endpoint.children, records, context, endpoint.name)
    return {table.name: rows for table, rows in tables.items()}


def test_recorded_answers_map_to_keyed_rows(rec: Emulator, wb: WB):
    context = {"account_id": "acc-1", "window_start": BEGIN, "window_end": END}
    count = rows_of(catalog.CAMPAIGNS, wb.paced("GET", "/adv/v1/promotion/count").json(), context)
    assert sorted((r["advert_id"], r["type"], r["status"]) for r in count["wb_adv_campaigns"]) == [
        (c["advertId"], c["type"], c["status"]) for c in CAMPAIGNS]
    v3 = rows_of(catalog.FULLSTATS, wb.paced("GET", "/adv/v3/fullstats", params=v3_query([MANUAL["advertId"]])).json(),
                 context)
    item = advdata.fullstats(0, SID, MANUAL["advertId"], advdata.days(BEGIN, END))
    assert [(r["advert_id"], r["window_start"], r["views"]) for r in v3["wb_adv_fullstats"]] == [
        (MANUAL["advertId"], BEGIN, item["views"])]
    assert [(r["advert_id"], r["date"]) for r in v3["wb_adv_fullstats_days"]] == [
        (MANUAL["advertId"], date.fromisoformat(d["date"][:10])) for d in item["days"]]
    expected = [(MANUAL["advertId"], date.fromisoformat(d["date"][:10]), a["appType"], n["nmId"], n["canceled"])
                for d in item["days"] for a in d["apps"] for n in a["nms"]]
    nm_key = ("advert_id", "date", "app_type", "nm_id")
    assert [(*tuple(r[k] for k in nm_key), r["cancel_count"]) for r in v3["wb_adv_fullstats_nms"]] == expected
    v2_body = wb.paced("POST", "/adv/v2/fullstats", json=[{"id": MANUAL["advertId"], "interval": INTERVAL}]).json()
    v2 = rows_of(catalog.FULLSTATS_SEED, v2_body, context)
    # The same tables and keys from the retired shape, which spells products `nm` and has no `canceled`.
    assert [(*tuple(r[k] for k in nm_key), r["cancel_count"]) for r in v2["wb_adv_fullstats_nms"]] == [
        (*e[:4], None) for e in expected]
    media = advdata.media_campaigns(0, SID)
    body = [{"id": m["advertId"], "interval": {"begin": str(END), "end": str(END)}} for m in media]
    answer = wb.paced("POST", "/adv/v1/stats", json=body).json()
    stats = rows_of(catalog.MEDIA_STATS, answer, {**context, "window_start": END, "window_end": END})
    assert stats["wb_adv_media_stats"] and [(r["item_id"], r["date"]) for r in stats["wb_adv_media_stats"]] == [
        (s["item_id"], END) for a in answer for s in a["stats"]]
