"""One word per concept, money included (issue 15): advertising spend is `spend` in every table
(WB sends `sum` and `expenses`), the orders an advert brought are `order_sum` (`sum_price`), a
card's stock value `stock_sum` (`stock_balance_sum`), a charge or deduction `amount` (`sum`,
now NUMERIC(18, 2) like every RUB amount) and a bonus `bonus_sum` (`bonus_summ`).

Renames in place: PostgreSQL renames the column, SQLite rebuilds the table (batch mode). The
conformed views read `spend`, so they are dropped first; `env.py` makes them again after every
upgrade to head. The list is written out so later models do not change it.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from itertools import groupby

import sqlalchemy as sa
from alembic import op

from harvester.pipeline.store.views import drop_views

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_FULLSTATS = ("wb_adv_fullstats", "wb_adv_fullstats_apps", "wb_adv_fullstats_days", "wb_adv_fullstats_nms")
# (table, name at 0009, name at 0010), by table.
COLUMNS = sorted([
    *((table, "sum", "spend") for table in (*_FULLSTATS, "wb_adv_keywords", "wb_adv_stat_words")),
    *((table, "sum_price", "order_sum") for table in _FULLSTATS),
    ("wb_adv_media_stats", "expenses", "spend"),
    ("wb_acceptance_report", "sum", "amount"),
    ("wb_antifraud_details", "sum", "amount"),
    ("wb_deductions", "bonus_summ", "bonus_sum"),
    ("wb_funnel_products", "stock_balance_sum", "stock_sum"),
])
# WB gives the self-purchase deduction in whole roubles; it is money all the same.
RETYPED = {("wb_antifraud_details", "amount"): (sa.BigInteger(), sa.Numeric(18, 2))}


def _rename(forward: bool) -> None:
    drop_views(op.get_bind())
    for table, columns in groupby(COLUMNS, key=lambda column: column[0]):
        with op.batch_alter_table(table) as batch:
            for _, old, new in columns:
                source, target = (old, new) if forward else (new, old)
                types = RETYPED.get((table, new))
                if types is None:
                    batch.alter_column(source, new_column_name=target)
                    continue
                before, after = types if forward else types[::-1]
                batch.alter_column(source, new_column_name=target, type_=after, existing_type=before,
                                   postgresql_using=f'"{source}"::{after.compile(op.get_bind().dialect)}')


def upgrade() -> None:
    _rename(forward=True)


def downgrade() -> None:
    _rename(forward=False)
