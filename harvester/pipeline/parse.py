"""From an API answer to table rows: find the records, then read each column's source.

Columns declare their source in `info` (see `models/_fields.py`), so this module has
no per-endpoint code. JSON: a body of the wrong shape or a record without a key value is a
`Transient` failure, retried a few times, then recorded. CSV (WB's report files): the
header is planned once against the table; a missing key column is `SchemaDrift`, which
fails the job before anything loads; unknown columns go to `extras`, logged once per table.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import IO, Any

import ijson
import structlog
from sqlalchemy import Column, Date, DateTime, Float, Integer, Numeric, Table
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from harvester.core.errors import HarvestError, Transient
from harvester.core.request import dig

_MISSING = object()


def records_at(body: Any, path: str, label: str, single: bool = False) -> list[Mapping[str, Any]]:
    """The list of records at `path` in a decoded body; None (204, no data) is no records.

    A `*` part flattens a list: "*.stats" gathers the `stats` of every element of the body.
    """
    parts = path.split(".") if path else []
    found = body
    for i, part in enumerate(parts):
        if found is None:  # a null on the way (WB's `{"data": null}`) means no data
            return []
        if part == "*":
            if not isinstance(found, list):
                raise Transient(f"{label}: expected a list at {'.'.join(parts[:i]) or 'the body'}")
            rest = ".".join(parts[i + 1:])
            return [record for element in found for record in records_at(element, rest, label, single)]
        found = found.get(part, _MISSING) if isinstance(found, Mapping) else _MISSING
    if found is None or (single and found is _MISSING):  # a one-record answer may be empty: `{}`
        return []
    if single and isinstance(found, Mapping):  # an answer that is one record (a report's main page)
        return [found]
    if not isinstance(found, list) or not all(isinstance(r, Mapping) for r in found):
        where = path or "the body"
        raise Transient(f"{label}: expected a list of objects at {where}, got {type(found).__name__}")
    return found


WHOLE_AT_MOST = 8 << 20


def streamed_records(source: bytes | Path, path: str, label: str, single: bool = False) -> Iterator[Mapping[str, Any]]:
    """The records `records_at` finds, parsed one at a time from the raw body or the file it was
    spooled to: a 100,000-product stocks-groups answer is 84 MB of JSON, which took 570 MB as
    Python objects read whole and takes one record's worth here, at about the same CPU (ijson's
    C parser). Numbers are parsed as `decode_body` parses them. A body with no records where
    they belong is read whole by `records_at`, for its exact error, if it is small enough to
    (`WHOLE_AT_MOST`): a big body of another shape would take GBs, and fails as it is."""
    parts = ["item" if part == "*" else part for part in path.split(".") if part]
    prefix = ".".join(parts if single else [*parts, "item"])
    found = False
    with open(source, "rb") if isinstance(source, Path) else io.BytesIO(source) as stream:
        try:
            for record in ijson.items(stream, prefix, use_float=False):
                if not isinstance(record, Mapping):
                    raise Transient(f"{label}: expected a list of objects at {path or 'the body'}, "
                                    f"got a list holding {type(record).__name__}")
                found = True
                yield record
        except ijson.JSONError:
            raise _malformed(stream.seek(0, io.SEEK_END), label) from None
        if not found:
            size = stream.seek(0, io.SEEK_END)
            if size > WHOLE_AT_MOST:
                raise Transient(f"{label}: no list of objects at {path or 'the body'} in a body of {size} bytes")
            stream.seek(0)
            yield from records_at(decode_body(stream.read(), label), path, label, single)


def decode_body(content: bytes, label: str) -> Any:
    """A JSON body, its fractional numbers as `Decimal`, so money reaches its NUMERIC column
    exactly as sent (the parser turns them into floats for double precision columns); a
    truncated or garbled body is a retriable failure."""
    try:
        return json.loads(content, parse_float=Decimal)
    except (ValueError, json.JSONDecodeError):
        raise _malformed(len(content), label) from None


def _malformed(size: int, label: str) -> Transient:
    """A truncated or garbled JSON body, read whole or record by record: retried, never quoted."""
    return Transient(f"{label}: malformed JSON body ({size} bytes)")


def _to_datetime(value: str) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _to_date(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def _exact(value: Any) -> Decimal:
    """A number as the Decimal it was written as (a float by its shortest repr, which is its JSON text)."""
    return Decimal(repr(value) if isinstance(value, float) else value)


def _whole_or_float(value: Decimal) -> int | float:
    """A JSON decimal in an integer column (`3.0`): an int when whole, a float as before otherwise."""
    return int(value) if value == value.to_integral_value() else float(value)


def _converters(column_type: Any) -> dict[type, Callable[[Any], Any]]:
    """What turns a value of each JSON type into the column's type, by the value's exact type
    (so a bool is never a number). An ISO string becomes a date or moment, since SQLite's
    driver does not parse them; a JSON number (int, or Decimal: see `decode_body`) becomes
    the column's number. A type not listed is kept as it is."""
    base = getattr(column_type, "impl", column_type)  # SQLModel's UTCDateTime decorates DateTime
    if isinstance(base, DateTime):
        return {str: _to_datetime}
    if isinstance(base, Date):
        return {str: _to_date}
    if isinstance(base, Float):
        return {int: float, Decimal: float}
    if isinstance(base, Numeric):
        return {int: _exact, float: _exact}
    if isinstance(base, Integer):
        return {Decimal: _whole_or_float}
    return {}


