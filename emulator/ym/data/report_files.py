"""Yandex Market report files (yandex-market-api.md §4): the rows of the two emulated reports as
pure functions of their request, and the file `format` asks for: FILE (the default) = an XLSX
workbook, CSV = a ZIP with one CSV per sheet, JSON = a ZIP with one JSON array per sheet. Column
names are those of the report pages (CSV, XLSX: `SHOP_SKU`, JSON: `shopSku`); each report serves
its main sheet.
"""

from __future__ import annotations

import io
import json
import zipfile
from calendar import monthrange
from datetime import date, datetime, time, timedelta
from xml.sax.saxutils import escape, quoteattr

from emulator.common.seeded import keyed_hash, keyed_rng
from emulator.wb.data.csv_files import ZIP_TIME, csv_bytes, zip_one
from emulator.wb.data.csv_rows import days
from emulator.ym.data import catalogue as ymdata

STOCKS_SHEET = "stocks_on_warehouses"
STOCKS_COLUMNS = (
    "SHOP_SKU", "ARTICLE", "MARKET_SKU", "PRODUCT_NAME", "VALID", "RESERVED", "AVAILABLE_FOR_ORDER",
    "QUARANTINE", "UTILIZATION", "DEFECT", "EXPIRED", "LENGTH", "WIDTH", "HEIGHT", "WEIGHT", "WAREHOUSE",
    "SELLING_STATUS", "RECOMMENDATIONS", "TURNOVER",
)
SERVICES_SHEET = "placement"
SERVICES_COLUMNS = (
    "BUSINESS_ID", "PLACEMENT_MODEL", "PARTNER_ID", "PARTNER_NAME", "INN", "PLACEMENT_CONTRACT",
    "PROMOTION_CONTRACT", "ORDER_ID", "ORDER_CREATION_DATE_TIME", "SHOP_SKU", "OFFER_NAME", "TURBO_GOODS",
    "PRICE", "DECOUPLING_MARKUP", "COUNT", "BATCH_SIZE", "BATCH_COUNT", "BATCH_PRICE", "WEIGHT", "LENGTH",
    "WIDTH", "HEIGHT", "DIMENSIONS_SUM", "PAYMENT_TYPE", "QUALITY_INDEX", "SERVICE_NAME", "TARIFF_TERMS",
    "TARIFF", "UNIT", "MIN_TARIFF", "MAX_TARIFF", "SERVICE_BEFORE_TARIFF", "SERVICE_DATE_TIME", "ACT_DATE",
    "AMOUNT_WITHOUT_BONUSES", "FEE_BENEFIT_TARIFF", "FEE_BENEFIT_DISCOUNT", "DAYS_OF_DELAY",
    "LATE_ORDER_EXECUTION_FEE_TARIFF", "CANCELLATION_ORDER_FEE_TARIFF", "QUALITY_INDEX_MIN_TARIFF",
    "QUALITY_INDEX_MAX_TARIFF", "QUALITY_INDEX_AMOUNT", "DECOUPLING_TARIFF", "DECOUPLING_PRICE_CHANGE",
    "INDIVIDUAL_DISCOUNT", "LOYALTY_DISCOUNT", "NETTING", "TOTAL_AMOUNT",
)
# Which stats/skus stock type fills which column of the stocks report.
STOCK_COLUMNS = {"VALID": "FIT", "RESERVED": "FREEZE", "AVAILABLE_FOR_ORDER": "AVAILABLE",
                 "QUARANTINE": "QUARANTINE", "UTILIZATION": "UTILIZATION", "DEFECT": "DEFECT", "EXPIRED": "EXPIRED"}
SERVICE_NAME = "Размещение товаров на витрине"

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PACKAGE_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OFFICE_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OFFICE_TYPE}.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'<Relationships xmlns="{_PACKAGE_RELS_NS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS_NS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    f'<Relationships xmlns="{_PACKAGE_RELS_NS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)


def json_name(column: str) -> str:
    """The JSON spelling of a CSV column: SHOP_SKU -> shopSku."""
    first, *rest = column.lower().split("_")
    return first + "".join(part.capitalize() for part in rest)


