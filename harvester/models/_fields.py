"""Column helpers that record where a value comes from, so mapping records to rows is data.

`src("metrics.ordersCount")` reads a dotted path of the API record; `ctx("window_start")`
takes a value of the harvest (account, window) instead. Both sit in the column's `info`,
where the parser and any bulk loader can read them from the table alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

# Money exactly as the APIs give it: roubles with kopecks (the glossary's "RUB" unit).
MONEY = Numeric(18, 2)
# JSON documents: `jsonb` on PostgreSQL (indexable, compared by value), JSON text elsewhere.
JSON_DOC = JSON().with_variant(JSONB(), "postgresql")


def src(path: str, *, key: bool = False, big: bool = False, money: bool = False, **kwargs: Any) -> Any:
    """A column filled from `path` in the API record (a CSV header for CSV reports).

    `key` puts it in the natural key; "a|b" reads the first of several spellings WB has used;
    `big` for int64 ids and counts; `money` for a RUB amount (`MONEY`, read as `Decimal`).
    """
    if big:
        kwargs["sa_type"] = BigInteger
    if money:
        kwargs["sa_type"] = MONEY
    return Field(primary_key=key, sa_column_kwargs={"info": {"src": path}}, **kwargs)


def dynamic(pattern: str, role: str, **kwargs: Any) -> Any:
    """A column filled from CSV headers matching `pattern` (WB's per-month and per-day columns).

    role "json": {captured group: value} for every matching column, in one JSON column;
    role "melt_key" / "melt_value": one row per matching column, its captured date and value.
    """
    info = {"pattern": pattern, "role": role}
    if role == "json":
        kwargs["sa_type"] = JSON_DOC
    return Field(sa_column_kwargs={"info": info}, primary_key=role == "melt_key", **kwargs)


def extras() -> Any:
    """CSV columns the model does not know yet, kept as JSON instead of dropped."""
    return Field(default=None, sa_type=JSON_DOC, sa_column_kwargs={"info": {"extras": True}})


def ctx(name: str, *, key: bool = True, big: bool = False, **kwargs: Any) -> Any:
    """A column filled from the harvest's context (account_id, window_start, window_end, or an
    id the request was made for or the parent record carried); `big` for int64 ids."""
    if big:
        kwargs["sa_type"] = BigInteger
    return Field(primary_key=key, sa_column_kwargs={"info": {"ctx": name}}, **kwargs)
