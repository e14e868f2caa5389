"""Wildberries stocks-report breakdowns (reference/wb-api.md §7.1, §7.3, §7.4) and the
"Reports" section (§9.1, §9.4-§9.7), declared as data.

Stock breakdowns are snapshots of today like `wb.stocks_products` (history_days=0): WB
reports current stock only. Report windows follow each report's documented longest period;
where none is documented, 31 days keeps one answer a month's worth.
"""

from harvester.catalog import limits
from harvester.catalog.model import SNAPSHOT, Call, Child, Endpoint, Ids, Window
from harvester.catalog.wb import STOCKS_BODY
from harvester.catalog.paging import OffsetPaginator
from harvester.models import wb_analytics as m

_STOCK_ORDER = {"field": "stockCount", "mode": "desc"}
_PERIOD = {"currentPeriod": {"start": "{start}", "end": "{end}"}, "stockType": ""}
_DATES = {"dateFrom": "{start}", "dateTo": "{end}"}
# Deductions and measurements take RFC 3339 date-times: the window's first and last moment.
_MOMENTS = {"dateFrom": "{start_time}", "dateTo": "{end_time}"}

# §7.1: groups (subject, brand, tag) with their products; a few calls an hour at most.
STOCKS_GROUPS = Endpoint(
    name="wb.stocks_groups",
    marketplace="wb",
    model=m.WbStocksGroup,
    scope="analytics",
    cadence="hourly",
    window=SNAPSHOT,
    fetch=Call("POST", "/api/v2/stocks-report/products/groups", limits.WB_STOCKS_REPORT,
               body=STOCKS_BODY, records="data.groups"),
    paginator=OffsetPaginator(page_size=1000),
    children=(Child(m.WbStocksGroupItem, "items",
                    carry={"subject_id": "subjectID", "brand_name": "brandName", "tag_id": "tagID"}),),
)

# §7.3: one product a call, so a catalogue of 2,600 takes ~14 h of the 3-a-minute bucket it
# shares with §7.1/7.2/7.4: daily. Deleted products have no stock and are skipped. With
# includeOffice a sized product answers sizes with their warehouses, a non-sized one its
# warehouses only; `data` itself is the record.
STOCKS_SIZES = Endpoint(
    name="wb.stocks_sizes",
    marketplace="wb",
    model=m.WbStocksSizeReport,
    scope="analytics",
    cadence="daily",
    window=SNAPSHOT,
    fetch=Call("POST", "/api/v2/stocks-report/products/sizes", limits.WB_STOCKS_REPORT,
               body={**_PERIOD, "nmID": "{id.nm_id}", "orderBy": _STOCK_ORDER, "includeOffice": True},
               records="data", single=True),
    ids=Ids(source="wb.stocks_products", columns=("nm_id",), per_call=1, where={"is_deleted": (False,)}),
    children=(
        Child(m.WbStocksSize, "sizes", children=(
            Child(m.WbStocksSizeOffice, "offices", carry={"chrt_id": "chrtID"}),
        )),
        Child(m.WbStocksProductOffice, "offices"),
    ),
)

# §7.4: regions and their WB warehouses for the whole catalogue, one call.
STOCKS_OFFICES = Endpoint(
    name="wb.stocks_offices",
    marketplace="wb",
    model=m.WbStocksRegion,
    scope="analytics",
    cadence="hourly",
    window=SNAPSHOT,
    fetch=Call("POST", "/api/v2/stocks-report/offices", limits.WB_STOCKS_REPORT,
               body={**_PERIOD, "skipDeletedNm": False}, records="data.regions"),
    children=(Child(m.WbStocksRegionOffice, "offices", carry={"region_name": "regionName"}),),
)

# §9.1: no longest period documented; 10 calls per 5 h. Operations are fiscalised the next
# day at the latest and returns come later, so three days are re-read.
EXCISE_REPORT = Endpoint(
    name="wb.excise_report",
    marketplace="wb",
    model=m.WbExciseOperation,
    scope="analytics",
    cadence="daily",
    window=Window(max_days=31, history_days=365, lookback_days=3, lag_days=1),
    fetch=Call("POST", "/api/v1/analytics/excise-report", limits.WB_EXCISE,
               query=_DATES, body={"countries": []}, records="response.data"),
)