@dataclass(frozen=True)
class _Column:
    """How one column is filled: from the context, or from the first of its source spellings."""

    name: str
    src: str
    ctx: str | None
    spellings: tuple[tuple[str, ...], ...]
    converters: dict[type, Callable[[Any], Any]]
    is_key: bool
    default: Any
    lineage: bool  # filled from the context when it has it (a harvest does; a test's parse may not)

    def checked(self, value: Any, label: str) -> Any:
        """The value in the column's type; a key column's value must be there."""
        convert = self.converters.get(type(value))
        if convert is not None:
            try:
                value = convert(value)
            except ValueError:  # only strings' converters raise: a date that is not one
                raise Transient(f"{label}: {self.src} = {value!r} is not a date or date-time") from None
        if self.is_key and value is None:
            raise Transient(f"{label}: record without its key field {self.src}")
        return value


@dataclass(frozen=True)
class _Plan:
    """A table's columns sorted by how each record fills them, worked out once per table:
    the context's columns are the same for every record, and most columns of most tables are
    one top-level key read as it is, which the record's `get` finds without a path walk."""

    context: tuple[tuple[_Column, str], ...]  # (column, the context's name for it)
    flat: tuple[tuple[str, str, Any], ...]  # (column, key, default): one spelling, one level
    nested: tuple[_Column, ...]  # every other source column, read by `_pick`
    to_check: tuple[_Column, ...]  # source columns with a conversion or a key to check


@cache
def _plan(table: Table) -> _Plan:
    columns = [_Column(c.name, c.info.get("src") or "", c.info.get("ctx"),
                       tuple(tuple(p.split(".")) if p else () for p in (c.info.get("src") or "").split("|")),
                       _converters(c.type), c.primary_key,
                       c.default.arg if isinstance(c.default, ScalarElementColumnDefault) else None,
                       "lineage" in c.info)
               for c in table.columns]
    read = [c for c in columns if not c.ctx]
    flat = [c for c in read if len(c.spellings) == 1 and len(c.spellings[0]) == 1]
    return _Plan(context=tuple((c, c.ctx) for c in columns if c.ctx),
                 flat=tuple((c.name, c.spellings[0][0], c.default) for c in flat),
                 nested=tuple(c for c in read if c not in flat),
                 to_check=tuple(c for c in read if c.converters or c.is_key))


def _pick(record: Mapping[str, Any], spellings: tuple[tuple[str, ...], ...], default: Any) -> Any:
    """`dig` over pre-split paths: the value of the first spelling present, or `default`."""
    for parts in spellings:
        value: Any = record
        for part in parts:
            if not isinstance(value, dict | Mapping) or part not in value:
                break
            value = value[part]
        else:
            return value
    return default


