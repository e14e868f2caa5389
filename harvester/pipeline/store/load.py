"""Loading a report file: the window's rows are replaced in one transaction.

A CSV report is a complete snapshot of its window, so the window's old rows are deleted and
the file's rows written in the same transaction: readers see the old rows or the new ones,
never half, and a file that fails half-way loads nothing. On PostgreSQL a file whose header
maps straight onto the table is fed to COPY as it is, each line prefixed with the account
(and period), at close to plain COPY's speed. Other files, a COPY that the data refuses
(`no rating` in a number column, a duplicated key), and SQLite go through the parser and
batched upserts. Nothing holds more than one batch or one buffer in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from itertools import islice
from typing import IO, Any, Protocol

import psycopg
import structlog
from sqlalchemy import Table, delete
from sqlmodel import Session

from harvester.pipeline.store.upsert import upsert

log = structlog.get_logger(__name__)

BATCH = 5000


class ReportRows(Protocol):
    """A parsed report file, as the parser hands it over (see `parse.CsvReport`)."""

    @property
    def copy_columns(self) -> list[str] | None:
        """The table columns of the file's fields in file order, when the file can be copied as it is."""

    def lines(self) -> AbstractContextManager[IO[bytes]]:
        """The raw data lines after the header."""

    def records(self, context: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """The file's table rows, with the context columns filled in."""


def _copy(session: Session, table: Table, columns: list[str], context: Mapping[str, Any], lines: IO[bytes]) -> int:
    """COPY the remaining lines of `lines` into `table`, each prefixed with the context columns."""
    ctx = [c for c in table.columns if "ctx" in c.info]
    names = ", ".join(f'"{name}"' for name in [c.name for c in ctx] + columns)
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(
        [_text(context.get(c.info["ctx"]) if "lineage" in c.info else context[c.info["ctx"]]) for c in ctx])
    prefix = out.getvalue().encode() + b","
    rows, inside, buffer = 0, False, []
    connection = session.connection().connection.driver_connection
    assert connection is not None  # the session's connection is checked out, so it is live
    with connection.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT csv)') as copy:
        for line in lines:
            if not inside:
                if not line.strip():
                    continue
                buffer.append(prefix)
                rows += 1
            buffer.append(line)
            if line.count(b'"') % 2:  # a quoted field goes on to the next line
                inside = not inside
            if len(buffer) >= 4096:
                copy.write(b"".join(buffer))
                buffer.clear()
        copy.write(b"".join(buffer))
    return rows


def _text(value: Any) -> str:
    """A COPY field: dates in ISO form, None as the empty (NULL) field."""
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def load_csv_report(session: Session, table: Table, report: ReportRows | None, context: Mapping[str, Any],
                    window_column: str) -> int:
    """Replace the context's window of `table` with the report's rows (None: no data).

    Without a `window_column` (a report whose rows carry no date to replace by) rows are upserted.
    """
    window = (context["window_start"], context["window_end"])
    if window_column:
        session.execute(delete(table).where(table.c.account_id == context["account_id"],
                                            table.c[window_column].between(*window)))
    if report is None:
        return 0
    if session.get_bind().dialect.name == "postgresql" and report.copy_columns is not None:
        try:
            with session.begin_nested(), report.lines() as lines:
                return _copy(session, table, report.copy_columns, context, lines)
        except (psycopg.DataError, psycopg.IntegrityError) as exc:
            log.info("csv_copy_fallback", table=table.name, reason=str(exc).splitlines()[0])
    rows, total = report.records(context), 0
    while batch := list(islice(rows, BATCH)):
        total += upsert(session, table, batch)
    return total
