"""Conformed views (issue 15): WB product × day and YM SKU × day, on PostgreSQL and SQLite.

The views are derived objects: `env.py` makes them afresh, from the definitions this release
ships, after every upgrade (or stamp) that reaches head, so a revision never creates a view
over columns a later revision renames. This revision only drops them on the way down.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

from harvester.pipeline.store.views import drop_views

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing: `env.py` makes the views once the database is at head."""


def downgrade() -> None:
    drop_views(op.get_bind())
