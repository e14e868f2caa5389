"""The "Reports" section (wb-api.md §9.1, §9.4-§9.7): answers against WB's OpenAPI files and
the ground truth of `reportdata`, paging, documented 400s, auth and limits.

The 2024-06 merge holds no analytics paths, and GET /api/v1/analytics/storage-coefficient
(retired), /api/analytics/v1/measurement-penalties and /api/analytics/v1/warehouse-measurements
(both added 2026-01) are in no vendored file: those three are checked against the field
lists of wb-api.md §9.6 instead."""

import json
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from emulator import seller_id
from emulator.wb.data import analytics as reportdata
from emulator.wb.data.analytics import antifraud_week
from emulator.wb.routes.analytics import antifraud_published
from tests.openapi import check_exchange, spec_for

from .conftest import WB

SID = seller_id("acme")
START, END = date(2026, 9, 1), date(2026, 10, 1)  # 31 days
EXCISE = "/api/v1/analytics/excise-report"
ANTIFRAUD = "/api/v1/analytics/antifraud-details"
INCORRECT = "/api/v1/analytics/incorrect-attachments"
DEDUCTIONS = "/api/analytics/v1/deductions"
COEFFICIENT = "/api/v1/analytics/storage-coefficient"
PENALTIES = "/api/analytics/v1/measurement-penalties"
MEASUREMENTS = "/api/analytics/v1/warehouse-measurements"
LABELING = "/api/v1/analytics/goods-labeling"
UNCHECKED = {COEFFICIENT, PENALTIES, MEASUREMENTS}
# wb-api.md §9.6, for the routes no vendored spec describes
FIELDS = {
    COEFFICIENT: {"actualHeight", "actualLength", "actualVolume", "actualWidth", "date", "dimensionDifference",
                  "height", "length", "width", "volume", "logWarehouseCoef", "nmID", "photoUrls", "title"},
    PENALTIES: {"nmId", "subjectName", "dimId", "prcOver", "volume", "width", "length", "height", "volumeSup",
                "widthSup", "lengthSup", "heightSup", "photoUrls", "dtBonus", "isValid", "isValidDt",
                "reversalAmount", "penaltyAmount"},
    MEASUREMENTS: {"nmId", "subjectName", "dimId", "volume", "width", "length", "height", "photoUrls", "dt"},
}


def moment(day: date, end: bool = False) -> str:
    return f"{day}T23:59:59Z" if end else f"{day}T00:00:00Z"


def utc(day: date, end: bool = False) -> datetime:
    return datetime.fromisoformat(moment(day, end).replace("Z", "+00:00"))


def dates(start: date = START, end: date = END) -> dict:
    return {"dateFrom": str(start), "dateTo": str(end)}


def paged(start: date = START, end: date = END, **extra) -> dict:
    return {"dateFrom": moment(start), "dateTo": moment(end, True), "limit": 1000, **extra}


# one valid request per route: (method, path, query, body)
VALID = {
    EXCISE: ("POST", EXCISE, dates(), {"countries": []}),
    ANTIFRAUD: ("GET", ANTIFRAUD, {"date": "2026-09-18"}, None),
    INCORRECT: ("GET", INCORRECT, dates(), None),
    DEDUCTIONS: ("GET", DEDUCTIONS, paged(), None),
    COEFFICIENT: ("GET", COEFFICIENT, {"date": "2026-10-07"}, None),
    PENALTIES: ("GET", PENALTIES, paged(), None),
    MEASUREMENTS: ("GET", MEASUREMENTS, paged(), None),
    LABELING: ("GET", LABELING, dates(), None),
}


def call(wb: WB, path: str, query: dict | None = None, body: object = None):
    method, _, default_query, default_body = VALID[path]
    return wb.patient(method, path, params=default_query if query is None else query,
                      json=default_body if body is None else body)


def rows_of(path: str, payload: dict) -> list[dict]:
    if path == EXCISE:
        return payload["response"]["data"]
    if path == ANTIFRAUD:
        return payload["details"]
    if path in (DEDUCTIONS, PENALTIES, MEASUREMENTS):
        return payload["data"]["reports"]
    return payload["report"]


@pytest.mark.parametrize("path", list(VALID))
def test_answers_match_the_spec_and_have_rows(fast_rec, path):
    resp = call(WB(fast_rec), path)
    assert resp.status_code == 200
    rows = rows_of(path, resp.json())
    assert rows, "a month of a seller's report should not be empty"
    if path in UNCHECKED:
        assert spec_for(fast_rec.exchanges[-1].route) is None
        assert all(set(r) == FIELDS[path] for r in rows)
    else:
        check_exchange(fast_rec.exchanges[-1])


