"""Yandex Market tables (reference/yandex-market-api.md), named `ym_<family>_<thing>`.

Enum-like fields (placement types, stock and tariff types, card statuses) are plain strings, so
values Yandex adds later are stored as they come. Nested lists are child tables whose keys carry
their parent's key. Two conventions the parser must support for list positions (Yandex returns
several tariffs of one type, and pictures are bare strings): `src("@index")` is the record's
0-based position in its list and `src("@value")` the record itself when it is not an object.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Index
from sqlmodel import SQLModel

from harvester.models._fields import JSON_DOC, ctx, extras, src


class YmCampaign(SQLModel, table=True):
    """A store of the cabinet (GET /v2/campaigns); only AVAILABLE ones can be harvested."""

    __tablename__ = "ym_campaigns"

    account_id: str = ctx("account_id")
    campaign_id: int = src("id", key=True, big=True)
    business_id: int | None = src("business.id", big=True, default=None)
    business_name: str | None = src("business.name", default=None)
    domain: str | None = src("domain", default=None)
    placement_type: str | None = src("placementType", default=None)
    api_availability: str | None = src("apiAvailability", default=None)


class YmOffer(SQLModel, table=True):
    """SKU discovery: every offer of the cabinet's catalogue (POST /v2/businesses/{id}/offer-mappings)."""

    __tablename__ = "ym_offer_mappings"

    account_id: str = ctx("account_id")
    business_id: int = ctx("business_id", big=True)
    shop_sku: str = src("offer.offerId", key=True)
    name: str | None = src("offer.name", default=None)
    vendor: str | None = src("offer.vendor", default=None)
    vendor_code: str | None = src("offer.vendorCode", default=None)
    market_category_id: int | None = src("offer.marketCategoryId", big=True, default=None)
    card_status: str | None = src("offer.cardStatus", default=None)
    archived: bool | None = src("offer.archived", default=None)
    basic_price: Decimal | None = src("offer.basicPrice.value", default=None, money=True)
    currency: str | None = src("offer.basicPrice.currencyId", default=None)
    market_sku: int | None = src("mapping.marketSku", big=True, default=None)
    market_sku_name: str | None = src("mapping.marketSkuName", default=None)
    market_category_name: str | None = src("mapping.marketCategoryName", default=None)


class YmOfferCampaign(SQLModel, table=True):
    """Which stores an offer is placed in (offer.campaigns): the (campaign, SKU) pairs stats/skus asks for."""

    __tablename__ = "ym_offer_mapping_campaigns"
    # the (store, SKU) pairs stats/skus asks for, store by store (`catalog.Ids`)
    __table_args__ = (Index("ix_ym_offer_mapping_campaigns_account_id_campaign_id_shop_sku", "account_id",
                            "campaign_id", "shop_sku"),)

    account_id: str = ctx("account_id")
    business_id: int = ctx("business_id", big=True)
    shop_sku: str = ctx("shop_sku")
    campaign_id: int = src("campaignId", key=True, big=True)
    status: str | None = src("status", default=None)


class _SkuSnapshot(SQLModel):
    """Key of one SKU of one store on the day of the harvest (stats/skus is a snapshot)."""

    account_id: str = ctx("account_id")
    campaign_id: int = ctx("campaign_id", big=True)
    snapshot_date: dt.date = ctx("window_start")


class YmStatsSku(_SkuSnapshot, table=True):
    """One product of POST /v2/campaigns/{campaignId}/stats/skus per day."""

    __tablename__ = "ym_stats_skus"

    shop_sku: str = src("shopSku", key=True)
    market_sku: int | None = src("marketSku", big=True, default=None)
    name: str | None = src("name", default=None)
    price: Decimal | None = src("price", default=None, money=True)
    category_id: int | None = src("categoryId", big=True, default=None)
    category_name: str | None = src("categoryName", default=None)
    length_cm: float | None = src("weightDimensions.length", default=None)
    width_cm: float | None = src("weightDimensions.width", default=None)
    height_cm: float | None = src("weightDimensions.height", default=None)
    weight_kg: float | None = src("weightDimensions.weight", default=None)


