"""The CSV report generators as pure functions: columns per type, row keys, file format."""

import csv
import io
import zipfile
from collections import Counter
from datetime import date, timedelta

import pytest

from emulator import seller_id
from emulator.wb.data import seller as data
from emulator.wb.data.csv_files import REPORT_TYPES, csv_bytes, csv_report, zip_report
from emulator.wb.data.csv_stock import FBS_OFFICE

SID = seller_id("acme")
CURRENT = {"start": "2026-09-20", "end": "2026-10-04"}
PAST = {"start": "2026-09-05", "end": "2026-09-19"}
FUNNEL = [
    "openCardCount",
    "addToCartCount",
    "ordersCount",
    "ordersSumRub",
    "buyoutsCount",
    "buyoutsSumRub",
    "cancelCount",
    "cancelSumRub",
    "addToCartConversion",
    "cartToOrderConversion",
    "buyoutPercent",
    "addToWishlist",
    "currency",
]
SEARCH = ["AveragePosition", "OpenCard", "AddToCart", "OpenToCart", "Orders", "CartToOrder", "Visibility"]
PARAMS = {
    "DETAIL_HISTORY_REPORT": {"startDate": "2026-09-28", "endDate": "2026-10-04"},
    "GROUPED_HISTORY_REPORT": {"startDate": "2026-09-28", "endDate": "2026-10-04"},
    "SEARCH_QUERIES_PREMIUM_REPORT_GROUP": {
        "currentPeriod": CURRENT,
        "pastPeriod": PAST,
        "subjectIds": [],
        "orderBy": {"field": "orders", "mode": "desc"},
        "positionCluster": "all",
    },
    "SEARCH_QUERIES_PREMIUM_REPORT_PRODUCT": {
        "currentPeriod": CURRENT,
        "pastPeriod": PAST,
        "orderBy": {"field": "openCard", "mode": "desc"},
        "positionCluster": "all",
    },
    "SEARCH_QUERIES_PREMIUM_REPORT_TEXT": {
        "currentPeriod": CURRENT,
        "topOrderBy": "orders",
        "orderBy": {"field": "avgPosition", "mode": "asc"},
        "limit": 4,
    },
    "STOCK_HISTORY_REPORT_CSV": {
        "currentPeriod": {"start": "2026-08-20", "end": "2026-10-04"},
        "stockType": "",
        "skipDeletedNm": False,
        "availabilityFilters": [],
        "orderBy": {"field": "stockCount", "mode": "asc"},
    },
    "STOCK_HISTORY_DAILY_CSV": {"currentPeriod": CURRENT, "stockType": "", "skipDeletedNm": False},
}
KEYS = {
    "DETAIL_HISTORY_REPORT": ("nmID", "dt"),
    "GROUPED_HISTORY_REPORT": ("dt",),
    "SEARCH_QUERIES_PREMIUM_REPORT_GROUP": ("SubjectID", "BrandName", "TagID"),
    "SEARCH_QUERIES_PREMIUM_REPORT_PRODUCT": ("NmID",),
    "SEARCH_QUERIES_PREMIUM_REPORT_TEXT": ("Text", "NmID"),
    "STOCK_HISTORY_REPORT_CSV": ("NmID", "ChrtID", "RegionName", "OfficeName"),
    "STOCK_HISTORY_DAILY_CSV": ("NmID", "ChrtID", "OfficeName"),
}


def dicts(report_type: str, params: dict | None = None, sid: str = SID) -> list[dict]:
    header, rows = csv_report(0, sid, report_type, PARAMS[report_type] if params is None else params)
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.mark.parametrize("report_type", REPORT_TYPES)
def test_rows_are_unique_deterministic_and_seeded(report_type):
    report = csv_report(0, SID, report_type, PARAMS[report_type])
    rows = [dict(zip(report[0], row, strict=True)) for row in report[1]]
    assert rows
    keys = Counter(tuple(r[k] for k in KEYS[report_type]) for r in rows)
    assert keys.most_common(1)[0][1] == 1
    assert csv_report(0, SID, report_type, PARAMS[report_type]) == report
    assert csv_report(1, SID, report_type, PARAMS[report_type]) != report


def header_of(report_type: str) -> list[str]:
    return csv_report(0, SID, report_type, PARAMS[report_type])[0]