def test_the_spec_rejects_a_plain_date_where_a_date_time_is_due(fast_rec):
    """Why the catalog sends {start_time}/{end_time} to deductions: the emulator refuses dates."""
    resp = call(WB(fast_rec), DEDUCTIONS, {"dateTo": str(END), "limit": 10})
    assert resp.status_code == 400
    assert resp.json()["detail"] == "invalid parameter: dateTo"
    with pytest.raises(Exception, match="dateTo"):
        check_exchange(fast_rec.exchanges[-1])


def test_excise_rows_and_countries(fast):
    wb = WB(fast)
    rows = call(wb, EXCISE).json()["response"]["data"]
    assert rows == reportdata.excise(0, SID, START, END)
    keys = Counter((r["srid"], r["excise_short"], r["operation_type_id"]) for r in rows)
    assert keys.most_common(1)[0][1] == 1
    assert all(START <= date.fromisoformat(r["fiscal_dt"]) <= END for r in rows)
    returns = [r for r in reportdata.excise(0, SID, date(2026, 1, 1), END) if r["operation_type_id"] == 2]
    assert returns and all(r["excise_short"][3:16] == r["barcode"] for r in returns)
    russia = call(wb, EXCISE, body={"countries": ["RU"]}).json()["response"]["data"]
    assert russia == [r for r in rows if r["name"] == "Россия"] and len(russia) < len(rows)


@pytest.mark.parametrize(
    ("query", "body", "detail"),
    [
        (dates(), {"countries": ["DE"]}, 'Error at "/countries/0": value is not one of the allowed values'),
        ({"dateFrom": "2026-13-01", "dateTo": "2026-10-01"}, None, "can't parse dateFrom"),
        ({"dateFrom": "2026-10-01"}, None, 'parameter "dateTo" in query has an error: value is required but missing'),
        (dates(END, START), None, "dateTo should be greater dateFrom"),
    ],
)
def test_excise_400s(fast_rec, query, body, detail):
    resp = call(WB(fast_rec), EXCISE, query, body)
    assert resp.status_code == 400 and detail in resp.json()["detail"]
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert resp.json()["origin"] == "tariffs"
    check_exchange(fast_rec.exchanges[-1], request=False)


def test_antifraud_weeks(fast):
    wb = WB(fast)
    first, last = antifraud_week(date(2026, 9, 18))
    assert (first.weekday(), (last - first).days) == (2, 6)  # Wednesday to Tuesday
    assert call(wb, ANTIFRAUD).json()["details"] == reportdata.antifraud(0, SID, first)
    everything = call(wb, ANTIFRAUD, {}).json()["details"]
    weeks = {(r["dateFrom"], r["dateTo"]) for r in everything}
    assert len(weeks) > 5 and min(weeks)[0] >= str(reportdata.ANTIFRAUD_FROM)
    assert all(antifraud_published(date.fromisoformat(b), fast.clock.now()) for _, b in weeks)
    current = antifraud_week(fast.clock.today() + timedelta(days=1))
    assert call(wb, ANTIFRAUD, {"date": str(current[0])}).json() == {"details": []}  # not out yet


def test_antifraud_bad_date(fast_rec):
    resp = call(WB(fast_rec), ANTIFRAUD, {"date": "10.09.2026"})
    assert resp.status_code == 400 and resp.json()["detail"] == "can't parse date"
    check_exchange(fast_rec.exchanges[-1])


MONTH_ERRORS = [
    (dates(START, START + timedelta(days=32)),
     "difference between dateFrom and dateTo should be less or equal 31 days"),
    ({"dateFrom": "2026-09-01T00:00:00", "dateTo": "2026-09-02"}, "can't parse dateFrom"),
    ({"dateTo": "2026-09-02"}, 'parameter "dateFrom" in query has an error: value is required but missing'),
    (dates(END, START), "dateTo should be greater dateFrom"),
]


@pytest.mark.parametrize(("query", "detail"), [
    *MONTH_ERRORS, (dates(date(2023, 5, 31), date(2023, 6, 30)), "dateFrom cannot be earlier than 2023-06-01")])
def test_incorrect_attachments_400s(fast_rec, query, detail):
    resp = call(WB(fast_rec), INCORRECT, query)
    assert resp.status_code == 400 and resp.json()["detail"] == detail
    check_exchange(fast_rec.exchanges[-1], request=False)


