"""Documented in the database (issue 15): every table and column carries the comment its model
gives it (`harvester.models.comments`), on PostgreSQL; SQLite keeps no comments.

The comments are derived, like the views: `env.py` writes them afresh from the models this
release ships after every upgrade that reaches head (`harvester.pipeline.store.comments`), so
a column a later revision renames gets its words too. This revision only clears them going down.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel import SQLModel

import harvester.models  # noqa: F401  (the tables, with their comments)

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing: `env.py` writes the comments once the database is at head."""


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    found = sa.inspect(bind)
    for table in SQLModel.metadata.sorted_tables:
        if not found.has_table(table.name):
            continue
        if table.comment:
            op.drop_table_comment(table.name)
        present = {column["name"]: column for column in found.get_columns(table.name)}
        for column in table.columns:
            if column.comment and column.name in present:
                op.alter_column(table.name, column.name, comment=None, existing_type=present[column.name]["type"],
                                existing_nullable=column.nullable)
