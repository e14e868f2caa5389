"""Search queries report tables (`/api/v2/search-report/*`, reference/wb-api.md §6, Jam only).

Every report is asked for one day at a time, so each row is that day's figure and a metric's
`current` is all we keep: its `dynamics` (% against a past period) follows from the row of the
day before. Card details (name, prices, rating) live in the product table only.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from sqlmodel import SQLModel

from harvester.models._fields import ctx, src


class _Funnel(SQLModel):
    """The seven search-funnel metrics of a group, product or search text."""

    avg_position: int = src("avgPosition.current", big=True)
    open_count: int = src("openCard.current", big=True)
    cart_count: int = src("addToCart.current", big=True)
    add_to_cart_percent: float = src("openToCart.current")
    order_count: int = src("orders.current", big=True)
    cart_to_order_percent: float = src("cartToOrder.current")
    visibility: float = src("visibility.current")


class WbSearchReport(SQLModel, table=True):
    """Main page (POST /report): the shop's search figures of one day.

    The day's chart points (positionInfo.chartItems, visibilityInfo.byDay/byWeek/byMonth) repeat
    these figures for a one-day period, so they are not kept.
    """

    __tablename__ = "wb_search_report"

    account_id: str = ctx("account_id")
    date: datetime.date = ctx("window_start")
    supplier_rating: float = src("commonInfo.supplierRating.current")
    advertised_products: int = src("commonInfo.advertisedProducts.current", big=True)
    total_products: int = src("commonInfo.totalProducts", big=True)
    avg_position: int = src("positionInfo.average.current", big=True)
    median_position: int = src("positionInfo.median.current", big=True)
    first_hundred: int = src("positionInfo.clusters.firstHundred.current", big=True)
    second_hundred: int = src("positionInfo.clusters.secondHundred.current", big=True)
    below: int = src("positionInfo.clusters.below.current", big=True)
    visibility: float = src("visibilityInfo.visibility.current")
    open_count: int = src("visibilityInfo.openCard.current", big=True)


class WbSearchReportGroup(SQLModel, table=True):
    """Main page groups (subject × brand × tag) of one day. A group's `items` are only its first
    products; every product is in `wb_search_report_products`."""

    __tablename__ = "wb_search_report_groups"

    account_id: str = ctx("account_id")
    date: datetime.date = ctx("window_start")
    subject_id: int = src("subjectId", key=True, big=True)
    brand_name: str = src("brandName", key=True)
    tag_id: int = src("tagId", key=True, big=True)
    subject_name: str | None = src("subjectName", default=None)
    tag_name: str | None = src("tagName", default=None)
    avg_position: int = src("metrics.avgPosition.current", big=True)
    open_count: int = src("metrics.openCard.current", big=True)
    cart_count: int = src("metrics.addToCart.current", big=True)
    add_to_cart_percent: float = src("metrics.openToCart.current")
    order_count: int = src("metrics.orders.current", big=True)
    cart_to_order_percent: float = src("metrics.cartToOrder.current")
    visibility: float = src("metrics.visibility.current")


class WbSearchReportProduct(_Funnel, table=True):
    """Every product found in search on one day (POST /table/details without filters)."""

    __tablename__ = "wb_search_report_products"

    account_id: str = ctx("account_id")
    date: datetime.date = ctx("window_start")
    nm_id: int = src("nmId", key=True, big=True)
    name: str | None = src("name", default=None)
    vendor_code: str = src("vendorCode")
    subject_name: str | None = src("subjectName", default=None)
    brand_name: str | None = src("brandName", default=None)
    main_photo: str | None = src("mainPhoto", default=None)
    is_advertised: bool = src("isAdvertised")
    is_substituted_sku: bool | None = src("isSubstitutedSKU", default=None)
    is_card_rated: bool = src("isCardRated")
    rating: float = src("rating")
    feedback_rating: float = src("feedbackRating")
    min_price: Decimal = src("price.minPrice", money=True)
    max_price: Decimal = src("price.maxPrice", money=True)


class WbSearchText(_Funnel, table=True):
    """A product's top search texts of one day (POST /product/search-texts), with how the card
    fared against competitors on each text (`*_percentile`)."""

    __tablename__ = "wb_search_texts"

    account_id: str = ctx("account_id")
    date: datetime.date = ctx("window_start")
    nm_id: int = src("nmId", key=True, big=True)
    text: str = src("text", key=True)
    frequency: int = src("frequency.current", big=True)
    week_frequency: int = src("weekFrequency", big=True)
    median_position: int = src("medianPosition.current", big=True)
    open_count_percentile: int = src("openCard.percentile", big=True)
    cart_count_percentile: int = src("addToCart.percentile", big=True)
    add_to_cart_percent_percentile: int = src("openToCart.percentile", big=True)
    order_count_percentile: int = src("orders.percentile", big=True)
    cart_to_order_percent_percentile: int = src("cartToOrder.percentile", big=True)


class WbSearchOrders(SQLModel, table=True):
    """One answer of POST /product/orders: which product and period were asked (the answer
    itself is in the three tables below), so a product without any orders still shows as read."""

    __tablename__ = "wb_search_orders"

    account_id: str = ctx("account_id")
    nm_id: int = ctx("nm_id", big=True)
    period_start: datetime.date = ctx("window_start")
    period_end: datetime.date = ctx("window_end")


class WbSearchOrdersText(SQLModel, table=True):
    """How often a text was searched over the asked period."""

    __tablename__ = "wb_search_orders_texts"

    account_id: str = ctx("account_id")
    nm_id: int = ctx("nm_id", big=True)
    period_start: datetime.date = ctx("window_start")
    period_end: datetime.date = ctx("window_end")
    text: str = src("text", key=True)
    frequency: int = src("frequency", big=True)


class WbSearchOrdersDay(SQLModel, table=True):
    """A product's average position and orders from one search text on one day."""

    __tablename__ = "wb_search_orders_days"

    account_id: str = ctx("account_id")
    nm_id: int = ctx("nm_id", big=True)
    text: str = ctx("text")
    date: datetime.date = src("dt", key=True)
    avg_position: int = src("avgPosition", big=True)
    order_count: int = src("orders", big=True)


class WbSearchOrdersTotal(SQLModel, table=True):
    """A product's average position and orders on one day over the texts asked together."""

    __tablename__ = "wb_search_orders_totals"

    account_id: str = ctx("account_id")
    nm_id: int = ctx("nm_id", big=True)
    date: datetime.date = src("dt", key=True)
    avg_position: int = src("avgPosition", big=True)
    order_count: int = src("orders", big=True)
