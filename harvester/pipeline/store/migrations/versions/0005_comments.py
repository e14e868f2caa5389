"""Documented in the database (issue 15): every table and column carries the comment its model
gives it (`harvester.models.comments`), on PostgreSQL; SQLite keeps no comments.

The comments are read from the models this release ships, so a database migrated later gets
the text of that release: words, not structure.

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


def _comment(clear: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    found = sa.inspect(bind)
    for table in SQLModel.metadata.sorted_tables:
        if not found.has_table(table.name):
            continue
        if table.comment:
            if clear:
                op.drop_table_comment(table.name)
            else:
                op.create_table_comment(table.name, table.comment)
        present = {column["name"] for column in found.get_columns(table.name)}
        for column in table.columns:
            if column.comment and column.name in present:
                op.alter_column(table.name, column.name, comment=None if clear else column.comment,
                                existing_type=column.type, existing_nullable=column.nullable)


def upgrade() -> None:
    _comment(clear=False)


def downgrade() -> None:
    _comment(clear=True)