def to_rows(table: Table, records: list[Mapping[str, Any]], context: Mapping[str, Any],
            label: str) -> list[dict[str, Any]]:
    """One dict per record with every column filled from its declared source."""
    if not records:
        return []
    plan = _plan(table)
    fixed = {c.name: c.checked(context.get(name) if c.lineage else context[name], label) for c, name in plan.context}
    rows = []
    for record in records:
        row = fixed.copy()
        get = record.get
        for name, key, default in plan.flat:
            row[name] = get(key, default)
        for column in plan.nested:
            row[column.name] = _pick(record, column.spellings, column.default)
        for column in plan.to_check:
            row[column.name] = column.checked(row[column.name], label)
        rows.append(row)
    return rows


def tree_rows(table: Table, children: Iterable[Any], records: list[Mapping[str, Any]], context: Mapping[str, Any],
              label: str) -> dict[Table, list[dict[str, Any]]]:
    """Rows of `table` and of every child table (`catalog.model.Child`), parents first.

    Each child list is read from its parent record; the values the child's `carry` names are
    added to the context its `ctx` columns read, so a child row holds its parent's key.
    """
    out = {table: to_rows(table, records, context, label)}
    for child in children:
        for record in records:
            inner = {**context, **{name: dig(record, path) for name, path in child.carry.items()}}
            nested = _elements(record, child.path, label)
            for t, rows in tree_rows(child.model.__table__, child.children, nested, inner, label).items():
                out.setdefault(t, []).extend(rows)
    return out


def _elements(record: Mapping[str, Any], path: str, label: str) -> list[Mapping[str, Any]]:
    """A child list of a record, each element with its position as `@index`; a plain value
    (a picture URL) is read as `@value`."""
    found = dig(record, path)
    if found is None:
        return []
    if not isinstance(found, list):
        raise Transient(f"{label}: expected a list at {path}, got {type(found).__name__}")
    return [{**e, "@index": i} if isinstance(e, Mapping) else {"@value": e, "@index": i} for i, e in enumerate(found)]


# --- CSV reports -------------------------------------------------------------------------

log = structlog.get_logger(__name__)
_drift_logged: set[tuple[str, str]] = set()
_TRUE = {"true", "1", "yes", "да"}


class SchemaDrift(HarvestError):
    """A report file the table cannot take (a key column is gone): fail, load nothing."""


def _csv_value(value: str, column_type: Any) -> Any:
    """A CSV cell as the column's Python type; unreadable cells (`no rating`) become None."""
    value = value.strip()
    if value == "":
        return None
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        return value
    try:
        if python_type is bool:
            return value.lower() in _TRUE
        if python_type is int:
            return int(value) if value.lstrip("-").isdigit() else int(float(value))
        if python_type is float:
            return float(value.replace(",", "."))
        if python_type is Decimal:
            return Decimal(value.replace(",", "."))
        if python_type is dt.date:
            return (dt.date.fromisoformat(value[:10]) if value[4:5] == "-"
                    else dt.datetime.strptime(value, "%d.%m.%Y").date())
    except (ValueError, InvalidOperation):
        return None
    return value


@dataclass
class CsvPlan:
    """How one report file's header maps onto one table."""

    table: Table
    plain: list[tuple[int, Column]] = field(default_factory=list)
    grouped: dict[Column, list[tuple[int, str]]] = field(default_factory=dict)
    melt: list[tuple[int, str]] = field(default_factory=list)
    unknown: list[tuple[int, str]] = field(default_factory=list)

    @property
    def direct(self) -> bool:
        """Every header is a plain column: the file can be bulk-copied as it is."""
        return not (self.grouped or self.melt or self.unknown)


def csv_plan(table: Table, header: list[str], label: str) -> CsvPlan:
    """Match a header to the table's columns; a missing key column is `SchemaDrift`."""
    names = [h.strip().lstrip("\ufeff") for h in header]
    plan, used = CsvPlan(table), set()
    for column in table.columns:
        info = column.info
        if "src" in info:
            index = next((names.index(o) for o in info["src"].split("|") if o in names), None)
            if index is None and column.primary_key:
                raise SchemaDrift(f"{label}: the report has no {info['src']} column, part of the key; loaded nothing")
            if index is not None:
                plan.plain.append((index, column))
                used.add(index)
        elif "pattern" in info:
            matches = [(i, m.group(1)) for i, n in enumerate(names) if (m := re.match(info["pattern"], n))]
            used.update(i for i, _ in matches)
            if info["role"] == "json":
                plan.grouped[column] = matches
            elif info["role"] == "melt_key":
                plan.melt = matches
    plan.unknown = [(i, n) for i, n in enumerate(names) if i not in used]
    if plan.unknown and (table.name, ",".join(n for _, n in plan.unknown)) not in _drift_logged:
        _drift_logged.add((table.name, ",".join(n for _, n in plan.unknown)))
        log.warning("csv_unknown_columns", table=table.name, columns=[n for _, n in plan.unknown],
                    kept_in="extras" if "extras" in table.c else "nowhere (no extras column)")
    return plan


