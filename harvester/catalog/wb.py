"""Wildberries endpoints, declared as data (reference/wb-api.md; OpenAPI in reference/wb-openapi/2025-12)."""

from harvester.catalog import limits
from harvester.catalog.model import Call, Endpoint, RemoteStatus, TaskFlow, Window
from harvester.client.paging import OffsetPaginator
from harvester.store.models.wb import WbPaidStorage, WbStocksProduct

_ALL_AVAILABILITY = ["deficient", "actual", "balanced", "nonActual", "nonLiquid", "invalidData"]

# §7.2. WB reports current stock only, so backfilling past days would file today's stock
# under old dates: history_days=0 makes it a snapshot of today, re-read hourly (data is hourly).
STOCKS_PRODUCTS = Endpoint(
    name="wb.stocks_products",
    marketplace="wb",
    model=WbStocksProduct,
    scope="analytics",
    cadence="hourly",
    window=Window(max_days=1, history_days=0),
    fetch=Call(
        "POST",
        "/api/v2/stocks-report/products/products",
        limits.WB_STOCKS_REPORT,
        body={
            "currentPeriod": {"start": "{start}", "end": "{end}"},
            "stockType": "",
            "skipDeletedNm": False,
            "orderBy": {"field": "stockCount", "mode": "desc"},
            "availabilityFilters": _ALL_AVAILABILITY,
        },
        records="data.items",
    ),
    paginator=OffsetPaginator(page_size=1000),
)

# §9.2. At most 8 days per task; statuses new, processing, done, purged, canceled; the
# result is kept 2 hours. Charges for a day are final the next day, recalculations come
# as new rows (their originalDate differs), so one day of lookback is enough.
PAID_STORAGE = Endpoint(
    name="wb.paid_storage",
    marketplace="wb",
    model=WbPaidStorage,
    scope="analytics",
    cadence="daily",
    window=Window(max_days=8, history_days=365, lookback_days=1, lag_days=1),
    flow=TaskFlow(
        create=Call("GET", "/api/v1/paid_storage", limits.WB_PAID_STORAGE_CREATE,
                    query={"dateFrom": "{start}", "dateTo": "{end}"}),
        status=Call("GET", "/api/v1/paid_storage/tasks/{task_id}/status", limits.WB_PAID_STORAGE_STATUS),
        download=Call("GET", "/api/v1/paid_storage/tasks/{task_id}/download", limits.WB_PAID_STORAGE_DOWNLOAD),
        statuses={
            "new": RemoteStatus.RUNNING,
            "processing": RemoteStatus.RUNNING,
            "done": RemoteStatus.READY,
            "purged": RemoteStatus.GONE,
            "canceled": RemoteStatus.FAILED,
        },
    ),
)
