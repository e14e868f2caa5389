"""Seller-analytics CSV reports (`/api/v2/nm-report/downloads`), one table per report type.

Columns read CSV headers (reference/wb-api.md §8.4). Unknown new columns land in `extras`;
per-month columns become one JSON column; per-day stock columns become one row per day.
Snapshot reports (search queries, stock history) are keyed by the period they cover.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import SQLModel

from harvester.models._fields import ctx, dynamic, extras, src


class _FunnelMetrics(SQLModel):
    """The funnel columns both history reports carry (§8.4)."""

    open_count: int | None = src("openCardCount", big=True, default=None)
    cart_count: int | None = src("addToCartCount", big=True, default=None)
    order_count: int | None = src("ordersCount", big=True, default=None)
    order_sum: Decimal | None = src("ordersSumRub", default=None, money=True)
    buyout_count: int | None = src("buyoutsCount", big=True, default=None)
    buyout_sum: Decimal | None = src("buyoutsSumRub", default=None, money=True)
    cancel_count: int | None = src("cancelCount", big=True, default=None)
    cancel_sum: Decimal | None = src("cancelSumRub", default=None, money=True)
    add_to_cart_percent: float | None = src("addToCartConversion", default=None)
    cart_to_order_percent: float | None = src("cartToOrderConversion", default=None)
    buyout_percent: float | None = src("buyoutPercent", default=None)
    wishlist_count: int | None = src("addToWishlist", big=True, default=None)
    currency: str | None = src("currency", default=None)
    extras: dict[str, Any] | None = extras()


class WbFunnelDetailHistory(_FunnelMetrics, table=True):
    """DETAIL_HISTORY_REPORT: the sales funnel per product per day."""

    __tablename__ = "wb_csv_detail_history"

    account_id: str = ctx("account_id")
    nm_id: int = src("nmID", key=True, big=True)
    date: datetime.date = src("dt", key=True)


class WbFunnelGroupedHistory(_FunnelMetrics, table=True):
    """GROUPED_HISTORY_REPORT: the whole shop's funnel per day (no filters asked)."""

    __tablename__ = "wb_csv_grouped_history"

    account_id: str = ctx("account_id")
    date: datetime.date = src("dt", key=True)


class _PeriodReport(SQLModel):
    """A snapshot report of one period: keyed by the account and the period it covers."""

    account_id: str = ctx("account_id")
    period_start: datetime.date = ctx("window_start")
    period_end: datetime.date = ctx("window_end")


class _SearchMetrics(_PeriodReport):
    """The search-funnel columns, current and past period, of the three search-query reports."""

    avg_position: float | None = src("AveragePosition", default=None)
    open_count: int | None = src("OpenCard", big=True, default=None)
    cart_count: int | None = src("AddToCart", big=True, default=None)
    add_to_cart_percent: float | None = src("OpenToCart", default=None)
    order_count: int | None = src("Orders", big=True, default=None)
    cart_to_order_percent: float | None = src("CartToOrder", default=None)
    visibility: float | None = src("Visibility", default=None)
    avg_position_past: float | None = src("AveragePositionPast", default=None)
    open_count_past: int | None = src("OpenCardPast", big=True, default=None)
    cart_count_past: int | None = src("AddToCartPast", big=True, default=None)
    add_to_cart_percent_past: float | None = src("OpenToCartPast", default=None)
    order_count_past: int | None = src("OrdersPast", big=True, default=None)
    cart_to_order_percent_past: float | None = src("CartToOrderPast", default=None)
    visibility_past: float | None = src("VisibilityPast", default=None)
    extras: dict[str, Any] | None = extras()


class WbSearchQueriesGroup(_SearchMetrics, table=True):
    """SEARCH_QUERIES_PREMIUM_REPORT_GROUP: search funnel per subject × brand × tag for a period."""

    __tablename__ = "wb_csv_search_queries_group"

    subject_id: int = src("SubjectID", key=True, big=True)
    brand_name: str = src("BrandName", key=True)
    tag_id: int = src("TagID", key=True, big=True)
    subject_name: str | None = src("SubjectName", default=None)


class WbSearchQueriesProduct(_SearchMetrics, table=True):
    """SEARCH_QUERIES_PREMIUM_REPORT_PRODUCT: search funnel per product for a period."""

    __tablename__ = "wb_csv_search_queries_product"

    nm_id: int = src("NmID", key=True, big=True)
    vendor_code: str | None = src("VendorCode", default=None)
    name: str | None = src("Name", default=None)
    subject_name: str | None = src("SubjectName|Subject", default=None)
    brand_name: str | None = src("BrandName|Brand", default=None)
    is_advertised: bool | None = src("IsAdvertised", default=None)
    is_rated: bool | None = src("IsRated", default=None)
    rating: float | None = src("Rating", default=None)
    feedback_rating: float | None = src("FeedbackRating", default=None)
    min_price: Decimal | None = src("MinPrice", default=None, money=True)
    max_price: Decimal | None = src("MaxPrice", default=None, money=True)
    is_substituted_sku: bool | None = src("IsSubstitutedSKU", default=None)
    currency: str | None = src("Currency", default=None)


