"""Exact types (issue 15): every RUB amount NUMERIC(18, 2), WB's integer percents double
precision, JSON `jsonb` on PostgreSQL, in place and without losing a value.

PostgreSQL: each column's type changes with a USING cast (double precision to numeric rounds
to kopecks, which is what the API sent); the conformed views sit on these columns, so they are
dropped first (`env.py` makes them again at head). SQLite: the declared types change by `batch_alter_table` (a
table rebuild: copy, drop, rename); the stored values are the same numbers, JSON stays text.
The list is written out (generated once against revision 0008) so later models do not change it.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from itertools import groupby

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from harvester.pipeline.store.views import drop_views

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# (table, column, type at 0008, type at 0009), PostgreSQL spelling.
CHANGES = [
    ('wb_acceptance_report', 'sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_acceptance_report', 'total', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_fullstats', 'cpc', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_fullstats', 'sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_fullstats', 'sum_price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_fullstats_apps', 'cpc', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_fullstats_apps', 'sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_fullstats_apps', 'sum_price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_fullstats_days', 'cpc', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_fullstats_days', 'sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_fullstats_days', 'sum_price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_fullstats_nms', 'cpc', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_fullstats_nms', 'sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_fullstats_nms', 'sum_price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_keywords', 'sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_media_stats', 'cpc', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_media_stats', 'daily_stats', 'JSON', 'JSONB'),
    ('wb_adv_media_stats', 'expenses', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_media_stats', 'price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_normquery', 'cpc', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_normquery', 'cpm', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_normquery', 'spend', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_stat_words', 'cpc', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_stat_words', 'sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_adv_stat_words_clusters', 'keywords', 'JSON', 'JSONB'),
    ('wb_csv_detail_history', 'buyout_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_detail_history', 'cancel_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_detail_history', 'extras', 'JSON', 'JSONB'),
    ('wb_csv_detail_history', 'order_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_grouped_history', 'buyout_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_grouped_history', 'cancel_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_grouped_history', 'extras', 'JSON', 'JSONB'),
    ('wb_csv_grouped_history', 'order_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_search_queries_group', 'extras', 'JSON', 'JSONB'),
    ('wb_csv_search_queries_product', 'extras', 'JSON', 'JSONB'),
    ('wb_csv_search_queries_product', 'max_price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_search_queries_product', 'min_price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_search_queries_text', 'extras', 'JSON', 'JSONB'),
    ('wb_csv_search_queries_text', 'max_price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_search_queries_text', 'min_price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_stock_daily', 'extras', 'JSON', 'JSONB'),
    ('wb_csv_stock_history', 'avg_orders_by_month', 'JSON', 'JSONB'),
    ('wb_csv_stock_history', 'buyout_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_stock_history', 'extras', 'JSON', 'JSONB'),
    ('wb_csv_stock_history', 'lost_buyouts_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_stock_history', 'lost_orders_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_stock_history', 'order_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_stock_history', 'price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_csv_stock_history', 'stock_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_deductions', 'bonus_summ', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_deductions', 'photo_urls', 'JSON', 'JSONB'),
    ('wb_excise_operations', 'price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_group_history', 'buyout_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_group_history', 'order_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_group_history_v2', 'buyout_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_group_history_v2', 'order_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_grouped', 'avg_price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_grouped', 'buyout_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_grouped', 'cancel_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_grouped', 'order_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_grouped', 'tags', 'JSON', 'JSONB'),
    ('wb_funnel_product_history', 'buyout_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_product_history', 'order_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_products', 'avg_price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_products', 'buyout_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_products', 'cancel_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_products', 'order_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_products', 'stock_balance_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_products', 'tags', 'JSON', 'JSONB'),
    ('wb_funnel_products', 'wb_club_avg_price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_products', 'wb_club_buyout_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_products', 'wb_club_cancel_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_funnel_products', 'wb_club_order_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_goods_labeling', 'amount', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_goods_labeling', 'photo_urls', 'JSON', 'JSONB'),
    ('wb_incorrect_attachments', 'amount', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_measurement_penalties', 'penalty_amount', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_measurement_penalties', 'photo_urls', 'JSON', 'JSONB'),
    ('wb_measurement_penalties', 'reversal_amount', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_paid_storage', 'loyalty_discount', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_paid_storage', 'warehouse_price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_search_report', 'visibility', 'BIGINT', 'FLOAT'),
    ('wb_search_report_groups', 'add_to_cart_percent', 'BIGINT', 'FLOAT'),
    ('wb_search_report_groups', 'cart_to_order_percent', 'BIGINT', 'FLOAT'),
    ('wb_search_report_groups', 'visibility', 'BIGINT', 'FLOAT'),
    ('wb_search_report_products', 'add_to_cart_percent', 'BIGINT', 'FLOAT'),
    ('wb_search_report_products', 'cart_to_order_percent', 'BIGINT', 'FLOAT'),
    ('wb_search_report_products', 'max_price', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_search_report_products', 'min_price', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_search_report_products', 'visibility', 'BIGINT', 'FLOAT'),
    ('wb_search_texts', 'add_to_cart_percent', 'BIGINT', 'FLOAT'),
    ('wb_search_texts', 'cart_to_order_percent', 'BIGINT', 'FLOAT'),
    ('wb_search_texts', 'visibility', 'BIGINT', 'FLOAT'),
    ('wb_stocks_groups', 'avg_orders_by_month', 'JSON', 'JSONB'),
    ('wb_stocks_groups', 'buyout_percent', 'BIGINT', 'FLOAT'),
    ('wb_stocks_groups', 'buyout_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_groups', 'lost_buyouts_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_stocks_groups', 'lost_orders_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_stocks_groups', 'order_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_groups', 'stock_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_product_offices', 'avg_orders_by_month', 'JSON', 'JSONB'),
    ('wb_stocks_product_offices', 'buyout_percent', 'BIGINT', 'FLOAT'),
    ('wb_stocks_product_offices', 'buyout_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_product_offices', 'lost_buyouts_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_stocks_product_offices', 'lost_orders_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_stocks_product_offices', 'order_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_product_offices', 'stock_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_products', 'avg_orders_by_month', 'JSON', 'JSONB'),
    ('wb_stocks_products', 'buyout_percent', 'BIGINT', 'FLOAT'),
    ('wb_stocks_products', 'buyout_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_products', 'lost_buyouts_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_stocks_products', 'lost_orders_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_stocks_products', 'max_price', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_products', 'min_price', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_products', 'order_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_products', 'stock_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_region_offices', 'stock_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_regions', 'stock_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_size_offices', 'avg_orders_by_month', 'JSON', 'JSONB'),
    ('wb_stocks_size_offices', 'buyout_percent', 'BIGINT', 'FLOAT'),
    ('wb_stocks_size_offices', 'buyout_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_size_offices', 'lost_buyouts_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_stocks_size_offices', 'lost_orders_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_stocks_size_offices', 'order_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_size_offices', 'stock_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_sizes', 'avg_orders_by_month', 'JSON', 'JSONB'),
    ('wb_stocks_sizes', 'buyout_percent', 'BIGINT', 'FLOAT'),
    ('wb_stocks_sizes', 'buyout_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_sizes', 'lost_buyouts_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_stocks_sizes', 'lost_orders_sum', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('wb_stocks_sizes', 'max_price', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_sizes', 'min_price', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_sizes', 'order_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_stocks_sizes', 'stock_sum', 'BIGINT', 'NUMERIC(18, 2)'),
    ('wb_storage_coefficients', 'photo_urls', 'JSON', 'JSONB'),
    ('wb_warehouse_measurements', 'photo_urls', 'JSON', 'JSONB'),
    ('work_unit', 'progress', 'JSON', 'JSONB'),
    ('ym_offer_mappings', 'basic_price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'amount_without_bonuses', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'batch_price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'cancellation_order_fee_tariff', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'decoupling_markup', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'decoupling_price_change', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'decoupling_tariff', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'extras', 'JSON', 'JSONB'),
    ('ym_report_services_placement', 'fee_benefit_discount', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'fee_benefit_tariff', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'individual_discount', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'late_order_execution_fee_tariff', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'loyalty_discount', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'max_tariff', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'min_tariff', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'netting', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'quality_index_amount', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'quality_index_max_tariff', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'quality_index_min_tariff', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'service_before_tariff', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'tariff', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_services_placement', 'total_amount', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_report_stocks_on_warehouses', 'extras', 'JSON', 'JSONB'),
    ('ym_stats_sku_tariffs', 'amount', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
    ('ym_stats_sku_tariffs', 'parameters', 'JSON', 'JSONB'),
    ('ym_stats_skus', 'price', 'DOUBLE PRECISION', 'NUMERIC(18, 2)'),
]

_TYPES: dict[str, sa.types.TypeEngine] = {
    "DOUBLE PRECISION": sa.Float(), "FLOAT": sa.Float(), "BIGINT": sa.BigInteger(),
    "NUMERIC(18, 2)": sa.Numeric(18, 2), "JSON": sa.JSON(), "JSONB": JSONB(),
}


def _change(to_new: bool) -> None:
    bind = op.get_bind()
    drop_views(bind)
    for table, columns in groupby(CHANGES, key=lambda change: change[0]):
        moves = [(column, new, old) if to_new else (column, old, new) for _, column, old, new in columns]
        if bind.dialect.name == "postgresql":
            for column, target, _ in moves:
                op.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE {target} USING "{column}"::{target}')
            continue
        sqlite_moves = [(c, t, s) for c, t, s in moves if "JSON" not in t]  # JSON is text on SQLite either way
        if sqlite_moves:
            with op.batch_alter_table(table) as batch:
                for column, target, source in sqlite_moves:
                    batch.alter_column(column, type_=_TYPES[target], existing_type=_TYPES[source])


def upgrade() -> None:
    _change(to_new=True)


def downgrade() -> None:
    _change(to_new=False)