class YmStatsSkuWarehouse(_SkuSnapshot, table=True):
    """A warehouse holding the product (`warehouses[]`, absent when it lies nowhere)."""

    __tablename__ = "ym_stats_sku_warehouses"

    shop_sku: str = ctx("shop_sku")
    warehouse_id: int = src("id", key=True, big=True)
    name: str | None = src("name", default=None)


class YmStatsSkuStock(_SkuSnapshot, table=True):
    """Stock of one type on one warehouse (`warehouses[].stocks[]`)."""

    __tablename__ = "ym_stats_sku_stocks"

    shop_sku: str = ctx("shop_sku")
    warehouse_id: int = ctx("warehouse_id", big=True)
    type: str = src("type", key=True)
    count: int = src("count", big=True)


class YmStatsSkuTariff(_SkuSnapshot, table=True):
    """A tariff of the product (`tariffs[]`); one type may come several times, hence the position."""

    __tablename__ = "ym_stats_sku_tariffs"

    shop_sku: str = ctx("shop_sku")
    type: str = src("type", key=True)
    position: int = src("@index", key=True)
    amount: Decimal | None = src("amount", default=None, money=True)
    currency: str | None = src("currency", default=None)
    percent: float | None = src("percent", default=None)  # deprecated, switched off 12.10.2026
    parameters: list[dict[str, Any]] | None = src("parameters", sa_type=JSON_DOC, default=None)


class YmStatsSkuPicture(_SkuSnapshot, table=True):
    """A picture URL of the product (`pictures[]`, bare strings) in its order."""

    __tablename__ = "ym_stats_sku_pictures"

    shop_sku: str = ctx("shop_sku")
    position: int = src("@index", key=True)
    url: str = src("@value")


class YmStocksOnWarehouses(SQLModel, table=True):
    """Stocks-on-warehouses report, CSV sheet `stocks_on_warehouses`, requested per business.

    The business form covers every store but FBY/LaaS in one report a day (the generate quota
    is 1 per 2 minutes per cabinet); FBY stores' stock per warehouse comes with stats/skus.
    Key: the day of the stock, then SKU and warehouse; the file names warehouses, not their
    ids, and has no store column, so a SKU is assumed to lie in a warehouse once per business
    (as the emulator serves it; unverified upstream).
    """

    __tablename__ = "ym_report_stocks_on_warehouses"

    account_id: str = ctx("account_id")
    stock_date: dt.date = ctx("window_start")
    shop_sku: str = src("SHOP_SKU", key=True)
    warehouse: str = src("WAREHOUSE", key=True)
    article: str | None = src("ARTICLE", default=None)
    market_sku: int | None = src("MARKET_SKU", big=True, default=None)
    product_name: str | None = src("PRODUCT_NAME", default=None)
    valid: int | None = src("VALID", big=True, default=None)
    reserved: int | None = src("RESERVED", big=True, default=None)
    available_for_order: int | None = src("AVAILABLE_FOR_ORDER", big=True, default=None)
    quarantine: int | None = src("QUARANTINE", big=True, default=None)
    utilization: int | None = src("UTILIZATION", big=True, default=None)
    defect: int | None = src("DEFECT", big=True, default=None)
    expired: int | None = src("EXPIRED", big=True, default=None)
    length_cm: float | None = src("LENGTH", default=None)
    width_cm: float | None = src("WIDTH", default=None)
    height_cm: float | None = src("HEIGHT", default=None)
    weight_kg: float | None = src("WEIGHT", default=None)
    selling_status: str | None = src("SELLING_STATUS", default=None)
    recommendations: str | None = src("RECOMMENDATIONS", default=None)
    turnover: str | None = src("TURNOVER", default=None)
    extras: dict[str, Any] | None = extras()


