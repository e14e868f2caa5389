"""Table and column comments from the models (`harvester.models.comments`), on PostgreSQL;
SQLite keeps no comments. Like the views they are derived: `env.py` writes them afresh after
every upgrade that reaches head, so they always say what this release's models say."""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import harvester.models  # noqa: F401  (the tables, with their comments)


def _literal(words: str) -> str:
    return "'" + words.replace("'", "''") + "'"  # COMMENT takes a literal, not a parameter


def write_comments(conn: Connection) -> None:
    """Every model table's and column's comment, on the tables and columns the database has."""
    if conn.dialect.name != "postgresql":
        return
    found = inspect(conn)
    for table in SQLModel.metadata.sorted_tables:
        if not found.has_table(table.name):
            continue
        if table.comment:
            conn.execute(text(f'COMMENT ON TABLE "{table.name}" IS {_literal(table.comment)}'))
        present = {column["name"] for column in found.get_columns(table.name)}
        for column in table.columns:
            if column.comment and column.name in present:
                conn.execute(text(f'COMMENT ON COLUMN "{table.name}"."{column.name}" IS {_literal(column.comment)}'))
