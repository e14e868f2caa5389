"""Wildberries endpoints, declared as data (reference/wb-api.md; OpenAPI in reference/wb-openapi/2025-12)."""

from dataclasses import replace
from functools import partial

from harvester.catalog import limits
from harvester.catalog.model import SNAPSHOT, Call, CsvReportFlow, Endpoint, RemoteStatus, TaskFlow, Window
from harvester.catalog.paging import OffsetPaginator
from harvester.models import wb_csv
from harvester.models.wb import WbAcceptanceReport, WbPaidStorage, WbStocksProduct

# The analytics-token families, shared with wb_analytics.py: reports (§8, §9) read daily, and
# stock breakdowns (§7), snapshots of today re-read hourly. Partials, not base `Endpoint`s: the
# catalog collects every module-level `Endpoint`.
analytics_report = partial(Endpoint, marketplace="wb", scope="analytics", cadence="daily")
stocks_snapshot = partial(analytics_report, cadence="hourly", window=SNAPSHOT)

_ALL_AVAILABILITY = ["deficient", "actual", "balanced", "nonActual", "nonLiquid", "invalidData"]

# §7.2. WB reports current stock only, so backfilling past days would file today's stock
# under old dates: history_days=0 makes it a snapshot of today, re-read hourly (data is hourly).
# §7: every stocks-report call is this one with its own path and records; the product
# breakdowns (products, groups) ask for the same thing: today, every product.
STOCKS_CALL = Call(
    "POST", "/api/v2/stocks-report/products/products", limits.WB_STOCKS_REPORT, records="data.items",
    body={
        "currentPeriod": {"start": "{start}", "end": "{end}"},
        "stockType": "",
        "skipDeletedNm": False,
        "orderBy": {"field": "stockCount", "mode": "desc"},
        "availabilityFilters": _ALL_AVAILABILITY,
    },
)
STOCKS_PRODUCTS = stocks_snapshot(
    name="wb.stocks_products",
    model=WbStocksProduct,
    fetch=STOCKS_CALL,
    paginator=OffsetPaginator(page_size=1000),
)

# §9.2. At most 8 days per task; statuses new, processing, done, purged, canceled; the
# result is kept 2 hours. Charges for a day are final the next day, recalculations come
# as new rows (their originalDate differs), so one day of lookback is enough.
_TASK_STATUSES = {
    "new": RemoteStatus.RUNNING,
    "processing": RemoteStatus.RUNNING,
    "done": RemoteStatus.READY,
    "purged": RemoteStatus.GONE,
    "canceled": RemoteStatus.FAILED,
}

PAID_STORAGE = analytics_report(
    name="wb.paid_storage",
    model=WbPaidStorage,
    window=Window(max_days=8, history_days=365, lookback_days=1, lag_days=1),
    flow=TaskFlow(
        create=Call("GET", "/api/v1/paid_storage", limits.WB_PAID_STORAGE_CREATE,
                    query={"dateFrom": "{start}", "dateTo": "{end}"}),
        status=Call("GET", "/api/v1/paid_storage/tasks/{task_id}/status", limits.WB_PAID_STORAGE_STATUS),
        download=Call("GET", "/api/v1/paid_storage/tasks/{task_id}/download", limits.WB_PAID_STORAGE_DOWNLOAD),
        statuses=_TASK_STATUSES,
    ),
)

# §9.3. Paid acceptance, ≤ 31 days a request: the seeds' synchronous report, retired for an
# async task with the paid-storage statuses. Both fill one table; the account's
# `wb_api_generation` picks which one runs.
_ACCEPTANCE_WINDOW = Window(max_days=31, history_days=365, lookback_days=1, lag_days=1)
ACCEPTANCE_REPORT_SEED = analytics_report(
    name="wb.acceptance_report.seed",
    model=WbAcceptanceReport,
    window=_ACCEPTANCE_WINDOW,
    generation="seed",
    fetch=Call("GET", "/api/v1/analytics/acceptance-report", limits.WB_ACCEPTANCE_SYNC,
               query={"dateFrom": "{start}", "dateTo": "{end}"}, records="report"),
)
ACCEPTANCE_REPORT = analytics_report(
    name="wb.acceptance_report",
    model=WbAcceptanceReport,
    window=_ACCEPTANCE_WINDOW,
    generation="current",
    flow=TaskFlow(
        create=Call("GET", "/api/v1/acceptance_report", limits.WB_ACCEPTANCE_CREATE,
                    query={"dateFrom": "{start}", "dateTo": "{end}"}),
        status=Call("GET", "/api/v1/acceptance_report/tasks/{task_id}/status", limits.WB_ACCEPTANCE_STATUS),
        download=Call("GET", "/api/v1/acceptance_report/tasks/{task_id}/download", limits.WB_ACCEPTANCE_DOWNLOAD),
        statuses=_TASK_STATUSES,
    ),
)

