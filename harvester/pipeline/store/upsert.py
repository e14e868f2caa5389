"""Idempotent writes: `INSERT … ON CONFLICT (natural key) DO UPDATE` on PostgreSQL and SQLite.

Each batch is deduplicated by key first (last record wins), because one statement may not
touch the same row twice on PostgreSQL.

A row whose values are all as stored is left alone. A big seller's hourly snapshots re-read
every product, most of them unchanged: rewritten, each was a new row version with its WAL and a
dead one for vacuum, 2.4 million a simulated day of the agency bench. Left alone, a row keeps
its lineage: the unit that last changed it, and when.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, Table, bindparam, func, literal, literal_column, select, true, tuple_
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
    session.execute(_upsert_statement(session.get_bind().dialect.name, table), unique)
    return len(unique)


@lru_cache(maxsize=256)
def _upsert_statement(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """Built once per table and dialect (statements are immutable): making `excluded` and its
    column proxies for every page showed in each request's profile."""
    key = [c.name for c in table.primary_key.columns]
    stmt = _INSERTS[dialect](table)
    data = [c for c in table.columns if c.name not in key and not c.info.get("lineage")]
    if not data:  # a key-only table
        return stmt.on_conflict_do_nothing(index_elements=key)
    changed = tuple_(*data).is_distinct_from(tuple_(*(stmt.excluded[c.name] for c in data)))
    return stmt.on_conflict_do_update(index_elements=key, where=changed,
                                      set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in key})


def dialect_insert(session: Session, target: Table | type[SQLModel]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of the session's dialect, which has `excluded` and the ON CONFLICT clauses."""
    return _INSERTS[session.get_bind().dialect.name](target)  # type: ignore[arg-type]


def insert_rows(session: Session, target: type[SQLModel], names: Sequence[str], rows: Sequence[Sequence[Any]],
                constants: dict[str, Any]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of one row per item of `rows` (the columns `names`; every other column as in
    `constants`) whose statement has the same shape whatever the number of rows: read from one
    array per column on PostgreSQL (`unnest`), from one JSON array on SQLite (`json_each`). So it
    is compiled once and sent as one statement, where a VALUES list costs compile time per row
    and an upsert with RETURNING cannot be batched by the driver."""
    source = rows_select(session, table_of(target), names, rows, constants)
    return dialect_insert(session, target).from_select([*names, *constants], source)


def rows_select(session: Session, table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]],
                constants: dict[str, Any] | None = None) -> Select[Any]:
    """The rows as a SELECT of one statement shape whatever their number (see `insert_rows`),
    each column typed as `table`'s of the same name; `constants` added to every row."""
    fixed = [literal(value, type_=table.c[name].type).label(name) for name, value in (constants or {}).items()]
    if session.get_bind().dialect.name == "postgresql":
        return select(*(func.unnest(bindparam(f"rows_{name}", [row[i] for row in rows],
                                              type_=postgresql.ARRAY(table.c[name].type))).label(name)
                        for i, name in enumerate(names)), *fixed)
    # `WHERE true`: SQLite reads ON CONFLICT after a bare SELECT … FROM as a join's ON
    return select(*(func.json_extract(literal_column("value"), f"$[{i}]").label(name)
                    for i, name in enumerate(names)), *fixed
                  ).select_from(func.json_each(json.dumps(rows, default=str))).where(true())


def insert_missing(session: Session, table: Table, rows: dict[str, Any] | Sequence[dict[str, Any]],
                   key: Sequence[str] = ()) -> None:
    """Insert each of `rows` unless its key (the primary key, or the unique columns `key`)
    exists: safe when two processes try at once. Many rows are one executemany."""
    key = key or [c.name for c in table.primary_key.columns]
    if rows:
        session.execute(dialect_insert(session, table).on_conflict_do_nothing(index_elements=list(key)), rows)


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
