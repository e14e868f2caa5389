"""From an API answer to table rows: find the records, then read each column's source.

Columns declare their source in `info` (see `store/models/_fields.py`), so this module has
no per-endpoint code. A body of the wrong shape or a record without a key value is a
`Transient` failure: retried a few times, then recorded, never half-loaded silently.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from sqlalchemy import Date, Table

from harvester.client.errors import Transient

_MISSING = object()


def dig(record: Any, path: str, default: Any = None) -> Any:
    """The value at a dotted path, or `default` where any step is absent."""
    value = record
    for part in path.split(".") if path else ():
        if not isinstance(value, Mapping) or part not in value:
            return default
        value = value[part]
    return value


def records_at(body: Any, path: str, label: str) -> list[dict[str, Any]]:
    """The list of records at `path` in a decoded body; None (204, no data) is no records."""
    found = body
    for part in path.split(".") if path else ():
        if found is None:  # a null on the way (WB's `{"data": null}`) means no data
            return []
        found = found.get(part, _MISSING) if isinstance(found, Mapping) else _MISSING
    if found is None:
        return []
    if not isinstance(found, list) or not all(isinstance(r, Mapping) for r in found):
        where = path or "the body"
        raise Transient(f"{label}: expected a list of objects at {where}, got {type(found).__name__}")
    return found


def _coerce(value: Any, column_type: Any) -> Any:
    if isinstance(column_type, Date) and isinstance(value, str):
        return dt.date.fromisoformat(value[:10]) if value else None
    return value


def to_rows(table: Table, records: list[Mapping[str, Any]], context: Mapping[str, Any], label: str) -> list[dict[str, Any]]:
    """One dict per record with every column filled from its declared source."""
    plan = [
        (c.name, c.info.get("src"), c.info.get("ctx"), c.type, c.primary_key)
        for c in table.columns
    ]
    rows = []
    for record in records:
        row: dict[str, Any] = {}
        for name, src, ctx, column_type, is_key in plan:
            value = context[ctx] if ctx else dig(record, src)
            try:
                row[name] = _coerce(value, column_type)
            except ValueError:
                raise Transient(f"{label}: {src} = {value!r} is not a date") from None
            if is_key and row[name] is None:
                raise Transient(f"{label}: record without its key field {src}")
        rows.append(row)
    return rows
