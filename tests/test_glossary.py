"""One vocabulary: every column of every table goes by its term, never by another spelling."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import SQLModel

import harvester.models  # noqa: F401  (registers every table)
from harvester.models.glossary import RENAMES, TERMS, markdown

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
