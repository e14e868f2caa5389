"""Idempotent writes: `INSERT … ON CONFLICT (natural key) DO UPDATE` on PostgreSQL and SQLite.

Each batch is deduplicated by key first (last record wins), because one statement may not
touch the same row twice on PostgreSQL.

On PostgreSQL the batch goes as one JSON array, read back into rows by the server
(`json_populate_recordset`). Sent row by row (the driver's executemany, pipelined), a
1,000-row page of a big seller's products cost the worker about 105 ms of CPU, over a third of
its time in a profile of the agency simulation; as one document about 40 ms, and PostgreSQL's
own part fell too (65 to 50 ms). Where the JSON would not carry the same rows (a float that is
not a number, which JSON cannot hold; a row without every column, whose missing ones the INSERT
would fill with NULL, not their defaults) the batch goes row by row as before; on SQLite, in
the process, always.

A row whose values are all as stored is left alone. A big seller's hourly snapshots re-read
every product, most of them unchanged: rewritten, each was a new row version with its WAL and a
dead one for vacuum, 2.4 million a simulated day of the agency bench. Left alone, a row keeps
its lineage: the unit that last changed it, and when.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Float,
    Numeric,
    Select,
    String,
    Table,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnClause
from sqlmodel import Session, SQLModel

from harvester.models.tables import table_of
from harvester.pipeline.store.db import json_value

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
    dialect = session.get_bind().dialect.name
    document = _json_rows(table, unique) if dialect == "postgresql" else None
    if document is not None:
        session.execute(_json_upsert_statement(table), {"rows": document})
    else:
        session.execute(_upsert_statement(dialect, table), unique)
    return len(unique)


@lru_cache(maxsize=256)
def _upsert_statement(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """Built once per table and dialect (statements are immutable): making `excluded` and its
    column proxies for every page showed in each request's profile."""
    return _on_conflict(_INSERTS[dialect](table), table)


@lru_cache(maxsize=256)
def _json_upsert_statement(table: Table) -> postgresql.Insert | sqlite.Insert:
    """The upsert of the rows of one JSON array (`:rows`), each read as a row of `table`'s type."""
    names = [c.name for c in table.columns]
    quoted = postgresql.dialect().identifier_preparer.format_table(table)
    row_type: ColumnClause[Any] = literal_column(f"NULL::{quoted}")
    source = func.json_populate_recordset(row_type, cast(bindparam("rows", type_=String), postgresql.JSON))
    read = source.table_valued(*names)
    return _on_conflict(postgresql.insert(table).from_select(names, select(*read.c)), table)


def _on_conflict(stmt: postgresql.Insert | sqlite.Insert, table: Table) -> postgresql.Insert | sqlite.Insert:
    """On a key that exists, update the row only where a data column differs (see the module's note)."""
    key = [c.name for c in table.primary_key.columns]
    data = [c for c in table.columns if c.name not in key and not c.info.get("lineage")]
    if not data:  # a key-only table
        return stmt.on_conflict_do_nothing(index_elements=key)
    changed = tuple_(*data).is_distinct_from(tuple_(*(stmt.excluded[c.name] for c in data)))
    return stmt.on_conflict_do_update(index_elements=key, where=changed,
                                      set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in key})


def _json_rows(table: Table, rows: list[dict[str, Any]]) -> str | None:
    """The rows as one JSON array that reads back as the same rows, or None where it would not
    (see the module's note). Money goes as text, so its decimal reaches NUMERIC exactly; the
    rest as the engine's JSON serializer writes it (`db.json_value`)."""
    names = {c.name for c in table.columns}
    if any(row.keys() != names for row in rows):
        return None
    exact = [c.name for c in table.columns if isinstance(c.type, Numeric) and not isinstance(c.type, Float)]
    if exact:
        rows = [{**row, **{name: str(row[name]) for name in exact if isinstance(row[name], Decimal)}} for row in rows]
    try:
        return json.dumps(rows, default=json_value, allow_nan=False)
    except ValueError:
        return None


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
