"""Tables of the stocks-report breakdowns (wb-api.md §7.1, §7.3, §7.4) and of the "Reports"
section (§9.1, §9.4-§9.7).

Stock tables are daily snapshots: `date` is the one-day `currentPeriod` asked (WB reports
current stock only), so the day's last harvest wins. Nested lists are child tables whose key
is the parent's key plus their own. Report tables are keyed by what identifies the event
itself, never by the window that happened to fetch it, so overlapping re-reads upsert.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime
from sqlmodel import SQLModel

from harvester.models._fields import JSON_DOC, ctx, src


def _moment(path: str, **kwargs: Any) -> Any:
    """A date-time column (WB sends RFC 3339 with a zone), stored with its zone."""
    return src(path, sa_type=DateTime(timezone=True), **kwargs)


# --- stocks report ------------------------------------------------------------------------


class ShipMetrics(SQLModel):
    """TableShippingOfficeMetrics: what the /offices breakdown reports per region and warehouse."""

    stock_count: int = src("metrics.stockCount", big=True)
    stock_sum: Decimal = src("metrics.stockSum", money=True)
    sale_rate_days: int = src("metrics.saleRate.days")
    sale_rate_hours: int = src("metrics.saleRate.hours")  # -1 infinite, -2 zero, -3 not computed
    to_client_count: int = src("metrics.toClientCount", big=True)
    from_client_count: int = src("metrics.fromClientCount", big=True)


class StockMetrics(ShipMetrics):
    """TableCommonMetrics (§7): order, buyout, stock and lost-sales figures of the period."""

    order_count: int = src("metrics.ordersCount", big=True)
    order_sum: Decimal = src("metrics.ordersSum", money=True)
    avg_orders: float = src("metrics.avgOrders")
    avg_orders_by_month: list[dict[str, Any]] = src("metrics.avgOrdersByMonth", sa_type=JSON_DOC)
    buyout_count: int = src("metrics.buyoutCount", big=True)
    buyout_sum: Decimal = src("metrics.buyoutSum", money=True)
    buyout_percent: float = src("metrics.buyoutPercent")
    avg_stock_turnover_days: int = src("metrics.avgStockTurnover.days")
    avg_stock_turnover_hours: int = src("metrics.avgStockTurnover.hours")
    office_missing_time_days: int = src("metrics.officeMissingTime.days")
    office_missing_time_hours: int = src("metrics.officeMissingTime.hours")  # -4: absent all period
    lost_orders_count: float = src("metrics.lostOrdersCount")  # -2 zero, other negatives not computed
    lost_orders_sum: Decimal = src("metrics.lostOrdersSum", money=True)
    lost_buyouts_count: float = src("metrics.lostBuyoutsCount")
    lost_buyouts_sum: Decimal = src("metrics.lostBuyoutsSum", money=True)


class _Snapshot(SQLModel):
    account_id: str = ctx("account_id")
    date: dt.date = ctx("window_start")


class WbStocksGroup(StockMetrics, _Snapshot, table=True):
    """Stocks report per product group (POST /api/v2/stocks-report/products/groups).

    A group is the tuple (subjectID, brandName, tagID), which is its key; tagID is 0 for
    goods without a tag."""

    __tablename__ = "wb_stocks_groups"

    subject_id: int = src("subjectID", key=True)
    brand_name: str = src("brandName", key=True)
    tag_id: int = src("tagID", key=True, big=True)
    subject_name: str = src("subjectName")
    tag_name: str = src("tagName")


class WbStocksGroupItem(_Snapshot, table=True):
    """Which products a group holds that day. The items are the products report's rows
    (same period, same figures), so only the membership is kept; join `wb_stocks_products`."""

    __tablename__ = "wb_stocks_group_items"

    subject_id: int = ctx("subject_id")
    brand_name: str = ctx("brand_name")
    tag_id: int = ctx("tag_id", big=True)
    nm_id: int = src("nmID", key=True, big=True)


class WbStocksSizeReport(_Snapshot, table=True):
    """One row per product whose size breakdown was read that day (POST
    /api/v2/stocks-report/products/sizes, one product a call); its sizes and warehouses are
    the child tables below."""

    __tablename__ = "wb_stocks_size_reports"

    nm_id: int = ctx("nm_id", big=True)


class WbStocksSize(StockMetrics, _Snapshot, table=True):
    """Stocks report per size of a sized product; chrtID identifies the size."""

    __tablename__ = "wb_stocks_sizes"

    nm_id: int = ctx("nm_id", big=True)
    chrt_id: int = src("chrtID", key=True, big=True)
    name: str = src("name")
    min_price: Decimal = src("metrics.currentPrice.minPrice", money=True)
    max_price: Decimal = src("metrics.currentPrice.maxPrice", money=True)


class _Office(StockMetrics):
    """TableOfficeItem: one WB warehouse, or officeID 0 / regionName "Маркетплейс" for all of
    the seller's own warehouses together."""

    office_id: int = src("officeID", key=True, big=True)
    region_name: str = src("regionName")
    office_name: str = src("officeName")


