"""Conformed views (issue 15): WB product × day and YM SKU × day, on PostgreSQL and SQLite.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

from harvester.pipeline.store.views import create_views, drop_views

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_views(op.get_bind())


def downgrade() -> None:
    drop_views(op.get_bind())
