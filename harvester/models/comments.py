"""What each table and column is, written into the database as comments so an analyst reads it
where the data is: a table's comes from its model's docstring, a column's from its term in the
glossary (meaning and unit) and from where its value comes (the API field, the harvest's
context, CSV columns matching a pattern). `harvester schema` prints the same text.
"""

from __future__ import annotations

import inspect
import re

from sqlalchemy import Column, MetaData
from sqlmodel import SQLModel

from harvester.models.glossary import term_of
from harvester.models.tables import table_models

_MAX = 1000  # characters: a comment is a summary, the docs hold the rest


def table_comment(model: type[SQLModel]) -> str:
    """The first paragraph of the model's docstring, on one line."""
    doc = inspect.getdoc(model) or ""
    return re.sub(r"\s+", " ", doc.split("\n\n")[0]).strip()[:_MAX]


def source_of(column: Column) -> str:
    """Where the column's value comes from, in words."""
    info = column.info
    if "src" in info:
        spellings = " or ".join(f"`{path}`" for path in info["src"].split("|"))
        return f"source field {spellings}"
    if "ctx" in info:
        return f"the harvest's {info['ctx']}"
    if "pattern" in info:
        return f"source columns matching `{info['pattern']}`"
    if info.get("extras"):
        return "source columns not modelled yet"
    return ""


def column_comment(column: Column) -> str:
    """Meaning and unit (from the glossary), then the source; "" when nothing is known."""
    term, source = term_of(column.name), source_of(column)
    meaning = f"{term.meaning[0].upper()}{term.meaning[1:]} ({term.unit})" if term else ""
    return ". ".join(p for p in (meaning, f"From {source}" if source else "") if p)[:_MAX]


def apply(metadata: MetaData) -> None:
    """Set the comment of every table of a model and of every column that has one."""
    for model, table in table_models(metadata):
        table.comment = table_comment(model) or None
        for column in table.columns:
            column.comment = column_comment(column) or None