def stocks_rows(seed: int, business_id: int, campaign_ids: list[int], skus: int, day: date,
                warehouse_ids: set[int] | None = None, category_ids: set[int] | None = None,
                has_stocks: bool | None = None) -> list[dict]:
    """Stocks-on-warehouses rows: one per campaign SKU and warehouse holding it on `day`."""
    rows = []
    for campaign_id in campaign_ids:
        for sku in ymdata.shop_skus(seed, business_id, campaign_id, skus):
            card = ymdata.product(seed, business_id, sku)
            if category_ids and card["categoryId"] not in category_ids:
                continue
            for warehouse in ymdata.stocks(seed, business_id, campaign_id, sku, day):
                counts = {s["type"]: s["count"] for s in warehouse["stocks"]}
                if (warehouse_ids and warehouse["id"] not in warehouse_ids) or (
                    has_stocks is not None and has_stocks != (counts["FIT"] > 0)
                ):
                    continue
                dims = card["weightDimensions"]
                rows.append({
                    "SHOP_SKU": sku, "ARTICLE": sku, "MARKET_SKU": card["marketSku"], "PRODUCT_NAME": card["name"],
                    **{column: counts.get(kind, 0) for column, kind in STOCK_COLUMNS.items()},
                    "LENGTH": round(dims["length"]), "WIDTH": round(dims["width"]), "HEIGHT": round(dims["height"]),
                    "WEIGHT": dims["weight"], "WAREHOUSE": warehouse["name"],
                    "SELLING_STATUS": "Продаётся" if counts["AVAILABLE"] else "Нет в наличии",
                    "RECOMMENDATIONS": "" if counts["AVAILABLE"] > 10 else "Пополните запас",
                    "TURNOVER": str(keyed_hash(seed, business_id, sku, day, "turnover") % 120),
                })
    return rows


def service_days(date_from: date, date_to: date, today: date) -> list[date]:
    """Accrual days of a period: none in the future."""
    return days(date_from, min(date_to, today))


def month_days(year_from: int, month_from: int, year_to: int, month_to: int, today: date) -> list[date]:
    """Accrual days of the act months year_from-month_from .. year_to-month_to."""
    start = date(year_from, month_from, 1)
    end = date(year_to, month_to, monthrange(year_to, month_to)[1])
    return service_days(start, end, today) if start <= end else []


def services_rows(seed: int, business_id: int, campaign_ids: list[int], skus: int, days: list[date]) -> list[dict]:
    """Placement-fee rows of the united marketplace services report: one per order item."""
    name = ymdata.business_name(seed, business_id)
    stores = {c["id"]: c for c in ymdata.campaigns(seed, business_id, tuple(campaign_ids))}
    rows = []
    for day in days:
        for campaign_id in campaign_ids:
            catalogue = ymdata.shop_skus(seed, business_id, campaign_id, skus)
            rng = keyed_rng(seed, business_id, campaign_id, day, "orders")
            for k in range(rng.randint(0, 4) if catalogue else 0):
                order_id = 40_000_000_000 + keyed_hash(seed, business_id, campaign_id, day, k) % 9_999_999_999
                created = datetime.combine(day - timedelta(days=rng.randint(0, 3)), time(rng.randint(8, 23),
                                           rng.randint(0, 59), rng.randint(0, 59)), ymdata.MSK)
                served = datetime.combine(day, time(rng.randint(0, 23), rng.randint(0, 59)), ymdata.MSK)
                for sku in sorted(set(rng.sample(catalogue, min(len(catalogue), rng.randint(1, 2))))):
                    rows.append(_service_row(seed, business_id, stores[campaign_id], name, order_id, created,
                                             served, sku, rng.randint(1, 3)))
    return rows


