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
