"""The `Table` behind a table model, typed: SQLModel sets `__table__` on every `table=True`
class, but does not declare it, so type checkers do not know it is there."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import MetaData, Table
from sqlmodel import SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """The table of a table model (`table=True`)."""
    return model.__table__  # type: ignore[attr-defined]


def table_models(metadata: MetaData) -> Iterator[tuple[type[SQLModel], Table]]:
    """Every table model whose table is on `metadata`, with that table."""
    for mapper in SQLModel._sa_registry.mappers:
        if table_of(mapper.class_).metadata is metadata:
            yield mapper.class_, table_of(mapper.class_)


def keys_first(metadata: MetaData) -> None:
    """Put every table's natural key (its primary key) first, in key order, so an analyst reads
    what a row is before its figures: SQLModel places a mixin's figures before the fields the
    table itself declares, keys among them. Tables created afterwards (`create_all`, migrations'
    `create_table`) take this order; existing PostgreSQL tables keep theirs (no reordering in place)."""
    for table in metadata.tables.values():
        keys = list(table.primary_key.columns)
        for column in [*keys, *(c for c in table.columns if not c.primary_key)]:
            table._columns.remove(column)  # no public way to reorder; remove + add moves to the end
            table._columns.add(column)