# §8. Seller-analytics CSV reports: our UUID, 20 a day per seller, kept 48 hours, and all four
# methods on one 3-a-minute bucket. History reports cover up to a year a report; period
# reports are snapshots of their period, replaced whole.
_DOWNLOADS = limits.WB_NM_REPORT_DOWNLOADS
_CSV = CsvReportFlow(
    report_type="",
    params={},
    window_column="date",
    create=Call("POST", "/api/v2/nm-report/downloads", _DOWNLOADS,
                body={"id": "{report_id}", "reportType": "{report_type}", "params": "{params}"}),
    list=Call("GET", "/api/v2/nm-report/downloads", _DOWNLOADS, query={"filter[downloadIds]": ["{ids}"]},
              records="data"),
    retry=Call("POST", "/api/v2/nm-report/downloads/retry", _DOWNLOADS, body={"downloadId": "{report_id}"}),
    file=Call("GET", "/api/v2/nm-report/downloads/file/{report_id}", _DOWNLOADS),
    statuses={
        "WAITING": RemoteStatus.RUNNING,
        "PROCESSING": RemoteStatus.RUNNING,
        "RETRY": RemoteStatus.RUNNING,
        "SUCCESS": RemoteStatus.READY,
        "FAILED": RemoteStatus.FAILED,
    },
)
_PERIOD = {"currentPeriod": {"start": "{start}", "end": "{end}"}}
_HISTORY = {"startDate": "{start}", "endDate": "{end}", "timezone": "Europe/Moscow",
            "aggregationLevel": "day", "skipDeletedNm": False}
_SEARCH_ORDER = {"field": "openCard", "mode": "desc"}
_FUNNEL_WINDOW = Window(max_days=90, history_days=365, lookback_days=7, lag_days=1)
_PERIOD_WINDOW = Window(max_days=7, history_days=90, lag_days=1)


def _csv_report(name: str, model: type, report_type: str, params: dict, window: Window,
                window_column: str = "period_start", requires: str = "") -> Endpoint:
    return analytics_report(name=f"wb.csv.{name}", model=model, window=window, requires=requires,
                            flow=replace(_CSV, report_type=report_type, params=params, window_column=window_column))


CSV_DETAIL_HISTORY = _csv_report("detail_history", wb_csv.WbFunnelDetailHistory, "DETAIL_HISTORY_REPORT",
                                 {"nmIDs": [], **_HISTORY}, _FUNNEL_WINDOW, "date")
CSV_GROUPED_HISTORY = _csv_report("grouped_history", wb_csv.WbFunnelGroupedHistory, "GROUPED_HISTORY_REPORT",
                                  _HISTORY, _FUNNEL_WINDOW, "date")
CSV_SEARCH_GROUP = _csv_report("search_queries_group", wb_csv.WbSearchQueriesGroup,
                               "SEARCH_QUERIES_PREMIUM_REPORT_GROUP",
                               {**_PERIOD, "subjectIds": [], "orderBy": _SEARCH_ORDER, "positionCluster": "all"},
                               _PERIOD_WINDOW, requires="jam")
CSV_SEARCH_PRODUCT = _csv_report("search_queries_product", wb_csv.WbSearchQueriesProduct,
                                 "SEARCH_QUERIES_PREMIUM_REPORT_PRODUCT",
                                 {**_PERIOD, "orderBy": _SEARCH_ORDER, "positionCluster": "all"}, _PERIOD_WINDOW,
                                 requires="jam")
CSV_SEARCH_TEXT = _csv_report("search_queries_text", wb_csv.WbSearchQueriesText, "SEARCH_QUERIES_PREMIUM_REPORT_TEXT",
                              {**_PERIOD, "topOrderBy": "openCard", "orderBy": _SEARCH_ORDER, "limit": 30},
                              _PERIOD_WINDOW, requires="jam")
CSV_STOCK_HISTORY = _csv_report("stock_history", wb_csv.WbStockHistory, "STOCK_HISTORY_REPORT_CSV",
                                {**_PERIOD, "stockType": "", "skipDeletedNm": False,
                                 "availabilityFilters": _ALL_AVAILABILITY,
                                 "orderBy": {"field": "stockCount", "mode": "desc"}}, _PERIOD_WINDOW)
CSV_STOCK_DAILY = _csv_report("stock_daily", wb_csv.WbStockDaily, "STOCK_HISTORY_DAILY_CSV",
                              {**_PERIOD, "stockType": "", "skipDeletedNm": False},
                              Window(max_days=31, history_days=90, lookback_days=1, lag_days=1), "date")
