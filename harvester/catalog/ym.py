"""Yandex Market endpoints, declared as data (reference/yandex-market-api.md; OpenAPI in tests/openapi/ym).

Discovery runs first and feeds the rest: the cabinet's stores (GET /v2/campaigns) and its
offers with the stores each is placed in (offer-mappings), whose (store, SKU) pairs the
stats/skus requests ask for in batches of 500. Every call keeps to YM's 4 requests in flight
per entity; stats/skus is charged by the products in its answer.
"""

from harvester.catalog import limits
from harvester.catalog.model import SNAPSHOT, Call, Child, Endpoint, FileReportFlow, Ids, RemoteStatus, Window
from harvester.catalog.paging import TokenPaginator
from harvester.models import ym

_PARALLEL = limits.YM_PARALLEL

CAMPAIGNS = Endpoint(
    name="ym.campaigns",
    marketplace="ym",
    model=ym.YmCampaign,
    scope="any",
    cadence="daily",
    window=SNAPSHOT,
    fetch=Call("GET", "/v2/campaigns", limits.YM_CAMPAIGNS, host="ym.api", query={"limit": "100"},
               records="campaigns", parallel=_PARALLEL),
    paginator=TokenPaginator(param="page_token", next_token="paging.nextPageToken"),
)

OFFER_MAPPINGS = Endpoint(
    name="ym.offer_mappings",
    marketplace="ym",
    model=ym.YmOffer,
    scope="offers",
    cadence="daily",
    window=SNAPSHOT,
    fetch=Call("POST", "/v2/businesses/{business_id}/offer-mappings", limits.YM_OFFER_MAPPINGS, host="ym.api",
               query={"limit": "100"}, body={}, records="result.offerMappings", parallel=_PARALLEL),
    paginator=TokenPaginator(param="page_token", next_token="result.paging.nextPageToken"),
    children=(Child(ym.YmOfferCampaign, "offer.campaigns", carry={"shop_sku": "offer.offerId"}),),
)

# A snapshot of each placed SKU per store and day: stocks per warehouse and type, tariffs
# (several of one type may come, hence their position), pictures.
STATS_SKUS = Endpoint(
    name="ym.stats_skus",
    marketplace="ym",
    model=ym.YmStatsSku,
    scope="offers",
    cadence="hourly",
    window=SNAPSHOT,
    fetch=Call("POST", "/v2/campaigns/{id.campaign_id}/stats/skus", limits.YM_STATS_SKUS, host="ym.api",
               body={"shopSkus": "{ids.shop_sku}"}, records="result.shopSkus", cost="shopSkus",
               parallel=_PARALLEL),
    ids=Ids(source="ym.offer_mappings", table="ym_offer_mapping_campaigns", columns=("campaign_id", "shop_sku"),
            group="campaign_id", per_call=500),
    children=(
        Child(ym.YmStatsSkuWarehouse, "warehouses", carry={"shop_sku": "shopSku"}, children=(
            Child(ym.YmStatsSkuStock, "stocks", carry={"warehouse_id": "id"}),
        )),
        Child(ym.YmStatsSkuTariff, "tariffs", carry={"shop_sku": "shopSku"}),
        Child(ym.YmStatsSkuPicture, "pictures", carry={"shop_sku": "shopSku"}),
    ),
)

_REPORT_STATUSES = {
    "PENDING": RemoteStatus.RUNNING,
    "PROCESSING": RemoteStatus.RUNNING,
    "DONE": RemoteStatus.READY,
    "FAILED": RemoteStatus.FAILED,
}
_INFO = Call("GET", "/v2/reports/info/{task_id}", limits.YM_REPORT_INFO, host="ym.api", parallel=_PARALLEL)

# §4.2: by business (every store but FBY/LaaS), today's stock; one report a day, replaced whole.
STOCKS_ON_WAREHOUSES = Endpoint(
    name="ym.report.stocks_on_warehouses",
    marketplace="ym",
    model=ym.YmStocksOnWarehouses,
    scope="offers",
    cadence="daily",
    window=SNAPSHOT,
    flow=FileReportFlow(
        create=Call("POST", "/v2/reports/stocks-on-warehouses/generate", limits.YM_STOCKS_REPORT, host="ym.api",
                    query={"format": "CSV"}, body={"businessId": "{business_id}"}, parallel=_PARALLEL),
        status=_INFO,
        statuses=_REPORT_STATUSES,
        window_column="stock_date",
    ),
)

# §4.2: charges by accrual date, ≤ 3 months a report, 90 days back without a subscription;
# Yandex books late corrections, so the last week is read again.
UNITED_MARKETPLACE_SERVICES = Endpoint(
    name="ym.report.united_marketplace_services",
    marketplace="ym",
    model=ym.YmMarketplaceServicePlacement,
    scope="offers",
    cadence="daily",
    window=Window(max_days=31, history_days=90, lookback_days=7, lag_days=1),
    flow=FileReportFlow(
        create=Call("POST", "/v2/reports/united-marketplace-services/generate", limits.YM_SERVICES_REPORT,
                    host="ym.api", query={"format": "CSV", "language": "RU"},
                    body={"businessId": "{business_id}", "dateFrom": "{start}", "dateTo": "{end}"},
                    parallel=_PARALLEL),
        status=_INFO,
        statuses=_REPORT_STATUSES,
    ),
)
