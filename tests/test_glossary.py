"""One vocabulary: every column of every table goes by its term, never by another spelling."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Float, Numeric
from sqlalchemy.dialects import postgresql
from sqlmodel import SQLModel

import harvester.models  # noqa: F401  (registers every table)
from harvester.models.glossary import RENAMES, SQL_TYPES, TERMS, markdown, term_of

DOCS = Path(__file__).resolve().parents[1] / "docs" / "glossary.md"


def test_no_column_goes_by_a_spelling_the_glossary_maps_to_another_name() -> None:
    misnamed = [f"{table.name}.{column.name} (call it {RENAMES[column.name]})"
                for table in SQLModel.metadata.sorted_tables for column in table.columns if column.name in RENAMES]
    assert misnamed == []


def test_a_term_is_never_another_terms_spelling() -> None:
    columns = {term.column for term in TERMS}
    assert len(columns) == len(TERMS) and not columns & set(RENAMES)


def test_docs_glossary_is_the_glossary() -> None:
    assert DOCS.read_text() == markdown(), "run: python -c 'from harvester.models.glossary import markdown; " \
                                           "open(\"docs/glossary.md\", \"w\").write(markdown())'"


def _sql(column: Column) -> str:
    return str(column.type.compile(dialect=postgresql.dialect()))


def test_a_term_has_its_units_type_in_every_table() -> None:
    wrong = [f"{table.name}.{column.name} is {_sql(column)}, not {term.sql_type}"
             for table in SQLModel.metadata.sorted_tables for column in table.columns
             if (term := term_of(column.name)) and term.sql_type and not column.name.endswith("_percentile")
             and _sql(column) != term.sql_type]
    assert wrong == []


def test_money_has_one_exact_type() -> None:
    money = SQL_TYPES["RUB"]
    exact = {f"{table.name}.{column.name}": _sql(column) for table in SQLModel.metadata.sorted_tables
             for column in table.columns if isinstance(column.type, Numeric) and not isinstance(column.type, Float)}
    assert len(exact) > 90 and set(exact.values()) == {money}