class WbSearchQueriesText(_SearchMetrics, table=True):
    """SEARCH_QUERIES_PREMIUM_REPORT_TEXT: search texts per product for a period."""

    __tablename__ = "wb_csv_search_queries_text"

    text: str = src("Text", key=True)
    nm_id: int = src("NmID", key=True, big=True)
    subject_name: str | None = src("SubjectName", default=None)
    brand_name: str | None = src("BrandName", default=None)
    vendor_code: str | None = src("VendorCode", default=None)
    name: str | None = src("Name", default=None)
    rating: float | None = src("Rating", default=None)  # WB writes "no rating" when there is none
    feedback_rating: float | None = src("FeedbackRating", default=None)
    min_price: Decimal | None = src("MinPrice", default=None, money=True)
    max_price: Decimal | None = src("MaxPrice", default=None, money=True)
    frequency: int | None = src("Frequency", big=True, default=None)
    median_position: float | None = src("MedianPosition", default=None)
    open_count_percentile: float | None = src("OpenCardPercentile", default=None)
    cart_count_percentile: float | None = src("AddToCartPercentile", default=None)
    add_to_cart_percent_percentile: float | None = src("OpenToCartPercentile", default=None)
    order_count_percentile: float | None = src("OrdersPercentile", default=None)
    cart_to_order_percent_percentile: float | None = src("CartToOrderPercentile", default=None)
    frequency_past: int | None = src("FrequencyPast", big=True, default=None)
    median_position_past: float | None = src("MedianPositionPast", default=None)
    currency: str | None = src("Currency", default=None)


class WbStockHistory(_PeriodReport, table=True):
    """STOCK_HISTORY_REPORT_CSV: stock metrics per size × warehouse for a period."""

    __tablename__ = "wb_csv_stock_history"

    nm_id: int = src("NmID", key=True, big=True)
    chrt_id: int = src("ChrtID", key=True, big=True)
    region_name: str = src("RegionName", key=True)
    office_name: str = src("OfficeName", key=True)
    vendor_code: str | None = src("VendorCode", default=None)
    name: str | None = src("Name", default=None)
    subject_name: str | None = src("SubjectName", default=None)
    brand_name: str | None = src("BrandName", default=None)
    size_name: str | None = src("SizeName", default=None)
    availability: str | None = src("Availability", default=None)
    order_count: int | None = src("OrdersCount", big=True, default=None)
    order_sum: Decimal | None = src("OrdersSum", default=None, money=True)
    buyout_count: int | None = src("BuyoutCount", big=True, default=None)
    buyout_sum: Decimal | None = src("BuyoutSum", default=None, money=True)
    buyout_percent: float | None = src("BuyoutPercent", default=None)
    avg_orders: float | None = src("AvgOrders", default=None)
    stock_count: int | None = src("StockCount", big=True, default=None)
    stock_sum: Decimal | None = src("StockSum", default=None, money=True)
    sale_rate_hours: int | None = src("SaleRate", big=True, default=None)
    avg_stock_turnover_hours: int | None = src("AvgStockTurnover", big=True, default=None)
    to_client_count: int | None = src("ToClientCount", big=True, default=None)
    from_client_count: int | None = src("FromClientCount", big=True, default=None)
    price: Decimal | None = src("Price", default=None, money=True)
    office_missing_time_hours: int | None = src("OfficeMissingTime", big=True, default=None)
    lost_orders_count: float | None = src("LostOrdersCount", default=None)
    lost_orders_sum: Decimal | None = src("LostOrdersSum", default=None, money=True)
    lost_buyouts_count: float | None = src("LostBuyoutsCount", default=None)
    lost_buyouts_sum: Decimal | None = src("LostBuyoutsSum", default=None, money=True)
    avg_orders_by_month: dict[str, Any] | None = dynamic(r"^AvgOrdersByMonth_(\d\d\.\d{4})$", "json", default=None)
    currency: str | None = src("Currency", default=None)
    extras: dict[str, Any] | None = extras()


class WbStockDaily(SQLModel, table=True):
    """STOCK_HISTORY_DAILY_CSV: stock at 23:59 per size × warehouse × day (one CSV column per day)."""

    __tablename__ = "wb_csv_stock_daily"

    account_id: str = ctx("account_id")
    nm_id: int = src("NmID", key=True, big=True)
    chrt_id: int = src("ChrtID", key=True, big=True)
    office_name: str = src("OfficeName", key=True)
    date: datetime.date = dynamic(r"^(\d\d\.\d\d\.\d{4})$", "melt_key")
    stock: int | None = dynamic(r"^(\d\d\.\d\d\.\d{4})$", "melt_value", default=None)
    vendor_code: str | None = src("VendorCode", default=None)
    name: str | None = src("Name", default=None)
    subject_name: str | None = src("SubjectName", default=None)
    brand_name: str | None = src("BrandName", default=None)
    size_name: str | None = src("SizeName", default=None)
    extras: dict[str, Any] | None = extras()