class YmMarketplaceServicePlacement(SQLModel, table=True):
    """United marketplace services report, CSV sheet `placement`: one placement charge per order item.

    Key: store, order, SKU, service and the moment it was rendered; a re-read window upserts the
    same charges. Date-times stay the report's text (ISO with the Moscow offset).
    """

    __tablename__ = "ym_report_services_placement"

    account_id: str = ctx("account_id")
    partner_id: int = src("PARTNER_ID", key=True, big=True)
    order_id: int = src("ORDER_ID", key=True, big=True)
    shop_sku: str = src("SHOP_SKU", key=True)
    service_name: str = src("SERVICE_NAME", key=True)
    service_date_time: str = src("SERVICE_DATE_TIME", key=True)
    business_id: int | None = src("BUSINESS_ID", big=True, default=None)
    placement_model: str | None = src("PLACEMENT_MODEL", default=None)
    partner_name: str | None = src("PARTNER_NAME", default=None)
    inn: str | None = src("INN", default=None)
    placement_contract: str | None = src("PLACEMENT_CONTRACT", default=None)
    promotion_contract: str | None = src("PROMOTION_CONTRACT", default=None)
    order_creation_date_time: str | None = src("ORDER_CREATION_DATE_TIME", default=None)
    offer_name: str | None = src("OFFER_NAME", default=None)
    turbo_goods: str | None = src("TURBO_GOODS", default=None)
    price: Decimal | None = src("PRICE", default=None, money=True)
    decoupling_markup: Decimal | None = src("DECOUPLING_MARKUP", default=None, money=True)
    count: int | None = src("COUNT", big=True, default=None)
    batch_size: int | None = src("BATCH_SIZE", big=True, default=None)
    batch_count: int | None = src("BATCH_COUNT", big=True, default=None)
    batch_price: Decimal | None = src("BATCH_PRICE", default=None, money=True)
    weight_kg: float | None = src("WEIGHT", default=None)
    length_cm: float | None = src("LENGTH", default=None)
    width_cm: float | None = src("WIDTH", default=None)
    height_cm: float | None = src("HEIGHT", default=None)
    dimensions_sum_cm: float | None = src("DIMENSIONS_SUM", default=None)
    payment_type: str | None = src("PAYMENT_TYPE", default=None)
    quality_index: str | None = src("QUALITY_INDEX", default=None)
    tariff_terms: str | None = src("TARIFF_TERMS", default=None)
    tariff: Decimal | None = src("TARIFF", default=None, money=True)
    unit: str | None = src("UNIT", default=None)
    min_tariff: Decimal | None = src("MIN_TARIFF", default=None, money=True)
    max_tariff: Decimal | None = src("MAX_TARIFF", default=None, money=True)
    service_before_tariff: Decimal | None = src("SERVICE_BEFORE_TARIFF", default=None, money=True)
    act_date: dt.date | None = src("ACT_DATE", default=None)
    amount_without_bonuses: Decimal | None = src("AMOUNT_WITHOUT_BONUSES", default=None, money=True)
    fee_benefit_tariff: Decimal | None = src("FEE_BENEFIT_TARIFF", default=None, money=True)
    fee_benefit_discount: Decimal | None = src("FEE_BENEFIT_DISCOUNT", default=None, money=True)
    days_of_delay: int | None = src("DAYS_OF_DELAY", big=True, default=None)
    late_order_execution_fee_tariff: Decimal | None = src("LATE_ORDER_EXECUTION_FEE_TARIFF", default=None, money=True)
    cancellation_order_fee_tariff: Decimal | None = src("CANCELLATION_ORDER_FEE_TARIFF", default=None, money=True)
    quality_index_min_tariff: Decimal | None = src("QUALITY_INDEX_MIN_TARIFF", default=None, money=True)
    quality_index_max_tariff: Decimal | None = src("QUALITY_INDEX_MAX_TARIFF", default=None, money=True)
    quality_index_amount: Decimal | None = src("QUALITY_INDEX_AMOUNT", default=None, money=True)
    decoupling_tariff: Decimal | None = src("DECOUPLING_TARIFF", default=None, money=True)
    decoupling_price_change: Decimal | None = src("DECOUPLING_PRICE_CHANGE", default=None, money=True)
    individual_discount: Decimal | None = src("INDIVIDUAL_DISCOUNT", default=None, money=True)
    loyalty_discount: Decimal | None = src("LOYALTY_DISCOUNT", default=None, money=True)
    netting: Decimal | None = src("NETTING", default=None, money=True)
    total_amount: Decimal | None = src("TOTAL_AMOUNT", default=None, money=True)
    extras: dict[str, Any] | None = extras()
