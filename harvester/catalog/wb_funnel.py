"""Sales funnel (reference/wb-api.md §5): the retired v2 `nm-report` (seed generation) and its
v3 `sales-funnel` replacement (current), each generation on its own 3-a-minute bucket
(4,320 requests a day).

Figures are refreshed hourly, and returns and cancellations are booked to the order's date,
so a day keeps changing for a while: days are read once complete (lag 1) and the newest
three re-read every morning. The period reports (v2 detail and grouped, v3 products) are asked
one day at a time, which turns them into daily series that reach a year back at one to three
pages a day. The per-day history endpoints serve only the last week, 20 products a call,
their product ids taken from the same generation's period report.
"""

from functools import partial

from harvester.catalog import limits
from harvester.catalog.model import Call, Child, Endpoint, Ids, Window
from harvester.catalog.paging import OffsetPaginator, PagePaginator
from harvester.models.wb_funnel import (
    WbFunnelCard,
    WbFunnelGroup,
    WbFunnelGrouped,
    WbFunnelGroupHistory,
    WbFunnelGroupHistoryV2,
    WbFunnelGroupV2,
    WbFunnelProduct,
    WbFunnelProductHistory,
)

_V2, _V3 = "/api/v2/nm-report", "/api/analytics/v3/sales-funnel"
_DAILY = Window(max_days=1, history_days=365, lookback_days=3, lag_days=1)
_LAST_WEEK = Window(max_days=7, history_days=7, lookback_days=3, lag_days=1)
_BY_OPENS = {"field": "openCard", "mode": "desc"}
# Empty filters mean every card; said out loud so the request is the same in every account.
_V2_ALL = {"brandNames": [], "objectIDs": [], "tagIDs": [], "timezone": "Europe/Moscow"}
_V3_ALL = {"brandNames": [], "subjectIds": [], "tagIds": [], "skipDeletedNm": False}
_V2_DAY = {"begin": "{start}", "end": "{end}"}
_V3_DAY = {"start": "{start}", "end": "{end}"}

# Every funnel endpoint: an analytics-token daily harvest of one generation.
_funnel = partial(Endpoint, marketplace="wb", scope="analytics", cadence="daily")

FUNNEL_PRODUCTS_SEED = _funnel(
    name="wb.funnel.products.seed", model=WbFunnelProduct, window=_DAILY, generation="seed",
    fetch=Call("POST", f"{_V2}/detail", limits.WB_FUNNEL_V2,
               body={**_V2_ALL, "nmIDs": [], "period": _V2_DAY, "orderBy": _BY_OPENS}, records="data.cards"),
    paginator=PagePaginator(),
)
FUNNEL_PRODUCTS = _funnel(
    name="wb.funnel.products", model=WbFunnelProduct, window=_DAILY, generation="current",
    fetch=Call("POST", f"{_V3}/products", limits.WB_FUNNEL,
               body={**_V3_ALL, "nmIds": [], "selectedPeriod": _V3_DAY, "orderBy": _BY_OPENS}, records="data.products"),
    paginator=OffsetPaginator(page_size=1000),
)

# v2 grouped has no v3 twin; v3 products filtered by subject or brand come closest.
FUNNEL_GROUPED_SEED = _funnel(
    name="wb.funnel.grouped.seed", model=WbFunnelGrouped, window=_DAILY, generation="seed",
    fetch=Call("POST", f"{_V2}/grouped", limits.WB_FUNNEL_V2,
               body={**_V2_ALL, "period": _V2_DAY, "orderBy": _BY_OPENS}, records="data.groups"),
    paginator=PagePaginator(),
)

# Both generations' card history; the card's id is nmID (v2) or product.nmId (v3).
_PRODUCT_HISTORY = (Child(WbFunnelProductHistory, "history", carry={"nm_id": "nmID|product.nmId"}),)
FUNNEL_PRODUCT_HISTORY_SEED = _funnel(
    name="wb.funnel.product_history.seed", model=WbFunnelCard, window=_LAST_WEEK, generation="seed",
    fetch=Call("POST", f"{_V2}/detail/history", limits.WB_FUNNEL_V2,
               body={"nmIDs": "{ids.nm_id}", "period": _V2_DAY, "timezone": "Europe/Moscow", "aggregationLevel": "day"},
               records="data"),
    ids=Ids(source="wb.funnel.products.seed", columns=("nm_id",), per_call=20),
    children=_PRODUCT_HISTORY,
)
FUNNEL_PRODUCT_HISTORY = _funnel(
    name="wb.funnel.product_history", model=WbFunnelCard, window=_LAST_WEEK, generation="current",
    fetch=Call("POST", f"{_V3}/products/history", limits.WB_FUNNEL,
               body={"nmIds": "{ids.nm_id}", "selectedPeriod": _V3_DAY, "skipDeletedNm": False,
                     "aggregationLevel": "day"}, records=""),
    ids=Ids(source="wb.funnel.products", columns=("nm_id",), per_call=20),
    children=_PRODUCT_HISTORY,
)

# Grouped history with no filters: every subject x brand (x tag in v2) group of the seller.
FUNNEL_GROUPED_HISTORY_SEED = _funnel(
    name="wb.funnel.grouped_history.seed", model=WbFunnelGroupV2, window=_LAST_WEEK, generation="seed",
    fetch=Call("POST", f"{_V2}/grouped/history", limits.WB_FUNNEL_V2,
               body={**_V2_ALL, "period": _V2_DAY, "aggregationLevel": "day"}, records="data"),
    children=(Child(WbFunnelGroupHistoryV2, "history",
                    carry={"subject_id": "object.id", "brand_name": "brandName", "tag_id": "tag.id"}),),
)
FUNNEL_GROUPED_HISTORY = _funnel(
    name="wb.funnel.grouped_history", model=WbFunnelGroup, window=_LAST_WEEK, generation="current",
    fetch=Call("POST", f"{_V3}/grouped/history", limits.WB_FUNNEL,
               body={**_V3_ALL, "selectedPeriod": _V3_DAY, "aggregationLevel": "day"}, records="data"),
    children=(Child(WbFunnelGroupHistory, "history",
                    carry={"subject_id": "product.subjectId", "brand_name": "product.brandName"}),),
)