def test_fixed_headers():
    assert header_of("DETAIL_HISTORY_REPORT") == ["nmID", "dt", *FUNNEL]
    assert header_of("GROUPED_HISTORY_REPORT") == ["dt", *FUNNEL]
    past = [f"{c}Past" for c in SEARCH]
    assert header_of("SEARCH_QUERIES_PREMIUM_REPORT_GROUP") == [
        "SubjectName", "SubjectID", "BrandName", "TagID", *SEARCH, *past]
    product = header_of("SEARCH_QUERIES_PREMIUM_REPORT_PRODUCT")
    assert product[:5] == ["NmID", "VendorCode", "Name", "SubjectName", "BrandName"]
    assert product[-2:] == ["IsSubstitutedSKU", "Currency"] and len(product) == 27
    text = header_of("SEARCH_QUERIES_PREMIUM_REPORT_TEXT")
    assert text[:12] == ["Text", "NmID", "SubjectName", "BrandName", "VendorCode", "Name", "Rating", "FeedbackRating",
                         "MinPrice", "MaxPrice", "Frequency", "MedianPosition"]
    assert text[-10:] == ["FrequencyPast", "MedianPositionPast", *past, "Currency"] and len(text) == 34


def test_stock_history_month_columns():
    header, rows = csv_report(0, SID, "STOCK_HISTORY_REPORT_CSV", PARAMS["STOCK_HISTORY_REPORT_CSV"])
    months = ["AvgOrdersByMonth_08.2026", "AvgOrdersByMonth_09.2026", "AvgOrdersByMonth_10.2026"]
    assert header[7:10] == ["RegionName", "OfficeName", "Availability"]
    assert header[-4:] == [*months, "Currency"] and len(header) == 32
    table = [dict(zip(header, r, strict=True)) for r in rows]
    new = [r for r in table if r[months[0]] == "" and r[months[-1]] != ""]
    assert new, "a product that appeared during the period has empty early months"
    assert all(r[months[-1]] != "" for r in table)
    assert {r["Currency"] for r in table} == {"RUB"}
    stock = [int(r["StockCount"]) for r in table]
    assert stock == sorted(stock)  # orderBy stockCount asc
    assert any(r["OfficeName"] == FBS_OFFICE for r in table)


def test_stock_daily_day_columns_and_fbs():
    header, rows = csv_report(0, SID, "STOCK_HISTORY_DAILY_CSV", PARAMS["STOCK_HISTORY_DAILY_CSV"])
    days = [(date(2026, 9, 20) + timedelta(days=i)).strftime("%d.%m.%Y") for i in range(15)]
    assert (
        header == ["VendorCode", "Name", "NmID", "SubjectName", "BrandName", "SizeName", "ChrtID", "OfficeName", *days]
    )
    table = [dict(zip(header, r, strict=True)) for r in rows]
    assert any(r["OfficeName"] == FBS_OFFICE for r in table)
    assert any(r[days[0]] == "" and r[days[-1]] != "" for r in table)  # absent before it existed
    assert all(v == "" or v.isdigit() for r in table for v in (r[d] for d in days))
    only_fbs = dicts("STOCK_HISTORY_DAILY_CSV", PARAMS["STOCK_HISTORY_DAILY_CSV"] | {"stockType": "mp"})
    assert only_fbs and {r["OfficeName"] for r in only_fbs} == {FBS_OFFICE}
    wb_only = dicts("STOCK_HISTORY_DAILY_CSV", PARAMS["STOCK_HISTORY_DAILY_CSV"] | {"stockType": "wb"})
    assert FBS_OFFICE not in {r["OfficeName"] for r in wb_only}
    # the metrics report's stock count is the daily report's stock on the period's last day
    at_end = {(r["NmID"], r["ChrtID"], r["OfficeName"]): r[days[-1]] for r in table}
    history = dicts("STOCK_HISTORY_REPORT_CSV", PARAMS["STOCK_HISTORY_REPORT_CSV"] | {"currentPeriod": CURRENT})
    assert history and all(at_end[(r["NmID"], r["ChrtID"], r["OfficeName"])] == r["StockCount"] for r in history)