@pytest.mark.parametrize(("query", "detail"), MONTH_ERRORS)
def test_goods_labeling_400s(fast_rec, query, detail):
    resp = call(WB(fast_rec), LABELING, query)
    assert resp.status_code == 400 and resp.json()["detail"] == detail
    check_exchange(fast_rec.exchanges[-1], request=False)


def test_substitution_reports_show_the_same_events(fast):
    wb = WB(fast)
    retired = call(wb, INCORRECT).json()["report"]
    assert retired == reportdata.incorrect_attachments(0, SID, START, END)
    current = reportdata.substitutions(0, SID, utc(START), utc(END, True))
    assert [(r["nmID"], r["shkID"], r["date"]) for r in retired] == [
        (r["nmId"], r["oldShkId"], r["dtBonus"][:10]) for r in current
    ]


@pytest.mark.parametrize(
    ("path", "truth", "key"),
    [
        (DEDUCTIONS, reportdata.substitutions, lambda r: (r["dtBonus"], r["dtBonus"], r["oldShkId"])),
        (PENALTIES, reportdata.measurement_penalties, lambda r: (r["dtBonus"], r["dimId"])),
        (MEASUREMENTS, reportdata.warehouse_measurements, lambda r: (r["dt"], r["dimId"])),
    ],
)
def test_paging_to_the_end(fast, path, truth, key):
    wb = WB(fast)
    start = date(2025, 1, 1)
    query = paged(start, END, limit=7)
    seen = []
    while True:
        payload = call(wb, path, query).json()["data"]
        seen += payload["reports"]
        if len(payload["reports"]) < query["limit"]:
            break
        query = {**query, "offset": query.get("offset", 0) + query["limit"]}
    expected = sorted(truth(0, SID, utc(start), utc(END, True)), key=key, reverse=True)
    assert len(seen) == payload["total"] == len(expected) > 14
    assert seen == expected


def test_deductions_sort_and_default_start(fast):
    wb = WB(fast)
    by_sum = call(wb, DEDUCTIONS, paged(sort="bonusSumm", order="asc")).json()["data"]["reports"]
    assert [r["bonusSumm"] for r in by_sum] == sorted(r["bonusSumm"] for r in by_sum)
    everything = call(wb, DEDUCTIONS, {"dateTo": moment(END, True), "limit": 1000}).json()["data"]
    since = utc(reportdata.SUBSTITUTIONS_FROM)
    assert everything["total"] == len(reportdata.substitutions(0, SID, since, utc(END, True)))


@pytest.mark.parametrize("path", [DEDUCTIONS, PENALTIES, MEASUREMENTS])
@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"dateTo": None}, "invalid parameter: dateTo"),
        ({"dateTo": "2026-10-01"}, "invalid parameter: dateTo"),
        ({"dateFrom": "yesterday"}, "invalid parameter: dateFrom"),
        ({"limit": 1001}, "invalid parameter: limit"),
        ({"limit": None}, "invalid parameter: limit"),
        ({"offset": -1}, "invalid parameter: offset"),
    ],
)
def test_retention_400s(fast_rec, path, change, detail):
    query = {k: v for k, v in {**paged(), **change}.items() if v is not None}
    resp = call(WB(fast_rec), path, query)
    assert resp.status_code == 400
    assert resp.json() | {"requestId": ""} == {"title": "bad request", "status": 400, "detail": detail,
                                               "requestId": "", "origin": "dimension-penalty"}
    if path == DEDUCTIONS:
        check_exchange(fast_rec.exchanges[-1], request=False)


def test_penalties_are_measurements_over_ten_percent(fast):
    start, end = utc(date(2025, 1, 1)), utc(END, True)
    measured = {m["dimId"]: m for m in reportdata.warehouse_measurements(0, SID, start - timedelta(days=8), end)}
    penalties = reportdata.measurement_penalties(0, SID, start, end)
    assert penalties
    for p in penalties:
        m = measured[p["dimId"]]
        assert (p["nmId"], p["volume"], p["width"]) == (m["nmId"], m["volume"], m["width"])
        assert p["prcOver"] > 10 and p["dtBonus"] > m["dt"]
        assert p["reversalAmount"] == (0 if p["isValid"] else p["penaltyAmount"])


def test_storage_coefficient_weeks_and_errors(fast_rec):
    wb = WB(fast_rec)
    rows = call(wb, COEFFICIENT).json()["report"]
    monday = date(2026, 10, 5)
    assert rows == reportdata.storage_coefficient(0, SID, monday)
    assert all(str(monday - timedelta(days=30)) <= r["date"][:10] < str(monday) for r in rows)
    for query, error in [({"date": "2022-10-30"}, "date cannot be earlier than 2022-10-31"),
                         ({"date": "5 Oct"}, "can't parse date")]:
        resp = call(wb, COEFFICIENT, query)
        assert (resp.status_code, resp.json()) == (400, {"errors": [error]})