def _service_row(seed: int, business_id: int, store: dict, name: str, order_id: int, created: datetime,
                 served: datetime, sku: str, count: int) -> dict:
    card = ymdata.product(seed, business_id, sku)
    fee = next(t for t in ymdata.tariffs(seed, business_id, store["id"], sku) if t["type"] == "FEE")
    rate = float(fee["parameters"][0]["value"])
    amount = round(card["price"] * count * rate / 100, 2)
    dims = card["weightDimensions"]
    act = served.date().replace(day=monthrange(served.year, served.month)[1])
    row = dict.fromkeys(SERVICES_COLUMNS)
    row |= {
        "BUSINESS_ID": business_id, "PLACEMENT_MODEL": store["placementType"], "PARTNER_ID": store["id"],
        "PARTNER_NAME": store["domain"], "INN": f"77{business_id % 10**8:08d}",
        "PLACEMENT_CONTRACT": f"{business_id % 10**6}/24", "ORDER_ID": order_id,
        "ORDER_CREATION_DATE_TIME": created.isoformat(), "SHOP_SKU": sku, "OFFER_NAME": card["name"],
        "TURBO_GOODS": "Обычный товар", "PRICE": card["price"], "DECOUPLING_MARKUP": 0.0, "COUNT": count,
        "BATCH_SIZE": 1, "BATCH_COUNT": count, "BATCH_PRICE": card["price"], "WEIGHT": dims["weight"],
        "LENGTH": dims["length"], "WIDTH": dims["width"], "HEIGHT": dims["height"],
        "DIMENSIONS_SUM": round(dims["length"] + dims["width"] + dims["height"], 1),
        "PAYMENT_TYPE": "Предоплата", "SERVICE_NAME": SERVICE_NAME,
        "TARIFF_TERMS": f"{rate:g}% от стоимости товара", "TARIFF": rate, "UNIT": "%",
        "SERVICE_BEFORE_TARIFF": amount, "SERVICE_DATE_TIME": served.isoformat(), "ACT_DATE": act.isoformat(),
        "AMOUNT_WITHOUT_BONUSES": amount, "TOTAL_AMOUNT": amount,
    }
    return row


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _text_rows(columns: tuple[str, ...], rows: list[dict]) -> list[list[str]]:
    """The rows as the CSV and the XLSX spell them, so both forms hold the same text."""
    return [[_cell(r[c]) for c in columns] for r in rows]


def _column_letters(index: int) -> str:
    """A spreadsheet column name from a 0-based index: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _sheet_row(number: int, values: list[str]) -> str:
    """One <row> of inline-string cells: no shared-strings part to keep in step."""
    cells = "".join(f'<c r="{_column_letters(i)}{number}" t="inlineStr"><is><t xml:space="preserve">'
                    f"{escape(v)}</t></is></c>" for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def _sheet_xml(columns: tuple[str, ...], rows: list[dict]) -> str:
    lines = [list(columns), *_text_rows(columns, rows)]
    data = "".join(_sheet_row(n, values) for n, values in enumerate(lines, start=1))
    return f'<worksheet xmlns="{_MAIN_NS}"><sheetData>{data}</sheetData></worksheet>'


def _workbook_xml(sheet: str) -> str:
    """The workbook with its one sheet; Excel caps a sheet name at 31 characters."""
    return (f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_DOC_RELS_NS}"><sheets>'
            f'<sheet name={quoteattr(sheet[:31])} sheetId="1" r:id="rId1"/></sheets></workbook>')


def xlsx_bytes(sheet: str, columns: tuple[str, ...], rows: list[dict]) -> bytes:
    """A minimal one-sheet XLSX (what format=FILE serves), with fixed entry times so equal
    reports are equal bytes."""
    parts = {
        "[Content_Types].xml": _CONTENT_TYPES, "_rels/.rels": _ROOT_RELS, "xl/workbook.xml": _workbook_xml(sheet),
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS, "xl/worksheets/sheet1.xml": _sheet_xml(columns, rows),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, xml in parts.items():
            book.writestr(zipfile.ZipInfo(name, ZIP_TIME), (_XML_HEAD + xml).encode(), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def media_type(file_format: str) -> str:
    """The Content-Type a report file is served with: an XLSX for FILE, else a ZIP."""
    return XLSX_MEDIA_TYPE if file_format == "FILE" else "application/zip"


def archive(sheet: str, columns: tuple[str, ...], rows: list[dict], file_format: str) -> bytes:
    """The file a finished report's link serves: an XLSX for FILE, or a ZIP of `<sheet>.csv` / `<sheet>.json`."""
    if file_format == "FILE":
        return xlsx_bytes(sheet, columns, rows)
    if file_format == "CSV":
        return zip_one(f"{sheet}.csv", csv_bytes(list(columns), _text_rows(columns, rows)))
    payload = json.dumps([{json_name(c): r[c] for c in columns} for r in rows], ensure_ascii=False).encode()
    return zip_one(f"{sheet}.json", payload)