def test_stock_reports_are_the_stocks_reports_cells():
    """A product's rows add up to its /products/products item of the same period, and each day's
    stock in the daily report adds up to the item of the one-day period ending that day."""
    history = dicts("STOCK_HISTORY_REPORT_CSV")
    start, end = date(2026, 8, 20), date(2026, 10, 4)
    items = {i["nmID"]: i["metrics"] for i in data.stocks_products(0, SID, start, end)}
    summed: dict[int, Counter] = {}
    for r in history:
        summed.setdefault(int(r["NmID"]), Counter()).update(
            {k: int(r[k]) for k in ("OrdersCount", "BuyoutCount", "StockCount", "OrdersSum", "StockSum")})
    assert summed and sum(s["OrdersCount"] for s in summed.values()) > 0
    for nm_id, sums in summed.items():
        m = items[nm_id]
        assert (sums["OrdersCount"], sums["BuyoutCount"], sums["StockCount"], sums["OrdersSum"], sums["StockSum"]) == (
            m["ordersCount"], m["buyoutCount"], m["stockCount"], m["ordersSum"], m["stockSum"]), nm_id
    day = date(2026, 9, 25)
    daily = Counter()
    for r in dicts("STOCK_HISTORY_DAILY_CSV"):
        if r[f"{day:%d.%m.%Y}"] != "":  # empty before the product appeared on WB
            daily[int(r["NmID"])] += int(r[f"{day:%d.%m.%Y}"])
    that_day = {i["nmID"]: i["metrics"]["stockCount"] for i in data.stocks_products(0, SID, day - timedelta(6), day)}
    assert any(daily.values()) and all(that_day[nm_id] == stock for nm_id, stock in daily.items())


def test_search_texts_and_ratings():
    rows = dicts("SEARCH_QUERIES_PREMIUM_REPORT_TEXT")
    per_product = Counter(r["NmID"] for r in rows)
    assert max(per_product.values()) == 4 and min(per_product.values()) >= 1
    assert any(r["Rating"] == "no rating" for r in rows)
    assert all(r["FrequencyPast"] == "" and r["VisibilityPast"] == "" for r in rows)  # no pastPeriod
    assert {r["Currency"] for r in rows} == {"RUB"}
    positions = [int(r["AveragePosition"]) for r in rows]
    assert positions == sorted(positions)
    products = dicts("SEARCH_QUERIES_PREMIUM_REPORT_PRODUCT")
    assert all(r["OpenCardPast"] != "" for r in products)
    assert {r["IsSubstitutedSKU"] for r in products} == {"true", "false"}
    assert {r["Rating"] for r in products} != {"no rating"}


def test_funnel_groups_sum_their_products_and_aggregate_by_week():
    params = {"startDate": "2026-09-24", "endDate": "2026-10-04", "subjectIds": [105, 69]}
    detail, grouped = dicts("DETAIL_HISTORY_REPORT", params), dicts("GROUPED_HISTORY_REPORT", params)
    assert [r["dt"] for r in grouped] == [str(date(2026, 9, 24) + timedelta(days=i)) for i in range(11)]
    for row in grouped:
        same_day = [r for r in detail if r["dt"] == row["dt"]]
        assert int(row["ordersSumRub"]) == sum(int(r["ordersSumRub"]) for r in same_day)
    weekly = dicts("GROUPED_HISTORY_REPORT", params | {"aggregationLevel": "week"})
    assert [r["dt"] for r in weekly] == ["2026-09-24", "2026-09-28"]
    assert sum(int(r["openCardCount"]) for r in weekly) == sum(int(r["openCardCount"]) for r in grouped)
    # both spellings of a filter mean the same
    old_spelling = {"startDate": "2026-09-24", "endDate": "2026-10-04", "subjectIDs": [105, 69]}
    assert dicts("GROUPED_HISTORY_REPORT", old_spelling) == grouped
    assert all(int(r["buyoutsCount"]) + int(r["cancelCount"]) <= int(r["ordersCount"]) for r in detail)


def test_tags_filter_everything_out():
    assert dicts("DETAIL_HISTORY_REPORT", PARAMS["DETAIL_HISTORY_REPORT"] | {"tagIds": [3]}) == []


def test_file_format():
    header, rows = ["a", "b"], [["x,y", 'q"r'], ["1", ""]]
    assert csv_bytes(header, rows) == '\ufeffa,b\r\n"x,y","q""r"\r\n1,\r\n'.encode()
    params = PARAMS["SEARCH_QUERIES_PREMIUM_REPORT_GROUP"]
    archive = zipfile.ZipFile(io.BytesIO(zip_report(0, SID, "r-1", "SEARCH_QUERIES_PREMIUM_REPORT_GROUP", params)))
    assert archive.namelist() == ["r-1.csv"]
    text = archive.read("r-1.csv").decode("utf-8-sig")
    header, rows = csv_report(0, SID, "SEARCH_QUERIES_PREMIUM_REPORT_GROUP", params)
    assert list(csv.reader(io.StringIO(text))) == [header, *rows]
