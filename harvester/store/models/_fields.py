"""Column helpers that record where a value comes from, so mapping records to rows is data.

`src("metrics.ordersCount")` reads a dotted path of the API record; `ctx("window_start")`
takes a value of the harvest (account, window) instead. Both sit in the column's `info`,
where the parser and any bulk loader can read them from the table alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger
from sqlmodel import Field


def src(path: str, *, key: bool = False, big: bool = False, **kwargs: Any) -> Any:
    """A column filled from `path` in the API record; `key` puts it in the natural key."""
    if big:
        kwargs["sa_type"] = BigInteger
    return Field(primary_key=key, sa_column_kwargs={"info": {"src": path}}, **kwargs)


def ctx(name: str, *, key: bool = True, **kwargs: Any) -> Any:
    """A column filled from the harvest's context (account_id, window_start, window_end)."""
    return Field(primary_key=key, sa_column_kwargs={"info": {"ctx": name}}, **kwargs)
