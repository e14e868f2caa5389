"""Wildberries stocks-report breakdowns (reference/wb-api.md §7.1, §7.3, §7.4) and the
"Reports" section (§9.1, §9.4-§9.7), declared as data.

Stock breakdowns are snapshots of today like `wb.stocks_products` (history_days=0): WB
reports current stock only. Report windows follow each report's documented longest period;
where none is documented, 31 days keeps one answer a month's worth.
"""

from dataclasses import replace

from harvester.catalog import limits
from harvester.catalog.model import Call, Child, Ids, Window
from harvester.catalog.paging import OffsetPaginator
from harvester.catalog.wb import STOCKS_CALL, analytics_report, stocks_snapshot
from harvester.models import wb_analytics as m

_STOCK_ORDER = {"field": "stockCount", "mode": "desc"}
_PERIOD = {"currentPeriod": {"start": "{start}", "end": "{end}"}, "stockType": ""}
_DATES = {"dateFrom": "{start}", "dateTo": "{end}"}
# Deductions and measurements take RFC 3339 date-times: the window's first and last moment.
_MOMENTS = {"dateFrom": "{start_time}", "dateTo": "{end_time}"}
_PAGED = OffsetPaginator(page_size=1000, in_body=False)
# The §9 reports' common window: ≤ 31 days a call, a year back, the last three days re-read.
_MONTHS = Window(max_days=31, history_days=365, lookback_days=3, lag_days=1)

# §7.1: groups (subject, brand, tag) with their products; a few calls an hour at most.
STOCKS_GROUPS = stocks_snapshot(
    name="wb.stocks_groups",
    model=m.WbStocksGroup,
    fetch=replace(STOCKS_CALL, path="/api/v2/stocks-report/products/groups", records="data.groups"),
    paginator=OffsetPaginator(page_size=1000),
    children=(Child(m.WbStocksGroupItem, "items",
                    carry={"subject_id": "subjectID", "brand_name": "brandName", "tag_id": "tagID"}),),
)

# §7.3: one product a call, so a catalogue of 2,600 takes ~14 h of the 3-a-minute bucket it
# shares with §7.1/7.2/7.4: daily, in rotation (a 20,000-product catalogue is read over about
# 5 days, not its first 4,000 products daily). Deleted products have no stock and are skipped.
# With includeOffice a sized product answers sizes with their warehouses, a non-sized one its
# warehouses only; `data` itself is the record.
STOCKS_SIZES = stocks_snapshot(
    name="wb.stocks_sizes",
    model=m.WbStocksSizeReport,
    cadence="daily",
    fetch=replace(STOCKS_CALL, path="/api/v2/stocks-report/products/sizes", records="data", single=True,
                  body={**_PERIOD, "nmID": "{id.nm_id}", "orderBy": _STOCK_ORDER, "includeOffice": True}),
    ids=Ids(source="wb.stocks_products", columns=("nm_id",), per_call=1, where={"is_deleted": (False,)},
            rotate=True),
    children=(
        Child(m.WbStocksSize, "sizes", children=(
            Child(m.WbStocksSizeOffice, "offices", carry={"chrt_id": "chrtID"}),
        )),
        Child(m.WbStocksProductOffice, "offices"),
    ),
)

# §7.4: regions and their WB warehouses for the whole catalogue, one call.
STOCKS_OFFICES = stocks_snapshot(
    name="wb.stocks_offices",
    model=m.WbStocksRegion,
    fetch=replace(STOCKS_CALL, path="/api/v2/stocks-report/offices", records="data.regions",
                  body={**_PERIOD, "skipDeletedNm": False}),
    children=(Child(m.WbStocksRegionOffice, "offices", carry={"region_name": "regionName"}),),
)

# §9.1: no longest period documented; 10 calls per 5 h. Operations are fiscalised the next
# day at the latest and returns come later, so three days are re-read.
EXCISE_REPORT = analytics_report(
    name="wb.excise_report",
    model=m.WbExciseOperation,
    window=_MONTHS,
    fetch=Call("POST", "/api/v1/analytics/excise-report", limits.WB_EXCISE,
               query=_DATES, body={"countries": []}, records="response.data"),
)

# §9.4: one report week (Wednesday to Tuesday) per call, asked by any day in it; published
# Wednesdays by 07:00 MSK. 7-day windows put one window start in every week.
ANTIFRAUD_DETAILS = analytics_report(
    name="wb.antifraud_details",
    model=m.WbAntifraudDetail,
    cadence="weekly",
    window=Window(max_days=7, history_days=365, lookback_days=14, lag_days=1),
    fetch=Call("GET", "/api/v1/analytics/antifraud-details", limits.WB_ANTIFRAUD,
               query={"date": "{start}"}, records="details"),
)

# §9.5: goods substitution. The seeds' report (≤ 31 days, removed 2026-01) and its
# successor differ in shape, so each has its own table.
INCORRECT_ATTACHMENTS = analytics_report(
    name="wb.incorrect_attachments",
    model=m.WbIncorrectAttachment,
    window=_MONTHS,
    generation="seed",
    fetch=Call("GET", "/api/v1/analytics/incorrect-attachments", limits.WB_INCORRECT_ATTACHMENTS,
               query=_DATES, records="report"),
)
DEDUCTIONS = analytics_report(
    name="wb.deductions",
    model=m.WbDeduction,
    window=_MONTHS,
    generation="current",
    fetch=Call("GET", "/api/analytics/v1/deductions", limits.WB_DEDUCTIONS,
               query={**_MOMENTS, "sort": "dtBonus", "order": "asc"}, records="data.reports"),
    paginator=_PAGED,
)

# §9.6: the seeds' weekly coefficient report (Monday to Sunday, asked by any day in it),
# gone by 2025-12, then penalties and measurements as two paged reports. A measurement is
# confirmed or cancelled days later, so a week is re-read.
STORAGE_COEFFICIENT = analytics_report(
    name="wb.storage_coefficient",
    model=m.WbStorageCoefficient,
    cadence="weekly",
    window=Window(max_days=7, history_days=90, lookback_days=7),
    generation="seed",
    fetch=Call("GET", "/api/v1/analytics/storage-coefficient", limits.WB_STORAGE_COEFFICIENT,
               query={"date": "{start}"}, records="report"),
)
_MEASUREMENTS = Call("GET", "/api/analytics/v1/measurement-penalties", limits.WB_MEASUREMENTS, query=_MOMENTS,
                     records="data.reports")
MEASUREMENT_PENALTIES = analytics_report(
    name="wb.measurement_penalties",
    model=m.WbMeasurementPenalty,
    window=Window(max_days=31, history_days=365, lookback_days=7),
    generation="current",
    fetch=_MEASUREMENTS,
    paginator=_PAGED,
)
# Its twin: the same paged report on the same bucket, at another path.
WAREHOUSE_MEASUREMENTS = replace(
    MEASUREMENT_PENALTIES,
    name="wb.warehouse_measurements",
    model=m.WbWarehouseMeasurement,
    fetch=replace(_MEASUREMENTS, path="/api/analytics/v1/warehouse-measurements"),
)

# §9.7: ≤ 31 days, data from March 2024.
GOODS_LABELING = analytics_report(
    name="wb.goods_labeling",
    model=m.WbGoodsLabeling,
    window=_MONTHS,
    fetch=Call("GET", "/api/v1/analytics/goods-labeling", limits.WB_GOODS_LABELING,
               query=_DATES, records="report"),
)
