"""Wildberries report tables, one per catalog endpoint, named after the report.

Each column says where its value comes from (`src` path in the API record, or `ctx` of the
harvest); the primary key is the natural key, so an upsert makes every re-run idempotent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import SQLModel

from harvester.models._fields import ctx, src
from harvester.models.wb_analytics import StockMetrics


class WbStocksProduct(StockMetrics, table=True):
    """Stocks report, product level, one row per product per day (POST /api/v2/stocks-report/products/products).

    `date` is the one-day `currentPeriod` asked for: order metrics are that day's, stock
    values are as of the harvest (WB reports current stock only), so the table is a daily
    snapshot series whose last harvest of the day wins.
    """

    __tablename__ = "wb_stocks_products"
    # the products the stocks sizes rotation asks for, read past the last one without reading
    # every day of the seller's history (`catalog.Ids`)
    __table_args__ = (Index("ix_wb_stocks_products_account_id_nm_id", "account_id", "nm_id"),)

    account_id: str = ctx("account_id")
    date: dt.date = ctx("window_start")
    nm_id: int = src("nmID", key=True, big=True)
    is_deleted: bool = src("isDeleted")
    subject_name: str = src("subjectName")
    name: str = src("name")
    vendor_code: str = src("vendorCode")
    brand_name: str = src("brandName")
    main_photo: str = src("mainPhoto")
    has_sizes: bool = src("hasSizes")
    min_price: Decimal = src("metrics.currentPrice.minPrice", money=True)
    max_price: Decimal = src("metrics.currentPrice.maxPrice", money=True)
    availability: str = src("metrics.availability")


class WbPaidStorage(SQLModel, table=True):
    """Paid storage charges per day, warehouse, supply, size and barcode (GET /api/v1/paid_storage task)."""

    __tablename__ = "wb_paid_storage"

    account_id: str = ctx("account_id")
    date: dt.date = src("date", key=True)
    office_id: int = src("officeId", key=True, big=True)
    gi_id: int = src("giId", key=True, big=True)
    chrt_id: int = src("chrtId", key=True, big=True)
    barcode: str = src("barcode", key=True)
    calc_type: str = src("calcType", key=True)
    original_date: dt.date = src("originalDate", key=True)
    warehouse: str = src("warehouse")
    log_warehouse_coef: float = src("logWarehouseCoef")
    warehouse_coef: float = src("warehouseCoef")
    size: str = src("size")
    subject: str = src("subject")
    brand: str = src("brand")
    vendor_code: str = src("vendorCode")
    nm_id: int = src("nmId", big=True)
    volume: float = src("volume")
    warehouse_price: Decimal = src("warehousePrice", money=True)
    barcodes_count: int = src("barcodesCount")
    pallet_place_code: int = src("palletPlaceCode", big=True)
    pallet_count: float = src("palletCount")
    loyalty_discount: Decimal | None = src("loyaltyDiscount", default=None, money=True)
    tariff_fix_date: dt.date | None = src("tariffFixDate", default=None)
    tariff_lower_date: dt.date | None = src("tariffLowerDate", default=None)


class WbAcceptanceReport(SQLModel, table=True):
    """Paid acceptance per supply, product and acceptance day.

    Filled by the retired synchronous report (seed generation, whose key is spelt
    `shkСreateDate` with a Cyrillic С in WB's 2024 spec) and by the current async task.
    """

    __tablename__ = "wb_acceptance_report"

    account_id: str = ctx("account_id")
    income_id: int = src("incomeId", key=True, big=True)
    nm_id: int = src("nmID", key=True, big=True)
    shk_create_date: dt.date = src("shkCreateDate|shk\u0421reateDate", key=True)
    gi_create_date: dt.date | None = src("giCreateDate", default=None)
    count: int = src("count")
    subject_name: str | None = src("subjectName", default=None)
    total: Decimal = src("total", money=True)
    amount: Decimal | None = src("sum", default=None, money=True)  # only in the retired synchronous report
