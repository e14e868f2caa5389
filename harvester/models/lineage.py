"""Lineage: every data row says which unit of work last changed it and when, so a figure can be
traced to its request. A re-read that finds the row as stored leaves it (`store.upsert`). The
run that changed a row is the `harvest_run` of the same `unit_id` whose `started_at` …
`finished_at` holds the row's `loaded_at`.

The two columns are added to every data table here, in one place, rather than declared in
each model: they are the harvester's, not the source's. They are filled from the harvest's
context like any `ctx` column, and are empty on rows loaded before they existed.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData

from harvester.models.tables import table_models

COLUMNS = ("unit_id", "loaded_at")


def columns() -> list[Column]:
    return [Column("unit_id", Integer, nullable=True, info={"ctx": "unit_id", "lineage": True}),
            Column("loaded_at", DateTime(timezone=True), nullable=True, info={"ctx": "loaded_at", "lineage": True})]


def apply(metadata: MetaData, state_module: str) -> None:
    """Add the lineage columns to every table of a model outside `state_module` (the
    harvester's own state)."""
    for model, table in table_models(metadata):
        if model.__module__ != state_module and "unit_id" not in table.c:
            for column in columns():
                table.append_column(column)
