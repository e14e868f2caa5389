"""Idempotent writes: `INSERT … ON CONFLICT (natural key) DO UPDATE` on PostgreSQL and SQLite.

Each batch is deduplicated by key first (last record wins), because one statement may not
touch the same row twice on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from harvester.models.tables import table_of

# Both dialects' INSERT has `excluded` and the ON CONFLICT clauses; plain `sqlalchemy.insert` has neither.
_INSERTS: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert, "sqlite": sqlite.insert}


def upsert(session: Session, table: Table, rows: Iterable[dict[str, Any]]) -> int:
    """Insert or update `rows` by the table's primary key; returns how many distinct rows.

    One statement, compiled once and executed over all rows (the driver's executemany).
    """
    key = [c.name for c in table.primary_key.columns]
    unique = list({tuple(row[k] for k in key): row for row in rows}.values())
    if not unique:
        return 0
    stmt = _INSERTS[session.get_bind().dialect.name](table)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in key}
    on_conflict = (stmt.on_conflict_do_update(index_elements=key, set_=updates) if updates
                   else stmt.on_conflict_do_nothing(index_elements=key))  # a key-only table
    session.execute(on_conflict, unique)
    return len(unique)


def insert_missing(session: Session, table: Table, row: dict[str, Any], key: Sequence[str] = ()) -> None:
    """Insert `row` unless its key (the primary key, or the unique columns `key`) exists: safe
    when two processes try at once."""
    insert = _INSERTS[session.get_bind().dialect.name]
    key = key or [c.name for c in table.primary_key.columns]
    session.execute(insert(table).values(row).on_conflict_do_nothing(index_elements=list(key)))


def get_or_insert(session: Session, model: type[SQLModel], key: dict[str, Any], **values: Any) -> Any:
    """The row of `model` with primary key `key`, inserted with `values` if missing.

    Two processes may both find it missing at once: one inserts, and both then read and
    update the same row, where a plain `session.add` would fail one with a key violation.
    """
    ident = tuple(key.values())
    row = session.get(model, ident)
    if row is None:
        insert_missing(session, table_of(model), {**key, **values})
        row = session.get(model, ident)
    return row
