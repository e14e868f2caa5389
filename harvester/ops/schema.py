"""`harvester schema`: every table an endpoint writes and every conformed view, as Markdown for
people and as a dbt `sources.yml` for a data team's models; the same words the database holds
as comments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from sqlalchemy import Table

from harvester.catalog import endpoints
from harvester.catalog.model import Endpoint
from harvester.models.views import VIEWS


def data_tables() -> Iterator[tuple[Table, list[Endpoint]]]:
    """Each table endpoints write, once, with the endpoints that write it, in catalog order."""
    writers: dict[str, tuple[Table, list[Endpoint]]] = {}
    for endpoint in endpoints().values():
        for table in endpoint.tables:
            writers.setdefault(table.name, (table, []))[1].append(endpoint)
    yield from writers.values()


def _writers(found: list[Endpoint]) -> str:
    return ", ".join(f"`{e.name}` ({e.first_call.method} {e.first_call.path})" for e in found)


def markdown() -> str:
    lines = ["# Tables", "", "Every table the harvester writes (`harvester schema`); keys are marked *.", ""]
    for table, found in data_tables():
        lines += [f"## {table.name}", "", table.comment or "", "", f"Written by {_writers(found)}.", "",
                  "| column | type | description |", "|---|---|---|"]
        lines += [f"| {column.name}{' *' if column.primary_key else ''} | {str(column.type).lower()} | "
                  f"{(column.comment or '').replace('|', '/')} |" for column in table.columns]
        lines.append("")
    lines += ["# Views", ""]
    for view in VIEWS:
        lines += [f"## {view.name}", "", view.comment, "", "```sql", view.select.strip(), "```", ""]
    return "\n".join(lines)


def dbt_sources(source: str = "harvester") -> str:
    """A dbt sources file: tables, columns, their descriptions, and `not_null` on key columns."""
    tables: list[dict[str, Any]] = []
    for table, found in data_tables():
        columns = [{"name": str(c.name), "description": c.comment or "",
                    **({"data_tests": ["not_null"]} if c.primary_key else {})} for c in table.columns]
        tables.append({"name": str(table.name), "description": f"{table.comment or ''} Written by {_writers(found)}.",
                       "columns": columns})
    tables += [{"name": view.name, "description": view.comment} for view in VIEWS]
    return yaml.safe_dump({"version": 2, "sources": [{"name": source, "tables": tables}]},
                          allow_unicode=True, sort_keys=False, width=120)
