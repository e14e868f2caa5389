"""Yandex Market endpoints, declared as data (reference/yandex-market-api.md; OpenAPI in tests/openapi/ym).

Discovery runs first and feeds the rest: the cabinet's stores (GET /v2/campaigns) and its
offers with the stores each is placed in (offer-mappings), whose (store, SKU) pairs the
stats/skus requests ask for in batches of 500. Every call keeps to YM's 4 requests in flight
per entity; stats/skus is charged by the products in its answer.
"""

from functools import partial

from harvester.catalog import limits
from harvester.catalog.model import SNAPSHOT, Call, Child, Endpoint, FileReportFlow, Ids, RemoteStatus, Window
from harvester.catalog.paging import TokenPaginator
from harvester.models import ym

# The Api-Key scopes that grant each endpoint scope, spelt as `POST /v2/auth/token` answers:
# the x-auth-scopes of the official path files. An endpoint of scope "any" is open to every key.
KEY_SCOPES: dict[str, frozenset[str]] = {
    "offers": frozenset(("ALL_METHODS", "ALL_METHODS_READ_ONLY", "OFFERS_AND_CARDS_MANAGEMENT",
                         "OFFERS_AND_CARDS_MANAGEMENT_READ_ONLY")),
    "finance": frozenset(("ALL_METHODS", "ALL_METHODS_READ_ONLY", "FINANCE_AND_ACCOUNTING")),
}

# Every YM endpoint (offers, a daily snapshot, unless it says otherwise) and every call to the
# Partner API, at most YM_PARALLEL requests in flight per entity.
_ym = partial(Endpoint, marketplace="ym", scope="offers", cadence="daily", window=SNAPSHOT)
_call = partial(Call, host="ym.api", parallel=limits.YM_PARALLEL)

CAMPAIGNS = _ym(
    name="ym.campaigns",
    model=ym.YmCampaign,
    scope="any",
    fetch=_call("GET", "/v2/campaigns", limits.YM_CAMPAIGNS, query={"limit": "100"}, records="campaigns"),
    paginator=TokenPaginator(param="page_token", next_token="paging.nextPageToken"),
)

OFFER_MAPPINGS = _ym(
    name="ym.offer_mappings",
    model=ym.YmOffer,
    fetch=_call("POST", "/v2/businesses/{business_id}/offer-mappings", limits.YM_OFFER_MAPPINGS,
                query={"limit": "100"}, body={}, records="result.offerMappings"),
    paginator=TokenPaginator(param="page_token", next_token="result.paging.nextPageToken"),
    children=(Child(ym.YmOfferCampaign, "offer.campaigns", carry={"shop_sku": "offer.offerId"}),),
)

# A snapshot of each placed SKU per store and day: stocks per warehouse and type, tariffs
# (several of one type may come, hence their position), pictures.
STATS_SKUS = _ym(
    name="ym.stats_skus",
    model=ym.YmStatsSku,
    cadence="hourly",
    fetch=_call("POST", "/v2/campaigns/{id.campaign_id}/stats/skus", limits.YM_STATS_SKUS,
                body={"shopSkus": "{ids.shop_sku}"}, records="result.shopSkus", cost="shopSkus"),
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
# Every report: generate, then info (status and a fresh file link) until it is done.
_report = partial(FileReportFlow, status=_call("GET", "/v2/reports/info/{task_id}", limits.YM_REPORT_INFO),
                  statuses=_REPORT_STATUSES)

# §4.2: by business (every store but FBY/LaaS), today's stock; one report a day, replaced whole.
STOCKS_ON_WAREHOUSES = _ym(
    name="ym.report.stocks_on_warehouses",
    model=ym.YmStocksOnWarehouses,
    flow=_report(
        create=_call("POST", "/v2/reports/stocks-on-warehouses/generate", limits.YM_STOCKS_REPORT,
                     query={"format": "CSV"}, body={"businessId": "{business_id}"}),
        window_column="stock_date",
    ),
)

# §4.2: charges by accrual date, ≤ 3 months a report, 90 days back without a subscription;
# Yandex books late corrections, so the last week is read again.
UNITED_MARKETPLACE_SERVICES = _ym(
    name="ym.report.united_marketplace_services",
    model=ym.YmMarketplaceServicePlacement,
    scope="finance",
    window=Window(max_days=31, history_days=90, lookback_days=7, lag_days=1),
    flow=_report(
        create=_call("POST", "/v2/reports/united-marketplace-services/generate", limits.YM_SERVICES_REPORT,
                     query={"format": "CSV", "language": "RU"},
                     body={"businessId": "{business_id}", "dateFrom": "{start}", "dateTo": "{end}"}),
    ),
)
