"""Conformed views: one row per WB product × day and YM SKU × day, joined from their tables,
made by the migrations on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Table, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from harvester.pipeline.store.db import make_engine
from harvester.pipeline.store.migrate import upgrade
from harvester.pipeline.store.views import drop_views

DAY = dt.date(2026, 11, 20)


@pytest.fixture
def migrated(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        drop_views(conn)
        SQLModel.metadata.drop_all(conn)
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(engine)
    yield engine
    engine.dispose()


def _insert(conn: Connection, name: str, **values: Any) -> None:
    """A row with every required column filled (zeros, empty text) and `values` over them."""
    table: Table = SQLModel.metadata.tables[name]
    filler = {dt.date: DAY, str: "", bool: False, dict: {}, list: []}
    row = {c.name: filler.get(c.type.python_type, 0) for c in table.columns if not c.nullable}
    conn.execute(table.insert().values({**row, **values}))


def test_wb_product_day_joins_funnel_stock_and_advertising(migrated: Engine) -> None:
    key = {"account_id": "shop", "nm_id": 7, "date": DAY}
    with migrated.begin() as conn:
        _insert(conn, "wb_funnel_products", **key, open_count=50, order_count=4, order_sum=3996.0)
        _insert(conn, "wb_funnel_products", **{**key, "nm_id": 8}, order_count=1)
        _insert(conn, "wb_stocks_products", **key, stock_count=12)
        for advert, views in ((1, 100), (2, 300)):  # two campaigns show the product
            _insert(conn, "wb_adv_fullstats_nms", account_id="shop", advert_id=advert, date=DAY, app_type=1, nm_id=7,
                    views=views, clicks=views // 10, order_count=1, spend=views / 2)
    with migrated.connect() as conn:
        rows = conn.execute(text("SELECT nm_id, open_count, order_count, order_sum, stock_count, ad_views, ad_clicks, "
                                 "ad_order_count, ad_spend FROM wb_product_day ORDER BY nm_id")).all()
    assert [tuple(r) for r in rows] == [(7, 50, 4, 3996.0, 12, 400, 40, 2, 200.0),
                                        (8, 0, 1, 0.0, None, None, None, None, None)]


def test_ym_sku_day_sums_stock_by_type_over_warehouses(migrated: Engine) -> None:
    key = {"account_id": "cab", "campaign_id": 21, "snapshot_date": DAY, "shop_sku": "A-1"}
    with migrated.begin() as conn:
        _insert(conn, "ym_stats_skus", **key, price=990.0)
        for warehouse, kind, count in ((1, "FIT", 5), (2, "FIT", 3), (2, "AVAILABLE", 6), (1, "DEFECT", 9)):
            _insert(conn, "ym_stats_sku_stocks", **key, warehouse_id=warehouse, type=kind, count=count)
    with migrated.connect() as conn:
        rows = conn.execute(text("SELECT shop_sku, date, price, stock_fit_count, stock_available_count "
                                 "FROM ym_sku_day")).all()
    assert [(r[0], str(r[1]), *r[2:]) for r in rows] == [("A-1", DAY.isoformat(), 990.0, 8, 6)]  # SQLite: text