def test_goods_labeling_rows(fast):
    rows = call(WB(fast), LABELING).json()["report"]
    assert rows == reportdata.goods_labeling(0, SID, START, END)
    assert Counter((r["shkID"], r["date"]) for r in rows).most_common(1)[0][1] == 1
    assert reportdata.goods_labeling(0, SID, date(2024, 1, 1), date(2024, 2, 29)) == []


@pytest.mark.parametrize("path", list(VALID))
def test_401_without_the_analytics_scope(fast_rec, path):
    method, _, query, body = VALID[path]
    wb = WB(fast_rec, scopes=("promotion", "statistics"))
    resp = wb.http.request(method, fast_rec.url + path, params=query, json=body)
    assert resp.status_code == 401
    if path not in UNCHECKED:
        check_exchange(fast_rec.exchanges[-1])


BURSTS = {EXCISE: 10, ANTIFRAUD: 10, INCORRECT: 10, DEDUCTIONS: 1, COEFFICIENT: 1, PENALTIES: 1, LABELING: 10}


@pytest.mark.parametrize("path", list(BURSTS))
def test_429_after_the_burst(emu, path):
    emu.record = True
    wb = WB(emu)
    method, _, query, body = VALID[path]
    statuses = [wb.http.request(method, emu.url + path, params=query, json=body).status_code
                for _ in range(BURSTS[path] + 1)]
    assert statuses == [200] * BURSTS[path] + [429]
    if path not in UNCHECKED:
        check_exchange(emu.exchanges[-1])


def test_penalties_and_measurements_share_one_bucket(emu):
    wb = WB(emu)
    assert wb.get(PENALTIES, params=paged()).status_code == 200
    assert wb.get(MEASUREMENTS, params=paged()).status_code == 429


def test_to_rows_maps_a_recorded_answer(fast_rec):
    """harvester.pipeline.parse reads the catalog's records path and each column's source."""
    from harvester.catalog import get_endpoint
    from harvester.pipeline.parse import records_at, to_rows

    call(WB(fast_rec), DEDUCTIONS)
    endpoint = get_endpoint("wb.deductions")
    table = endpoint.model.__table__
    records = records_at(json.loads(fast_rec.exchanges[-1].response.body), endpoint.fetch.records, "test")
    rows = to_rows(table, records, {"account_id": "acc-1"}, "test")
    assert len(rows) == len(records) > 0
    first, source = rows[0], records[0]
    assert set(first) == {c.name for c in table.columns}
    assert first["account_id"] == "acc-1" and first["nm_id"] == source["nmId"]
    assert first["dt_bonus"] == datetime.fromisoformat(source["dtBonus"].replace("Z", "+00:00"))
    assert (first["old_shk_id"], first["new_shk_id"], first["photo_urls"]) == (
        source["oldShkId"], source["newShkId"], source["photoUrls"])
    keys = Counter(tuple(r[k] for k in endpoint.natural_key) for r in rows)
    assert keys.most_common(1)[0][1] == 1


CATALOG = ["wb.stocks_groups", "wb.stocks_sizes", "wb.stocks_offices", "wb.excise_report", "wb.antifraud_details",
           "wb.incorrect_attachments", "wb.deductions", "wb.storage_coefficient", "wb.measurement_penalties",
           "wb.warehouse_measurements", "wb.goods_labeling"]


@pytest.mark.parametrize("name", CATALOG)
def test_the_catalog_sends_legal_first_requests(fast_rec, name):
    """Each entry's first request, as the harvester builds it, is accepted and schema-valid."""
    from harvester.catalog import get_endpoint
    from harvester.core.request import Request
    from harvester.pipeline.harvest import request_values

    endpoint = get_endpoint(name)
    today = fast_rec.clock.today()
    window = (today, today) if endpoint.window.history_days == 0 else (START, START + timedelta(days=6))
    chunk = [(reportdata.seller.products(0, SID)[0]["nmID"],)] if endpoint.ids else [()]
    request = endpoint.paginator.first(Request.from_call(endpoint.fetch, **request_values(window, endpoint.ids, chunk)))
    resp = WB(fast_rec).http.request(request.method, fast_rec.url + request.path, params=request.params,
                                     json=request.json)
    assert resp.status_code == 200, resp.text
    if fast_rec.exchanges[-1].route.split(" ", 1)[1] not in UNCHECKED:
        check_exchange(fast_rec.exchanges[-1])
