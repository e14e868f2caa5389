"""Sales funnel tables (wb-api.md §5): views, carts, orders, buyouts and cancels per product
and per group, filled by the retired v2 `nm-report` and by its v3 `sales-funnel` replacement.

Where v2 and v3 carry the same fact they share one table: a column reads `v2 path|v3 path`, so
an account moving from one generation to the other keeps one series under one key. Fields only
one generation has are nullable. Money is NUMERIC(18, 2) and percentages floats: the schemas
say integer, WB's own examples carry kopecks and fractions.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlmodel import SQLModel

from harvester.models._fields import JSON_DOC, ctx, src


def _selected(v2: str, v3: str, **kwargs: Any) -> Any:
    """A figure of the selected period: v2 `statistics.selectedPeriod.*`, v3 `statistic.selected.*`."""
    return src(f"statistics.selectedPeriod.{v2}|statistic.selected.{v3}", **kwargs)


def _v3(path: str, **kwargs: Any) -> Any:
    """A figure only v3 reports (empty in rows v2 filled)."""
    return src(f"statistic.selected.{path}", default=None, **kwargs)


class _PeriodFigures(SQLModel):
    """The selected-period figures v2 cards and groups and v3 products all carry."""

    open_count: int = _selected("openCardCount", "openCount", big=True)
    cart_count: int = _selected("addToCartCount", "cartCount", big=True)
    order_count: int = _selected("ordersCount", "orderCount", big=True)
    order_sum: Decimal = _selected("ordersSumRub", "orderSum", money=True)
    buyout_count: int = _selected("buyoutsCount", "buyoutCount", big=True)
    buyout_sum: Decimal = _selected("buyoutsSumRub", "buyoutSum", money=True)
    cancel_count: int = _selected("cancelCount", "cancelCount", big=True)
    cancel_sum: Decimal = _selected("cancelSumRub", "cancelSum", money=True)
    avg_price: Decimal = _selected("avgPriceRub", "avgPrice", money=True)
    avg_orders_per_day: float = _selected("avgOrdersCountPerDay", "avgOrdersCountPerDay")
    add_to_cart_percent: float = _selected("conversions.addToCartPercent", "conversions.addToCartPercent")
    cart_to_order_percent: float = _selected("conversions.cartToOrderPercent", "conversions.cartToOrderPercent")
    buyout_percent: float = _selected("conversions.buyoutsPercent", "conversions.buyoutPercent")
    tags: list[dict[str, Any]] = src("tags|product.tags", sa_type=JSON_DOC)


class WbFunnelProduct(_PeriodFigures, table=True):
    """One product's funnel on one day (v2 POST /api/v2/nm-report/detail, v3 POST
    /api/analytics/v3/sales-funnel/products).

    Both are period reports; the catalog asks one day per request, so each row is that day's
    figures and the table is a daily series a data team can sum over any period (a period
    report's own comparison block is left out: it is derivable from the series). Stock and
    ratings are as of the harvest. Unlike the per-day history endpoints these reach a year back
    and list every card in a few pages, so this is the table to backfill.
    """

    __tablename__ = "wb_funnel_products"

    account_id: str = ctx("account_id")
    nm_id: int = src("nmID|product.nmId", key=True, big=True)
    date: dt.date = ctx("window_start")
    vendor_code: str = src("vendorCode|product.vendorCode")
    title: str | None = src("product.title", default=None)
    brand_name: str = src("brandName|product.brandName")
    subject_id: int = src("object.id|product.subjectId", big=True)
    subject_name: str = src("object.name|product.subjectName")
    product_rating: float | None = src("product.productRating", default=None)
    feedback_rating: float | None = src("product.feedbackRating", default=None)
    stock_wb: int = src("stocks.stocksWb|product.stocks.wb", big=True)
    stock_mp: int = src("stocks.stocksMp|product.stocks.mp", big=True)
    stock_sum: Decimal | None = src("product.stocks.balanceSum", default=None, money=True)
    share_order_percent: float | None = _v3("shareOrderPercent")
    wishlist_count: int | None = _v3("addToWishlist", big=True)
    time_to_ready_days: int | None = _v3("timeToReady.days")
    time_to_ready_hours: int | None = _v3("timeToReady.hours")
    time_to_ready_mins: int | None = _v3("timeToReady.mins")
    localization_percent: float | None = _v3("localizationPercent")
    wb_club_order_count: int | None = _v3("wbClub.orderCount", big=True)
    wb_club_order_sum: Decimal | None = _v3("wbClub.orderSum", money=True)
    wb_club_buyout_count: int | None = _v3("wbClub.buyoutCount", big=True)
    wb_club_buyout_sum: Decimal | None = _v3("wbClub.buyoutSum", money=True)
    wb_club_cancel_count: int | None = _v3("wbClub.cancelCount", big=True)
    wb_club_cancel_sum: Decimal | None = _v3("wbClub.cancelSum", money=True)
    wb_club_avg_price: Decimal | None = _v3("wbClub.avgPrice", money=True)
    wb_club_buyout_percent: float | None = _v3("wbClub.buyoutPercent")
    wb_club_avg_orders_per_day: float | None = _v3("wbClub.avgOrderCountPerDay")


class WbFunnelGrouped(_PeriodFigures, table=True):
    """One subject and brand's funnel on one day (v2 POST /api/v2/nm-report/grouped; no v3
    replacement). Asked one day per request like `wb_funnel_products`; its `tags` list the
    group's tags."""

    __tablename__ = "wb_funnel_grouped"

    account_id: str = ctx("account_id")
    subject_id: int = src("object.id", key=True, big=True)
    brand_name: str = src("brandName", key=True)
    date: dt.date = ctx("window_start")
    subject_name: str = src("object.name")