def csv_records(rows: Iterable[list[str]], plan: CsvPlan, context: Mapping[str, Any],
                label: str) -> Iterator[dict[str, Any]]:
    """Table rows from CSV rows (after the header), one per row, or one per day column when melted."""
    ctx_columns = [(c.name, c.info["ctx"]) for c in plan.table.columns if "ctx" in c.info and "lineage" not in c.info]
    lineage = {c.name: context.get(c.info["ctx"]) for c in plan.table.columns if "lineage" in c.info}
    keys = [c.name for c in plan.table.primary_key.columns]
    melt_key = next((c for c in plan.table.columns if c.info.get("role") == "melt_key"), None)
    melt_value = next((c for c in plan.table.columns if c.info.get("role") == "melt_value"), None)
    extras = "extras" in plan.table.c and plan.unknown
    blank = dict.fromkeys(plan.table.columns.keys())  # every row has every column, for executemany
    for number, cells in enumerate(rows, start=2):
        if not any(cells):
            continue
        row = {**blank, **lineage, **{name: context[source] for name, source in ctx_columns}}
        for index, column in plan.plain:
            row[column.name] = _csv_value(cells[index], column.type) if index < len(cells) else None
        for column, matches in plan.grouped.items():
            row[column.name] = {label_: _csv_value(cells[i], Float()) if i < len(cells) else None
                                for i, label_ in matches} or None
        if extras:
            row["extras"] = {name: cells[i] for i, name in plan.unknown if i < len(cells)}
        missing = [k for k in keys if row.get(k) is None and (melt_key is None or k != melt_key.name)]
        if missing:
            raise SchemaDrift(
                f"{label}: line {number} has no value for key column(s) {', '.join(missing)}; loaded nothing")
        if melt_key is None or melt_value is None:
            yield row
            continue
        for index, day in plan.melt:
            if index < len(cells) and cells[index].strip():
                yield {**row, melt_key.name: _csv_value(day, melt_key.type),
                       melt_value.name: _csv_value(cells[index], melt_value.type)}


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
                assert isinstance(member, zipfile.ZipExtFile)  # what `open` returns for reading
                yield io.BufferedReader(member, _BUFFER)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise Transient(f"{label}: the report ZIP is truncated or corrupt ({exc})") from None


@dataclass(frozen=True)
class CsvReport:
    """A report ZIP's one CSV with its header planned against the table: raw lines for a bulk
    copy when the file maps straight onto the table, parsed rows otherwise."""

    path: Path
    plan: CsvPlan
    label: str
    plain_header: bool  # no ", " separators: the lines can go to COPY as they are

    @property
    def copy_columns(self) -> list[str] | None:
        if not (self.plan.direct and self.plain_header):
            return None
        return [column.name for _, column in sorted(self.plan.plain, key=lambda pair: pair[0])]

    @contextmanager
    def lines(self) -> Iterator[IO[bytes]]:
        with report_csv(self.path, self.label) as raw:
            raw.readline()
            yield raw

    def records(self, context: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        with report_csv(self.path, self.label) as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""), skipinitialspace=True)
            next(reader, None)
            yield from csv_records(reader, self.plan, context, self.label)


def read_report(path: Path, table: Table, label: str) -> CsvReport | None:
    """The report at `path` planned against `table`; None for an empty file (perhaps just a BOM)."""
    with report_csv(path, label) as raw:
        header_line = raw.readline()
    header_text = header_line.decode("utf-8-sig").strip()
    if not header_text:
        return None
    header = next(csv.reader([header_text], skipinitialspace=True))
    return CsvReport(path, csv_plan(table, header, label), label, b", " not in header_line)