class WbStocksSizeOffice(_Office, _Snapshot, table=True):
    """A size's stock per warehouse (sized products)."""

    __tablename__ = "wb_stocks_size_offices"

    nm_id: int = ctx("nm_id", big=True)
    chrt_id: int = ctx("chrt_id", big=True)


class WbStocksProductOffice(_Office, _Snapshot, table=True):
    """A non-sized product's stock per warehouse (WB answers its offices without sizes)."""

    __tablename__ = "wb_stocks_product_offices"

    nm_id: int = ctx("nm_id", big=True)


class WbStocksRegion(ShipMetrics, _Snapshot, table=True):
    """Stock per shipping region (POST /api/v2/stocks-report/offices); the seller's own
    warehouses are the region "Маркетплейс"."""

    __tablename__ = "wb_stocks_regions"

    region_name: str = src("regionName", key=True)


class WbStocksRegionOffice(ShipMetrics, _Snapshot, table=True):
    """Stock per WB warehouse of a region."""

    __tablename__ = "wb_stocks_region_offices"

    region_name: str = ctx("region_name")
    office_id: int = src("officeID", key=True, big=True)
    office_name: str = src("officeName")


# --- reports (§9) -------------------------------------------------------------------------


class WbExciseOperation(SQLModel, table=True):
    """Operations with mandatory-labelled goods (POST /api/v1/analytics/excise-report).

    A sale withdraws a marking code from circulation (operation 1); a return brings the same
    code back under the same srid (operation 2). So an operation is (srid, excise_short,
    operation_type_id): srid alone repeats for the return, and one order (srid) may hold
    several labelled items."""

    __tablename__ = "wb_excise_operations"

    account_id: str = ctx("account_id")
    srid: str = src("srid", key=True)
    excise_short: str = src("excise_short", key=True)
    operation_type_id: int = src("operation_type_id", key=True)
    name: str = src("name")  # the buyer's country
    price: Decimal = src("price", money=True)
    currency_name_short: str = src("currency_name_short")
    barcode: str = src("barcode")  # a number in the 2024-2025 examples, a string since 2026
    nm_id: int = src("nm_id", big=True)
    fiscal_doc_number: int | None = src("fiscal_doc_number", default=None, big=True)
    fiscal_dt: dt.date | None = src("fiscal_dt", default=None)
    fiscal_drive_number: str | None = src("fiscal_drive_number", default=None)
    rid: int = src("rid", big=True)


class WbAntifraudDetail(SQLModel, table=True):
    """Self-purchase deductions (GET /api/v1/analytics/antifraud-details): one row per
    product per weekly report, so (nmID, dateFrom of the week) is the key."""

    __tablename__ = "wb_antifraud_details"

    account_id: str = ctx("account_id")
    nm_id: int = src("nmID", key=True, big=True)
    date_from: dt.date = src("dateFrom", key=True)
    date_to: dt.date = src("dateTo")
    amount: Decimal = src("sum", money=True)
    currency: str = src("currency")


class WbIncorrectAttachment(SQLModel, table=True):
    """Goods substitution deductions of the retired report (GET
    /api/v1/analytics/incorrect-attachments, seed generation). shkID is the one item WB
    received instead of the product, so (nmID, date, shkID) names the event."""

    __tablename__ = "wb_incorrect_attachments"

    account_id: str = ctx("account_id")
    nm_id: int = src("nmID", key=True, big=True)
    date: dt.date = src("date", key=True)
    shk_id: int = src("shkID", key=True, big=True)
    amount: Decimal = src("amount", money=True)
    lost_reason: str | None = src("lostReason", default=None)
    photo_url: str | None = src("photoUrl", default=None)


