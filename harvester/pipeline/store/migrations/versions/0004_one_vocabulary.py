"""One vocabulary (issue 15): every column named by its term in `harvester.models.glossary`.

Renames in place, so every value stays where it was; SQLite rebuilds each table (batch mode),
PostgreSQL renames the column.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Each name at 0003 and its name from 0004; `_past` and `_percentile` follow their stem.
WORDS = {
    "dt": "date", "open_card": "open_count", "open_card_count": "open_count", "add_to_cart": "cart_count",
    "add_to_cart_count": "cart_count", "atbs": "cart_count", "orders": "order_count", "orders_count": "order_count",
    "orders_sum": "order_sum", "orders_sum_rub": "order_sum", "buyouts_count": "buyout_count",
    "buyouts_sum_rub": "buyout_sum", "canceled": "cancel_count", "cancel_sum_rub": "cancel_sum",
    "add_to_wishlist": "wishlist_count", "add_to_wishlist_count": "wishlist_count",
    "add_to_cart_conversion": "add_to_cart_percent", "open_to_cart": "add_to_cart_percent",
    "cart_to_order_conversion": "cart_to_order_percent", "cart_to_order": "cart_to_order_percent",
    "average_position": "avg_position", "avg_pos": "avg_position",
}
_FULLSTATS = ("atbs", "orders", "canceled")
_JAM = ("open_card", "add_to_cart", "open_to_cart", "orders", "cart_to_order")
_SEARCH_CSV = ("average_position", *_JAM, *(f"{n}_past" for n in ("average_position", *_JAM)))
_PERCENTILES = tuple(f"{n}_percentile" for n in _JAM)
_FUNNEL_CSV = ("open_card_count", "add_to_cart_count", "orders_count", "orders_sum_rub", "buyouts_count",
               "buyouts_sum_rub", "cancel_sum_rub", "add_to_cart_conversion", "cart_to_order_conversion",
               "add_to_wishlist", "dt")
_FUNNEL_HISTORY = ("add_to_cart_conversion", "cart_to_order_conversion", "add_to_wishlist_count")
_STOCKS = ("orders_count", "orders_sum")
TABLES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("wb_adv_fullstats", "wb_adv_fullstats_apps", "wb_adv_fullstats_days", "wb_adv_fullstats_nms"),
                    _FULLSTATS),
    "wb_adv_media_stats": ("atbs", "orders"),
    "wb_adv_normquery": ("atbs", "orders", "avg_pos"),
    **dict.fromkeys(("wb_csv_detail_history", "wb_csv_grouped_history"), _FUNNEL_CSV),
    **dict.fromkeys(("wb_csv_search_queries_group", "wb_csv_search_queries_product"), _SEARCH_CSV),
    "wb_csv_search_queries_text": (*_SEARCH_CSV, *_PERCENTILES),
    **dict.fromkeys(("wb_csv_stock_history", "wb_stocks_groups", "wb_stocks_product_offices", "wb_stocks_products",
                     "wb_stocks_size_offices", "wb_stocks_sizes"), _STOCKS),
    **dict.fromkeys(("wb_funnel_group_history", "wb_funnel_group_history_v2", "wb_funnel_product_history"),
                    _FUNNEL_HISTORY),
    "wb_funnel_products": ("add_to_wishlist",),
    **dict.fromkeys(("wb_search_orders_days", "wb_search_orders_totals"), ("dt", "orders")),
    "wb_search_report": ("open_card",),
    **dict.fromkeys(("wb_search_report_groups", "wb_search_report_products"), _JAM),
    "wb_search_texts": (*_JAM, *_PERCENTILES),
}


def renamed(column: str) -> str:
    """The 0004 name of a 0003 column."""
    for suffix in ("_past", "_percentile"):
        if column.endswith(suffix) and column.removesuffix(suffix) in WORDS:
            return WORDS[column.removesuffix(suffix)] + suffix
    return WORDS[column]


def _rename(backwards: bool) -> None:
    for table, columns in TABLES.items():
        with op.batch_alter_table(table) as batch:
            for old in columns:
                new = renamed(old)
                batch.alter_column(new if backwards else old, new_column_name=old if backwards else new)


def upgrade() -> None:
    _rename(backwards=False)


def downgrade() -> None:
    _rename(backwards=True)
