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
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import IO, Any

import psycopg
import structlog
from sqlalchemy import Table, delete
from sqlmodel import Session

from harvester.client.errors import Transient
from harvester.parse import CsvPlan, csv_plan, csv_records
from harvester.store.upsert import upsert

log = structlog.get_logger(__name__)

BATCH = 5000
_BUFFER = 1 << 20


@contextmanager
def report_csv(path: Path, label: str) -> Iterator[IO[bytes]]:
    """The one CSV inside a report ZIP, as a buffered byte stream; a broken ZIP is `Transient`."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise Transient(f"{label}: expected one file in the report ZIP, found {len(members)}")
            with archive.open(members[0]) as member:
                yield io.BufferedReader(member, _BUFFER)  # type: ignore[arg-type]
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise Transient(f"{label}: the report ZIP is truncated or corrupt ({exc})") from None


def _copy(session: Session, table: Table, plan: CsvPlan, context: Mapping[str, Any], lines: IO[bytes]) -> int:
    """COPY the remaining lines of `lines` into `table`, each prefixed with the context columns."""
    ctx = [c for c in table.columns if "ctx" in c.info]
    ordered = sorted(plan.plain, key=lambda pair: pair[0])
    names = ", ".join(f'"{c.name}"' for c in ctx + [column for _, column in ordered])
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([_text(context[c.info["ctx"]]) for c in ctx])
    prefix = out.getvalue().encode() + b","
    rows, inside, buffer = 0, False, []
    connection = session.connection().connection.driver_connection
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
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def load_csv_report(session: Session, table: Table, path: Path | None, context: Mapping[str, Any],
                    window_column: str, label: str) -> int:
    """Replace the context's window of `table` with the report at `path` (None: no data).

    Without a `window_column` (a report whose rows carry no date to replace by) rows are upserted.
    """
    window = (context["window_start"], context["window_end"])
    if window_column:
        session.execute(delete(table).where(table.c.account_id == context["account_id"],
                                            table.c[window_column].between(*window)))
    if path is None:
        return 0
    with report_csv(path, label) as raw:
        header_line = raw.readline()
        header_text = header_line.decode("utf-8-sig").strip()
        if not header_text:
            return 0  # an empty file (perhaps just a BOM): the window has no rows
        header = next(csv.reader([header_text], skipinitialspace=True))
        plan = csv_plan(table, header, label)
        if session.get_bind().dialect.name == "postgresql" and plan.direct and b", " not in header_line:
            try:
                with session.begin_nested():
                    return _copy(session, table, plan, context, raw)
            except (psycopg.DataError, psycopg.IntegrityError) as exc:
                log.info("csv_copy_fallback", table=table.name, reason=str(exc).splitlines()[0])
    with report_csv(path, label) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, skipinitialspace=True)
        next(reader, None)
        rows = csv_records(reader, plan, context, label)
        total = 0
        while batch := list(islice(rows, BATCH)):
            total += upsert(session, table, batch)
        return total