class WbDeduction(SQLModel, table=True):
    """Substitution and wrong-attachment deductions (GET /api/analytics/v1/deductions,
    current generation). A deduction is charged when the item shkId of a product was
    swapped for newShkId at dtBonus: (nmId, dtBonus, oldShkId, newShkId) is the key."""

    __tablename__ = "wb_deductions"

    account_id: str = ctx("account_id")
    nm_id: int = src("nmId", key=True, big=True)
    dt_bonus: dt.datetime = _moment("dtBonus", key=True)
    old_shk_id: int = src("oldShkId", key=True, big=True)
    new_shk_id: int = src("newShkId", key=True, big=True)
    old_color: str | None = src("oldColor", default=None)
    old_size: str | None = src("oldSize", default=None)
    old_sku: str | None = src("oldSku", default=None)
    old_vendor_code: str | None = src("oldVendorCode", default=None)
    new_color: str | None = src("newColor", default=None)
    new_size: str | None = src("newSize", default=None)
    new_sku: str | None = src("newSku", default=None)
    new_vendor_code: str | None = src("newVendorCode", default=None)
    bonus_sum: Decimal = src("bonusSumm", money=True)
    bonus_type: str | None = src("bonusType", default=None)
    photo_urls: list[str] | None = src("photoUrls", sa_type=JSON_DOC, default=None)


class WbStorageCoefficient(SQLModel, table=True):
    """Warehouse measurements behind the weekly logistics and storage coefficient (GET
    /api/v1/analytics/storage-coefficient, seed generation).

    A week's report lists the measurements of the 30 days before it, so one measurement
    (nmID, measured at `date`) appears in several weekly reports: it is one row, and
    log_warehouse_coef is the product's coefficient in the newest report read."""

    __tablename__ = "wb_storage_coefficients"

    account_id: str = ctx("account_id")
    nm_id: int = src("nmID", key=True, big=True)
    measured_at: dt.datetime = _moment("date", key=True)
    actual_height: float = src("actualHeight")
    actual_length: float = src("actualLength")
    actual_width: float = src("actualWidth")
    actual_volume: float = src("actualVolume")
    dimension_difference: float = src("dimensionDifference")
    height: float = src("height")
    length: float = src("length")
    width: float = src("width")
    volume: float = src("volume")
    log_warehouse_coef: float = src("logWarehouseCoef")
    # a string in the 2024 schema, a list in its example
    photo_urls: Any = src("photoUrls", sa_type=JSON_DOC, default=None)
    title: str | None = src("title", default=None)


class WbMeasurementPenalty(SQLModel, table=True):
    """Penalties for understated package dimensions (GET
    /api/analytics/v1/measurement-penalties, current generation). dimId is the measurement;
    with the product and the charge date it names one penalty, later reversed in place
    (isValid false, reversalAmount)."""

    __tablename__ = "wb_measurement_penalties"

    account_id: str = ctx("account_id")
    nm_id: int = src("nmId", key=True, big=True)
    dim_id: int = src("dimId", key=True, big=True)
    dt_bonus: dt.datetime = _moment("dtBonus", key=True)
    subject_name: str | None = src("subjectName", default=None)
    prc_over: float = src("prcOver")
    volume: float = src("volume")
    width: int = src("width")
    length: int = src("length")
    height: int = src("height")
    volume_sup: float = src("volumeSup")
    width_sup: int = src("widthSup")
    length_sup: int = src("lengthSup")
    height_sup: int = src("heightSup")
    is_valid: bool = src("isValid")
    is_valid_dt: dt.datetime | None = _moment("isValidDt", default=None)
    reversal_amount: Decimal = src("reversalAmount", money=True)
    penalty_amount: Decimal = src("penaltyAmount", money=True)
    photo_urls: list[str] | None = src("photoUrls", sa_type=JSON_DOC, default=None)


class WbWarehouseMeasurement(SQLModel, table=True):
    """Warehouse measurements of products (GET /api/analytics/v1/warehouse-measurements,
    current generation); dimId identifies the measurement."""

    __tablename__ = "wb_warehouse_measurements"

    account_id: str = ctx("account_id")
    nm_id: int = src("nmId", key=True, big=True)
    dim_id: int = src("dimId", key=True, big=True)
    measured_at: dt.datetime = _moment("dt")
    subject_name: str | None = src("subjectName", default=None)
    volume: float = src("volume")
    width: int = src("width")
    length: int = src("length")
    height: int = src("height")
    photo_urls: list[str] | None = src("photoUrls", sa_type=JSON_DOC, default=None)


class WbGoodsLabeling(SQLModel, table=True):
    """Fines for missing or unreadable mandatory labels (GET
    /api/v1/analytics/goods-labeling). shkID is the item found unlabelled; with the time of
    the finding it names the fine."""

    __tablename__ = "wb_goods_labeling"

    account_id: str = ctx("account_id")
    shk_id: int = src("shkID", key=True, big=True)
    date: dt.datetime = _moment("date", key=True)
    amount: Decimal = src("amount", money=True)
    income_id: int | None = src("incomeId", default=None, big=True)
    nm_id: int = src("nmID", big=True)
    sku: str | None = src("sku", default=None)
    photo_urls: list[str] | None = src("photoUrls", sa_type=JSON_DOC, default=None)
