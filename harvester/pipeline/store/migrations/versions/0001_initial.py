"""Initial schema: every table the models had when the harvester still used create_all.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The harvester's own tables: run log, watermarks, report flows, quota, account state.
    op.create_table(
        "harvest_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("endpoint", sa.String(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_harvest_run_account_id", "harvest_run", ["account_id"])
    op.create_index("ix_harvest_run_endpoint", "harvest_run", ["endpoint"])
    op.create_table(
        "watermark",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("endpoint", sa.String(), nullable=False),
        sa.Column("complete_until", sa.Date(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "endpoint"),
    )
    op.create_table(
        "report_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("endpoint", sa.String(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "NEW", "CREATING", "POLLING", "RETRYING", "DOWNLOADING", "DONE", "FAILED", "TIMED_OUT",
                name="jobstatus",
            ),
            nullable=False,
        ),
        sa.Column("remote_id", sa.String(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("remote_status", sa.String(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "endpoint", "window_start", "window_end"),
    )
    op.create_index("ix_report_job_account_id", "report_job", ["account_id"])
    op.create_index("ix_report_job_next_run_at", "report_job", ["next_run_at"])
    op.create_index("ix_report_job_status", "report_job", ["status"])
    op.create_table(
        "report_quota",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "day"),
    )
    op.create_table(
        "account_state",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("token_invalid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_error", sa.Text(), nullable=True),
        sa.Column("token_fingerprint", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("account_id"),
    )

    # Wildberries reports read from JSON APIs.
    op.create_table(
        "wb_stocks_products",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("nm_id", sa.BigInteger(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("subject_name", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("vendor_code", sa.String(), nullable=False),
        sa.Column("brand_name", sa.String(), nullable=False),
        sa.Column("main_photo", sa.String(), nullable=False),
        sa.Column("has_sizes", sa.Boolean(), nullable=False),
        sa.Column("orders_count", sa.BigInteger(), nullable=False),
        sa.Column("orders_sum", sa.BigInteger(), nullable=False),
        sa.Column("avg_orders", sa.Float(), nullable=False),
        sa.Column("avg_orders_by_month", sa.JSON(), nullable=False),
        sa.Column("buyout_count", sa.BigInteger(), nullable=False),
        sa.Column("buyout_sum", sa.BigInteger(), nullable=False),
        sa.Column("buyout_percent", sa.BigInteger(), nullable=False),
        sa.Column("stock_count", sa.BigInteger(), nullable=False),
        sa.Column("stock_sum", sa.BigInteger(), nullable=False),
        sa.Column("sale_rate_days", sa.Integer(), nullable=False),
        sa.Column("sale_rate_hours", sa.Integer(), nullable=False),
        sa.Column("avg_stock_turnover_days", sa.Integer(), nullable=False),
        sa.Column("avg_stock_turnover_hours", sa.Integer(), nullable=False),
        sa.Column("to_client_count", sa.BigInteger(), nullable=False),
        sa.Column("from_client_count", sa.BigInteger(), nullable=False),
        sa.Column("office_missing_time_days", sa.Integer(), nullable=False),
        sa.Column("office_missing_time_hours", sa.Integer(), nullable=False),
        sa.Column("lost_orders_count", sa.Float(), nullable=False),
        sa.Column("lost_orders_sum", sa.Float(), nullable=False),
        sa.Column("lost_buyouts_count", sa.Float(), nullable=False),
        sa.Column("lost_buyouts_sum", sa.Float(), nullable=False),
        sa.Column("min_price", sa.BigInteger(), nullable=False),
        sa.Column("max_price", sa.BigInteger(), nullable=False),
        sa.Column("availability", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "date", "nm_id"),
    )
    op.create_table(
        "wb_paid_storage",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("office_id", sa.BigInteger(), nullable=False),
        sa.Column("gi_id", sa.BigInteger(), nullable=False),
        sa.Column("chrt_id", sa.BigInteger(), nullable=False),
        sa.Column("barcode", sa.String(), nullable=False),
        sa.Column("calc_type", sa.String(), nullable=False),
        sa.Column("original_date", sa.Date(), nullable=False),
        sa.Column("warehouse", sa.String(), nullable=False),
        sa.Column("log_warehouse_coef", sa.Float(), nullable=False),
        sa.Column("warehouse_coef", sa.Float(), nullable=False),
        sa.Column("size", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("brand", sa.String(), nullable=False),
        sa.Column("vendor_code", sa.String(), nullable=False),
        sa.Column("nm_id", sa.BigInteger(), nullable=False),
        sa.Column("volume", sa.Float(), nullable=False),
        sa.Column("warehouse_price", sa.Float(), nullable=False),
        sa.Column("barcodes_count", sa.Integer(), nullable=False),
        sa.Column("pallet_place_code", sa.BigInteger(), nullable=False),
        sa.Column("pallet_count", sa.Float(), nullable=False),
        sa.Column("loyalty_discount", sa.Float(), nullable=True),
        sa.Column("tariff_fix_date", sa.Date(), nullable=True),
        sa.Column("tariff_lower_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint(
            "account_id", "date", "office_id", "gi_id", "chrt_id", "barcode", "calc_type", "original_date"
        ),
    )
    op.create_table(
        "wb_acceptance_report",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("income_id", sa.BigInteger(), nullable=False),
        sa.Column("nm_id", sa.BigInteger(), nullable=False),
        sa.Column("shk_create_date", sa.Date(), nullable=False),
        sa.Column("gi_create_date", sa.Date(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("subject_name", sa.String(), nullable=True),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("sum", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "income_id", "nm_id", "shk_create_date"),
    )

    # Wildberries seller-analytics CSV reports.
    op.create_table(
        "wb_csv_detail_history",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("nm_id", sa.BigInteger(), nullable=False),
        sa.Column("dt", sa.Date(), nullable=False),
        sa.Column("open_card_count", sa.BigInteger(), nullable=True),
        sa.Column("add_to_cart_count", sa.BigInteger(), nullable=True),
        sa.Column("orders_count", sa.BigInteger(), nullable=True),
        sa.Column("orders_sum_rub", sa.Float(), nullable=True),
        sa.Column("buyouts_count", sa.BigInteger(), nullable=True),
        sa.Column("buyouts_sum_rub", sa.Float(), nullable=True),
        sa.Column("cancel_count", sa.BigInteger(), nullable=True),
        sa.Column("cancel_sum_rub", sa.Float(), nullable=True),
        sa.Column("add_to_cart_conversion", sa.Float(), nullable=True),
        sa.Column("cart_to_order_conversion", sa.Float(), nullable=True),
        sa.Column("buyout_percent", sa.Float(), nullable=True),
        sa.Column("add_to_wishlist", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(), nullable=True),
        sa.Column("extras", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "nm_id", "dt"),
    )
    op.create_table(
        "wb_csv_grouped_history",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("dt", sa.Date(), nullable=False),
        sa.Column("open_card_count", sa.BigInteger(), nullable=True),
        sa.Column("add_to_cart_count", sa.BigInteger(), nullable=True),
        sa.Column("orders_count", sa.BigInteger(), nullable=True),
        sa.Column("orders_sum_rub", sa.Float(), nullable=True),
        sa.Column("buyouts_count", sa.BigInteger(), nullable=True),
        sa.Column("buyouts_sum_rub", sa.Float(), nullable=True),
        sa.Column("cancel_count", sa.BigInteger(), nullable=True),
        sa.Column("cancel_sum_rub", sa.Float(), nullable=True),
        sa.Column("add_to_cart_conversion", sa.Float(), nullable=True),
        sa.Column("cart_to_order_conversion", sa.Float(), nullable=True),
        sa.Column("buyout_percent", sa.Float(), nullable=True),
        sa.Column("add_to_wishlist", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(), nullable=True),
        sa.Column("extras", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "dt"),
    )
    op.create_table(
        "wb_csv_search_queries_group",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("brand_name", sa.String(), nullable=False),
        sa.Column("tag_id", sa.BigInteger(), nullable=False),
        sa.Column("subject_name", sa.String(), nullable=True),
        sa.Column("average_position", sa.Float(), nullable=True),
        sa.Column("open_card", sa.BigInteger(), nullable=True),
        sa.Column("add_to_cart", sa.BigInteger(), nullable=True),
        sa.Column("open_to_cart", sa.Float(), nullable=True),
        sa.Column("orders", sa.BigInteger(), nullable=True),
        sa.Column("cart_to_order", sa.Float(), nullable=True),
        sa.Column("visibility", sa.Float(), nullable=True),
        sa.Column("average_position_past", sa.Float(), nullable=True),
        sa.Column("open_card_past", sa.BigInteger(), nullable=True),
        sa.Column("add_to_cart_past", sa.BigInteger(), nullable=True),
        sa.Column("open_to_cart_past", sa.Float(), nullable=True),
        sa.Column("orders_past", sa.BigInteger(), nullable=True),
        sa.Column("cart_to_order_past", sa.Float(), nullable=True),
        sa.Column("visibility_past", sa.Float(), nullable=True),
        sa.Column("extras", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint(
            "account_id", "period_start", "period_end", "subject_id", "brand_name", "tag_id"
        ),
    )
    op.create_table(
        "wb_csv_search_queries_product",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("nm_id", sa.BigInteger(), nullable=False),
        sa.Column("vendor_code", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("subject_name", sa.String(), nullable=True),
        sa.Column("brand_name", sa.String(), nullable=True),
        sa.Column("is_advertised", sa.Boolean(), nullable=True),
        sa.Column("is_rated", sa.Boolean(), nullable=True),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column("feedback_rating", sa.Float(), nullable=True),
        sa.Column("min_price", sa.Float(), nullable=True),
        sa.Column("max_price", sa.Float(), nullable=True),
        sa.Column("average_position", sa.Float(), nullable=True),
        sa.Column("open_card", sa.BigInteger(), nullable=True),
        sa.Column("add_to_cart", sa.BigInteger(), nullable=True),
        sa.Column("open_to_cart", sa.Float(), nullable=True),
        sa.Column("orders", sa.BigInteger(), nullable=True),
        sa.Column("cart_to_order", sa.Float(), nullable=True),
        sa.Column("visibility", sa.Float(), nullable=True),
        sa.Column("average_position_past", sa.Float(), nullable=True),
        sa.Column("open_card_past", sa.BigInteger(), nullable=True),
        sa.Column("add_to_cart_past", sa.BigInteger(), nullable=True),
        sa.Column("open_to_cart_past", sa.Float(), nullable=True),
        sa.Column("orders_past", sa.BigInteger(), nullable=True),
        sa.Column("cart_to_order_past", sa.Float(), nullable=True),
        sa.Column("visibility_past", sa.Float(), nullable=True),
        sa.Column("is_substituted_sku", sa.Boolean(), nullable=True),
        sa.Column("currency", sa.String(), nullable=True),
        sa.Column("extras", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "period_start", "period_end", "nm_id"),
    )
    op.create_table(
        "wb_csv_search_queries_text",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("nm_id", sa.BigInteger(), nullable=False),
        sa.Column("subject_name", sa.String(), nullable=True),
        sa.Column("brand_name", sa.String(), nullable=True),
        sa.Column("vendor_code", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column("feedback_rating", sa.Float(), nullable=True),
        sa.Column("min_price", sa.Float(), nullable=True),
        sa.Column("max_price", sa.Float(), nullable=True),
        sa.Column("frequency", sa.BigInteger(), nullable=True),
        sa.Column("median_position", sa.Float(), nullable=True),
        sa.Column("average_position", sa.Float(), nullable=True),
        sa.Column("open_card", sa.BigInteger(), nullable=True),
        sa.Column("open_card_percentile", sa.Float(), nullable=True),
        sa.Column("add_to_cart", sa.BigInteger(), nullable=True),
        sa.Column("add_to_cart_percentile", sa.Float(), nullable=True),
        sa.Column("open_to_cart", sa.Float(), nullable=True),
        sa.Column("open_to_cart_percentile", sa.Float(), nullable=True),
        sa.Column("orders", sa.BigInteger(), nullable=True),
        sa.Column("orders_percentile", sa.Float(), nullable=True),
        sa.Column("cart_to_order", sa.Float(), nullable=True),
        sa.Column("cart_to_order_percentile", sa.Float(), nullable=True),
        sa.Column("visibility", sa.Float(), nullable=True),
        sa.Column("frequency_past", sa.BigInteger(), nullable=True),
        sa.Column("median_position_past", sa.Float(), nullable=True),
        sa.Column("average_position_past", sa.Float(), nullable=True),
        sa.Column("open_card_past", sa.BigInteger(), nullable=True),
        sa.Column("add_to_cart_past", sa.BigInteger(), nullable=True),
        sa.Column("open_to_cart_past", sa.Float(), nullable=True),
        sa.Column("orders_past", sa.BigInteger(), nullable=True),
        sa.Column("cart_to_order_past", sa.Float(), nullable=True),
        sa.Column("visibility_past", sa.Float(), nullable=True),
        sa.Column("currency", sa.String(), nullable=True),
        sa.Column("extras", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "period_start", "period_end", "text", "nm_id"),
    )
    op.create_table(
        "wb_csv_stock_history",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("nm_id", sa.BigInteger(), nullable=False),
        sa.Column("chrt_id", sa.BigInteger(), nullable=False),
        sa.Column("region_name", sa.String(), nullable=False),
        sa.Column("office_name", sa.String(), nullable=False),
        sa.Column("vendor_code", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("subject_name", sa.String(), nullable=True),
        sa.Column("brand_name", sa.String(), nullable=True),
        sa.Column("size_name", sa.String(), nullable=True),
        sa.Column("availability", sa.String(), nullable=True),
        sa.Column("orders_count", sa.BigInteger(), nullable=True),
        sa.Column("orders_sum", sa.Float(), nullable=True),
        sa.Column("buyout_count", sa.BigInteger(), nullable=True),
        sa.Column("buyout_sum", sa.Float(), nullable=True),
        sa.Column("buyout_percent", sa.Float(), nullable=True),
        sa.Column("avg_orders", sa.Float(), nullable=True),
        sa.Column("stock_count", sa.BigInteger(), nullable=True),
        sa.Column("stock_sum", sa.Float(), nullable=True),
        sa.Column("sale_rate_hours", sa.BigInteger(), nullable=True),
        sa.Column("avg_stock_turnover_hours", sa.BigInteger(), nullable=True),
        sa.Column("to_client_count", sa.BigInteger(), nullable=True),
        sa.Column("from_client_count", sa.BigInteger(), nullable=True),
        sa.Column("price", sa.Float(), nullable=True),
        sa.Column("office_missing_time_hours", sa.BigInteger(), nullable=True),
        sa.Column("lost_orders_count", sa.Float(), nullable=True),
        sa.Column("lost_orders_sum", sa.Float(), nullable=True),
        sa.Column("lost_buyouts_count", sa.Float(), nullable=True),
        sa.Column("lost_buyouts_sum", sa.Float(), nullable=True),
        sa.Column("avg_orders_by_month", sa.JSON(), nullable=True),
        sa.Column("currency", sa.String(), nullable=True),
        sa.Column("extras", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint(
            "account_id", "period_start", "period_end", "nm_id", "chrt_id", "region_name", "office_name"
        ),
    )
    op.create_table(
        "wb_csv_stock_daily",
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("nm_id", sa.BigInteger(), nullable=False),
        sa.Column("chrt_id", sa.BigInteger(), nullable=False),
        sa.Column("office_name", sa.String(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("vendor_code", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("subject_name", sa.String(), nullable=True),
        sa.Column("brand_name", sa.String(), nullable=True),
        sa.Column("size_name", sa.String(), nullable=True),
        sa.Column("extras", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "nm_id", "chrt_id", "office_name", "date"),
    )


def downgrade() -> None:
    op.drop_table("wb_csv_stock_daily")
    op.drop_table("wb_csv_stock_history")
    op.drop_table("wb_csv_search_queries_text")
    op.drop_table("wb_csv_search_queries_product")
    op.drop_table("wb_csv_search_queries_group")
    op.drop_table("wb_csv_grouped_history")
    op.drop_table("wb_csv_detail_history")
    op.drop_table("wb_acceptance_report")
    op.drop_table("wb_paid_storage")
    op.drop_table("wb_stocks_products")
    op.drop_table("account_state")
    op.drop_table("report_quota")
    op.drop_table("report_job")
    op.drop_table("watermark")
    op.drop_table("harvest_run")
    sa.Enum(name="jobstatus").drop(op.get_bind(), checkfirst=True)  # report_job.status's type on PostgreSQL