class _HistoryFigures(SQLModel):
    """One element of a per-day history list, in v2 or v3 spelling (its `date` key is declared
    by each table after the parent's key, so the primary key starts with the account)."""

    open_count: int = src("openCardCount|openCount", big=True)
    cart_count: int = src("addToCartCount|cartCount", big=True)
    order_count: int = src("ordersCount|orderCount", big=True)
    order_sum: Decimal = src("ordersSumRub|orderSum", money=True)
    buyout_count: int = src("buyoutsCount|buyoutCount", big=True)
    buyout_sum: Decimal = src("buyoutsSumRub|buyoutSum", money=True)
    buyout_percent: float = src("buyoutPercent")
    add_to_cart_percent: float = src("addToCartConversion")
    cart_to_order_percent: float = src("cartToOrderConversion")
    wishlist_count: int | None = src("addToWishlistCount", default=None, big=True)  # v3 only


class WbFunnelCard(SQLModel, table=True):
    """The cards the per-day history endpoints reported, as they last named them (the parent
    records of `wb_funnel_product_history`; v2 gives only the name and vendor code)."""

    __tablename__ = "wb_funnel_cards"

    account_id: str = ctx("account_id")
    nm_id: int = src("nmID|product.nmId", key=True, big=True)
    title: str = src("imtName|product.title")
    vendor_code: str = src("vendorCode|product.vendorCode")
    brand_name: str | None = src("product.brandName", default=None)
    subject_id: int | None = src("product.subjectId", default=None, big=True)
    subject_name: str | None = src("product.subjectName", default=None)


class WbFunnelProductHistory(_HistoryFigures, table=True):
    """One product's funnel per day (v2 POST /api/v2/nm-report/detail/history, v3 POST
    /api/analytics/v3/sales-funnel/products/history), keyed account + nm_id + date.

    The same day's figures as `wb_funnel_products`, from endpoints that only reach a week
    back but answer within the hour; kept apart because the two endpoint pairs carry
    different fields and each harvest rewrites whole rows.
    """

    __tablename__ = "wb_funnel_product_history"

    account_id: str = ctx("account_id")
    nm_id: int = ctx("nm_id", big=True)
    date: dt.date = src("dt|date", key=True)


class WbFunnelGroupV2(SQLModel, table=True):
    """The subject x brand x tag groups v2 grouped history reported (parents of
    `wb_funnel_group_history_v2`); cards without tags come as tag 0."""

    __tablename__ = "wb_funnel_groups_v2"

    account_id: str = ctx("account_id")
    subject_id: int = src("object.id", key=True, big=True)
    brand_name: str = src("brandName", key=True)
    tag_id: int = src("tag.id", key=True, big=True)
    subject_name: str = src("object.name")
    tag_name: str = src("tag.name")


class WbFunnelGroupHistoryV2(_HistoryFigures, table=True):
    """One group's funnel per day (v2 POST /api/v2/nm-report/grouped/history).

    Apart from v3's `wb_funnel_group_history` because v2 splits groups by tag as well, and
    v3 names no tag: one key cannot hold both without losing v2's per-tag rows.
    """

    __tablename__ = "wb_funnel_group_history_v2"

    account_id: str = ctx("account_id")
    subject_id: int = ctx("subject_id", big=True)
    brand_name: str = ctx("brand_name")
    tag_id: int = ctx("tag_id", big=True)
    date: dt.date = src("dt|date", key=True)


class WbFunnelGroup(SQLModel, table=True):
    """The subject x brand groups v3 grouped history reported (parents of `wb_funnel_group_history`).
    v3 returns each group in its per-product block, only subject and brand filled in."""

    __tablename__ = "wb_funnel_groups"

    account_id: str = ctx("account_id")
    subject_id: int = src("product.subjectId", key=True, big=True)
    brand_name: str = src("product.brandName", key=True)
    subject_name: str = src("product.subjectName")


class WbFunnelGroupHistory(_HistoryFigures, table=True):
    """One subject and brand's funnel per day (v3 POST /api/analytics/v3/sales-funnel/grouped/history)."""

    __tablename__ = "wb_funnel_group_history"

    account_id: str = ctx("account_id")
    subject_id: int = ctx("subject_id", big=True)
    brand_name: str = ctx("brand_name")
    date: dt.date = src("dt|date", key=True)
