"""Search queries report (reference/wb-api.md §6): Jam-only, all five methods on one 3-a-minute
bucket, data refreshed hourly.

Every report is asked one day at a time, so the tables are daily series. Days are read once
complete (lag 1) and the newest two re-read, because WB fills the last hours in late. WB serves
a year back; how far the harvest reaches is set by what the shared bucket affords (4,320
requests a day): the main page and products cost 1-3 requests a day, search texts one per 50
products a day, product orders one per product a week.

Not harvested: POST /table/groups pages through the groups the main page already lists
(up to 1,000 of them) and is legal only with a subject, brand or tag filter, so it adds nothing.
"""

from dataclasses import replace
from functools import partial

from harvester.catalog import limits
from harvester.catalog.model import Call, Child, Endpoint, Ids, Window
from harvester.catalog.paging import OffsetPaginator
from harvester.models.wb_search import (
    WbSearchOrders,
    WbSearchOrdersDay,
    WbSearchOrdersText,
    WbSearchOrdersTotal,
    WbSearchReport,
    WbSearchReportGroup,
    WbSearchReportProduct,
    WbSearchText,
)

_PATH = "/api/v2/search-report"
_LIMIT = limits.WB_SEARCH_REPORT
_DAY = {"start": "{start}", "end": "{end}"}
_BOTH = {"includeSubstitutedSKUs": True, "includeSearchTexts": True}  # the defaults, said out loud
_BY_OPENS = {"field": "openCard", "mode": "desc"}
_DAILY = Window(max_days=1, history_days=365, lookback_days=2, lag_days=1)

# Every Jam endpoint: an analytics-token daily harvest, a day a request, a year back unless it
# says otherwise; a seller without Jam gets 403, which pauses it.
_jam = partial(Endpoint, marketplace="wb", scope="analytics", cadence="daily", window=_DAILY, requires="jam")

SEARCH_REPORT = _jam(
    name="wb.search_report",
    model=WbSearchReport,
    fetch=Call("POST", f"{_PATH}/report", _LIMIT,
               body={"currentPeriod": _DAY, "positionCluster": "all", "orderBy": _BY_OPENS, **_BOTH,
                     "limit": 1000, "offset": 0},
               records="data", single=True),
    children=(Child(WbSearchReportGroup, "groups"),),
)

# /table/details with no group filter pages through every product found in search that day.
SEARCH_REPORT_PRODUCTS = _jam(
    name="wb.search_report.products",
    model=WbSearchReportProduct,
    fetch=Call("POST", f"{_PATH}/table/details", _LIMIT,
               body={"currentPeriod": _DAY, "positionCluster": "all", "orderBy": _BY_OPENS, **_BOTH},
               records="data.products"),
    paginator=OffsetPaginator(page_size=1000),
)

# Top 30 texts (the standard Jam tariff's most) of every live product in the newest stock
# snapshot: that table lists the whole catalogue, the search tables only what was found.
SEARCH_TEXTS = _jam(
    name="wb.search_report.texts",
    model=WbSearchText,
    window=replace(_DAILY, history_days=30),
    fetch=Call("POST", f"{_PATH}/product/search-texts", _LIMIT,
               body={"currentPeriod": _DAY, "nmIds": "{ids.nm_id}", "topOrderBy": "openCard",
                     "orderBy": _BY_OPENS, **_BOTH, "limit": 30},
               records="data.items"),
    ids=Ids(source="wb.stocks_products", columns=("nm_id",), per_call=50, where={"is_deleted": (False,)},
            latest="date"),
)

# One product and up to 30 of its texts a request, for up to 7 days: the lookback days in one call.
# Only the newest snapshot's texts: products nobody searched for yesterday cost no request.
SEARCH_ORDERS = _jam(
    name="wb.search_report.orders",
    model=WbSearchOrders,
    window=replace(_DAILY, max_days=7, history_days=7),
    fetch=Call("POST", f"{_PATH}/product/orders", _LIMIT,
               body={"period": _DAY, "nmId": "{id.nm_id}", "searchTexts": "{ids.text}"},
               records="data", single=True),
    ids=Ids(source="wb.search_report.texts", columns=("nm_id", "text"), group="nm_id", per_call=30, latest="date"),
    children=(
        Child(WbSearchOrdersText, "items", children=(Child(WbSearchOrdersDay, "dateItems", carry={"text": "text"}),)),
        Child(WbSearchOrdersTotal, "total"),
    ),
)