# §9.4: one report week (Wednesday to Tuesday) per call, asked by any day in it; published
# Wednesdays by 07:00 MSK. 7-day windows put one window start in every week.
ANTIFRAUD_DETAILS = Endpoint(
    name="wb.antifraud_details",
    marketplace="wb",
    model=m.WbAntifraudDetail,
    scope="analytics",
    cadence="weekly",
    window=Window(max_days=7, history_days=365, lookback_days=14, lag_days=1),
    fetch=Call("GET", "/api/v1/analytics/antifraud-details", limits.WB_ANTIFRAUD,
               query={"date": "{start}"}, records="details"),
)

# §9.5: goods substitution. The seeds' report (≤ 31 days, removed 2026-01) and its
# successor differ in shape, so each has its own table.
_SUBSTITUTION_WINDOW = Window(max_days=31, history_days=365, lookback_days=3, lag_days=1)
INCORRECT_ATTACHMENTS = Endpoint(
    name="wb.incorrect_attachments",
    marketplace="wb",
    model=m.WbIncorrectAttachment,
    scope="analytics",
    cadence="daily",
    window=_SUBSTITUTION_WINDOW,
    generation="seed",
    fetch=Call("GET", "/api/v1/analytics/incorrect-attachments", limits.WB_INCORRECT_ATTACHMENTS,
               query=_DATES, records="report"),
)
DEDUCTIONS = Endpoint(
    name="wb.deductions",
    marketplace="wb",
    model=m.WbDeduction,
    scope="analytics",
    cadence="daily",
    window=_SUBSTITUTION_WINDOW,
    generation="current",
    fetch=Call("GET", "/api/analytics/v1/deductions", limits.WB_DEDUCTIONS,
               query={**_MOMENTS, "sort": "dtBonus", "order": "asc"}, records="data.reports"),
    paginator=OffsetPaginator(page_size=1000, in_body=False),
)

# §9.6: the seeds' weekly coefficient report (Monday to Sunday, asked by any day in it),
# gone by 2025-12, then penalties and measurements as two paged reports. A measurement is
# confirmed or cancelled days later, so a week is re-read.
STORAGE_COEFFICIENT = Endpoint(
    name="wb.storage_coefficient",
    marketplace="wb",
    model=m.WbStorageCoefficient,
    scope="analytics",
    cadence="weekly",
    window=Window(max_days=7, history_days=90, lookback_days=7),
    generation="seed",
    fetch=Call("GET", "/api/v1/analytics/storage-coefficient", limits.WB_STORAGE_COEFFICIENT,
               query={"date": "{start}"}, records="report"),
)
_MEASUREMENT_WINDOW = Window(max_days=31, history_days=365, lookback_days=7)
MEASUREMENT_PENALTIES = Endpoint(
    name="wb.measurement_penalties",
    marketplace="wb",
    model=m.WbMeasurementPenalty,
    scope="analytics",
    cadence="daily",
    window=_MEASUREMENT_WINDOW,
    generation="current",
    fetch=Call("GET", "/api/analytics/v1/measurement-penalties", limits.WB_MEASUREMENTS,
               query=_MOMENTS, records="data.reports"),
    paginator=OffsetPaginator(page_size=1000, in_body=False),
)
WAREHOUSE_MEASUREMENTS = Endpoint(
    name="wb.warehouse_measurements",
    marketplace="wb",
    model=m.WbWarehouseMeasurement,
    scope="analytics",
    cadence="daily",
    window=_MEASUREMENT_WINDOW,
    generation="current",
    fetch=Call("GET", "/api/analytics/v1/warehouse-measurements", limits.WB_MEASUREMENTS,
               query=_MOMENTS, records="data.reports"),
    paginator=OffsetPaginator(page_size=1000, in_body=False),
)

# §9.7: ≤ 31 days, data from March 2024.
GOODS_LABELING = Endpoint(
    name="wb.goods_labeling",
    marketplace="wb",
    model=m.WbGoodsLabeling,
    scope="analytics",
    cadence="daily",
    window=Window(max_days=31, history_days=365, lookback_days=3, lag_days=1),
    fetch=Call("GET", "/api/v1/analytics/goods-labeling", limits.WB_GOODS_LABELING,
               query=_DATES, records="report"),
)
