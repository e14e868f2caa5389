"""Lineage (issue 15): every data row names the unit of work that last wrote it (`unit_id`)
and when (`loaded_at`); `harvest_run.unit_id` names the unit each run belongs to. Rows loaded
before keep both empty.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel import SQLModel

import harvester.models  # noqa: F401  (the tables, with their lineage columns)
from harvester.models import lineage
from harvester.pipeline.store.views import drop_views

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _data_tables() -> list[sa.Table]:
    found = sa.inspect(op.get_bind())
    return [t for t in SQLModel.metadata.sorted_tables
            if "unit_id" in t.c and "lineage" in t.c["unit_id"].info and found.has_table(t.name)]


def upgrade() -> None:
    with op.batch_alter_table('harvest_run') as batch:
        batch.add_column(sa.Column('unit_id', sa.Integer(), nullable=True,
                                   comment=SQLModel.metadata.tables['harvest_run'].c['unit_id'].comment))
        batch.create_index(batch.f('ix_harvest_run_unit_id'), ['unit_id'], unique=False)
    for table in _data_tables():
        for column in lineage.COLUMNS:
            op.add_column(table.name, sa.Column(column, table.c[column].type, nullable=True,
                                                comment=table.c[column].comment))


def downgrade() -> None:
    drop_views(op.get_bind())  # SQLite rebuilds each table, which a view over it would not survive
    for table in _data_tables():
        with op.batch_alter_table(table.name) as batch:
            for column in lineage.COLUMNS:
                batch.drop_column(column)
    with op.batch_alter_table('harvest_run') as batch:
        batch.drop_index(batch.f('ix_harvest_run_unit_id'))
        batch.drop_column('unit_id')
