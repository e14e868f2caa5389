"""Create and drop the conformed views (`harvester.models.views`) on a connection."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from harvester.models.views import VIEWS


def create_views(conn: Connection) -> None:
    """Each view afresh, with its comment on PostgreSQL."""
    drop_views(conn)
    for view in VIEWS:
        conn.execute(text(f"CREATE VIEW {view.name} AS {view.select}"))
        if conn.dialect.name == "postgresql":
            quoted = view.comment.replace("'", "''")  # COMMENT takes a literal, not a parameter
            conn.execute(text(f"COMMENT ON VIEW {view.name} IS '{quoted}'"))


def drop_views(conn: Connection) -> None:
    """Every view, so the tables under them can be dropped."""
    for view in VIEWS:
        conn.execute(text(f"DROP VIEW IF EXISTS {view.name}"))
