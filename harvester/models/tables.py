"""The `Table` behind a table model, typed: SQLModel sets `__table__` on every `table=True`
class, but does not declare it, so type checkers do not know it is there."""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """The table of a table model (`table=True`)."""
    return model.__table__  # type: ignore[attr-defined]
