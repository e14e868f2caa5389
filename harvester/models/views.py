"""Conformed views for the common questions: one row per product × day with what every table
knows of it, so an analyst joins nothing to answer "how did this product do on this day".

Views are derived: each is a SELECT over the tables, created by the migrations (0006) on
PostgreSQL and SQLite. A migration that changes a column a view reads recreates the views.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class View:
    name: str
    comment: str
    select: str


WB_PRODUCT_DAY = View(
    "wb_product_day",
    "One WB product on one day: its funnel (every card, from wb_funnel_products), its stock as "
    "read that day (wb_stocks_products) and its advertising (wb_adv_fullstats_nms, summed over "
    "campaigns and apps; empty where the account runs none).",
    """
SELECT f.account_id, f.nm_id, f.date,
       f.open_count, f.cart_count, f.order_count, f.order_sum, f.buyout_count, f.buyout_sum,
       f.cancel_count, f.cancel_sum,
       s.stock_count, s.stock_sum,
       a.ad_views, a.ad_clicks, a.ad_cart_count, a.ad_order_count, a.ad_spend
FROM wb_funnel_products f
LEFT JOIN wb_stocks_products s ON s.account_id = f.account_id AND s.nm_id = f.nm_id AND s.date = f.date
LEFT JOIN (
    SELECT account_id, nm_id, date, SUM(views) AS ad_views, SUM(clicks) AS ad_clicks,
           SUM(cart_count) AS ad_cart_count, SUM(order_count) AS ad_order_count, SUM(spend) AS ad_spend
    FROM wb_adv_fullstats_nms
    GROUP BY account_id, nm_id, date
) a ON a.account_id = f.account_id AND a.nm_id = f.nm_id AND a.date = f.date
""",
)

YM_SKU_DAY = View(
    "ym_sku_day",
    "One Yandex Market SKU in one store on one day (ym_stats_skus), with its stock summed over "
    "warehouses by type (ym_stats_sku_stocks): FIT is sellable, AVAILABLE is what buyers can order.",
    """
SELECT k.account_id, k.campaign_id, k.shop_sku, k.snapshot_date AS date,
       k.market_sku, k.name, k.price, st.stock_fit_count, st.stock_available_count
FROM ym_stats_skus k
LEFT JOIN (
    SELECT account_id, campaign_id, snapshot_date, shop_sku,
           SUM(CASE WHEN type = 'FIT' THEN "count" ELSE 0 END) AS stock_fit_count,
           SUM(CASE WHEN type = 'AVAILABLE' THEN "count" ELSE 0 END) AS stock_available_count
    FROM ym_stats_sku_stocks
    GROUP BY account_id, campaign_id, snapshot_date, shop_sku
) st ON st.account_id = k.account_id AND st.campaign_id = k.campaign_id
    AND st.snapshot_date = k.snapshot_date AND st.shop_sku = k.shop_sku
""",
)

VIEWS = (WB_PRODUCT_DAY, YM_SKU_DAY)
