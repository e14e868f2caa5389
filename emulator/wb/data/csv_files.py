"""The seller-analytics CSV files (wb-api.md §8.4) as pure functions of (seed, seller sid, report
type, params): tests import csv_report and zip_report as the ground truth of what is served."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from functools import partial
from typing import Any

from emulator.wb.data import csv_rows, csv_stock

Builder = Callable[[int, str, dict], tuple[list[str], list[dict]]]


def _fixed(columns: tuple[str, ...], rows: Callable[[int, str, dict], list[dict]]) -> Builder:
    """A report whose header does not depend on the request."""
    return lambda seed, sid, params: (list(columns), rows(seed, sid, params))


# reportType -> how its header and rows are made
REPORTS: dict[str, Builder] = {
    "DETAIL_HISTORY_REPORT": _fixed(csv_rows.DETAIL_COLUMNS, partial(csv_rows.funnel_rows, by_product=True)),
    "GROUPED_HISTORY_REPORT": _fixed(csv_rows.GROUPED_COLUMNS, partial(csv_rows.funnel_rows, by_product=False)),
    "SEARCH_QUERIES_PREMIUM_REPORT_GROUP": _fixed(csv_rows.GROUP_COLUMNS, csv_rows.group_rows),
    "SEARCH_QUERIES_PREMIUM_REPORT_PRODUCT": _fixed(csv_rows.PRODUCT_COLUMNS, csv_rows.product_rows),
    "SEARCH_QUERIES_PREMIUM_REPORT_TEXT": _fixed(csv_rows.TEXT_COLUMNS, csv_rows.text_rows),
    "STOCK_HISTORY_REPORT_CSV": csv_stock.history_report,
    "STOCK_HISTORY_DAILY_CSV": csv_stock.daily_report,
}
REPORT_TYPES = tuple(REPORTS)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # a fixed entry time keeps the archive bytes deterministic


# How each value type is written: booleans in lower case, floats with two decimals, None empty.
# A lookup by exact type, as this runs for every cell of files of a million cells.
_TEXT: dict[type, Callable[[Any], str]] = {
    str: str,
    int: str,
    float: "{:.2f}".format,
    bool: lambda b: "true" if b else "false",
    type(None): lambda _: "",
}


def csv_report(seed: int, sid: str, report_type: str, params: dict) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows of a report, as the exact strings written to the CSV."""
    header, rows = REPORTS[report_type](seed, sid, params)
    return header, [[_TEXT[type(row[column])](row[column]) for column in header] for row in rows]


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    """UTF-8 with a BOM, comma-separated, quoted only when needed (the csv module's defaults)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def zip_one(name: str, payload: bytes) -> bytes:
    """A ZIP holding exactly one file, with a fixed time so equal reports are equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), payload, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def zip_bytes(report_id: str, header: list[str], rows: list[list[str]]) -> bytes:
    """A ZIP holding exactly one file, `<report id>.csv`."""
    return zip_one(f"{report_id}.csv", csv_bytes(header, rows))


def zip_report(seed: int, sid: str, report_id: str, report_type: str, params: dict) -> bytes:
    """The file GET /api/v2/nm-report/downloads/file/{id} serves for a finished report."""
    return report_file(seed, sid, report_id, report_type, params)[0]


def report_file(seed: int, sid: str, report_id: str, report_type: str, params: dict) -> tuple[bytes, int]:
    """A finished report's file and its number of data rows (none: the report has no file)."""
    header, rows = csv_report(seed, sid, report_type, params)
    return zip_bytes(report_id, header, rows), len(rows)
