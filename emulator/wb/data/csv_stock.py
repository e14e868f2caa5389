"""Rows of the two stock CSV reports (wb-api.md §8.4): STOCK_HISTORY_REPORT_CSV (metrics per
size and warehouse, one column per month) and STOCK_HISTORY_DAILY_CSV (stock at 23:59, one
column per day). Both read one table of stock cells so their numbers agree."""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import lru_cache

from emulator.common.seeded import keyed_hash, keyed_rng
from emulator.wb.data import seller
from emulator.wb.data.csv_rows import days, order_rows, period, select_products
from emulator.wb.data.seller import month_spans

INFO = ("VendorCode", "Name", "NmID", "SubjectName", "BrandName", "SizeName", "ChrtID")
HISTORY_COLUMNS = (
    *INFO,
    "RegionName",
    "OfficeName",
    "Availability",
    "OrdersCount",
    "OrdersSum",
    "BuyoutCount",
    "BuyoutSum",
    "BuyoutPercent",
    "AvgOrders",
    "StockCount",
    "StockSum",
    "SaleRate",
    "AvgStockTurnover",
    "ToClientCount",
    "FromClientCount",
    "Price",
    "OfficeMissingTime",
    "LostOrdersCount",
    "LostOrdersSum",
    "LostBuyoutsCount",
    "LostBuyoutsSum",
)
DAILY_COLUMNS = (*INFO, "OfficeName")
FBS_OFFICE = "Маркетплейс"  # how the seller's own (FBS) stock appears
REGIONS = {
    "Коледино": "Центральный",
    "Подольск": "Центральный",
    "Электросталь": "Центральный",
    "Тула": "Центральный",
    "Казань": "Приволжский",
    "Краснодар": "Южный",
    "Екатеринбург - Испытателей 14г": "Уральский",
    "Новосибирск": "Сибирский",
    "Санкт-Петербург Уткина Заводь": "Северо-Западный",
    FBS_OFFICE: "Склад продавца",
}
# Products appear on WB between these dates, in nmID order, so recent periods see new ones.
LAUNCH, HORIZON = date(2024, 1, 1), date(2027, 1, 1)


@lru_cache(maxsize=64)
def _cells(seed: int, sid: str) -> tuple[dict, ...]:
    """Every (product, size, warehouse) that holds stock: 1-3 WB warehouses, FBS for some."""
    products = seller.products(seed, sid)
    cells = []
    for i, p in enumerate(products):
        rng = keyed_rng(seed, sid, "stock-cells", p["nmID"])
        created = LAUNCH + timedelta(days=(HORIZON - LAUNCH).days * i // len(products))
        sizes = sorted(rng.sample(range(len(seller.SIZES)), rng.randint(1, 4))) if p["hasSizes"] else [-1]
        offices = [w for _, w, _ in rng.sample(seller.WAREHOUSES, rng.randint(1, 3))]
        offices += [FBS_OFFICE] if rng.random() < 0.3 else []
        demand = 0.0 if p["isDeleted"] or rng.random() < 0.1 else rng.lognormvariate(0, 1)
        for size in sizes:
            for office in offices:
                cells.append(
                    {
                        "product": p,
                        "created": created,
                        "SizeName": seller.SIZES[size] if size >= 0 else "0",
                        "ChrtID": p["nmID"] * 10 + size + 1,
                        "RegionName": REGIONS[office],
                        "OfficeName": office,
                        "demand": demand * rng.uniform(0.3, 1.0),
                        "level": 0.0 if p["isDeleted"] else rng.uniform(2, 150),
                        "wave": rng.uniform(5, 40),
                        "phase": rng.uniform(0, 2 * math.pi),
                    }
                )
    return tuple(cells)


def stock_on(cell: dict, day: date) -> int | None:
    """Units at 23:59 of a day (a slow wave that sometimes runs dry); None before the product existed."""
    if day < cell["created"]:
        return None
    level = cell["level"] * (0.7 + math.sin(day.toordinal() / cell["wave"] + cell["phase"]))
    return max(0, round(level))


def _selected(seed: int, sid: str, params: dict) -> list[dict]:
    """Cells of the filtered products, of the requested warehouse type, existing in the period."""
    wanted = {p["nmID"] for p in select_products(seed, sid, params)}
    kind = params.get("stockType") or ""
    end = period(params)[1]
    return [
        c
        for c in _cells(seed, sid)
        if c["product"]["nmID"] in wanted
        and c["created"] <= end
        and (not kind or (c["OfficeName"] == FBS_OFFICE) == (kind == "mp"))
    ]


def _info(cell: dict) -> dict:
    p = cell["product"]
    return {
        "VendorCode": p["vendorCode"],
        "Name": p["name"],
        "NmID": p["nmID"],
        "SubjectName": p["subjectName"],
        "BrandName": p["brandName"],
        "SizeName": cell["SizeName"],
        "ChrtID": cell["ChrtID"],
        "RegionName": cell["RegionName"],
        "OfficeName": cell["OfficeName"],
    }


def _availability(stock: int, avg: float, sale_rate: int) -> str:
    if stock == 0:
        return "deficient" if avg else "nonActual"
    if not avg:
        return "nonLiquid"
    if sale_rate < 0:
        return "invalidData"
    return "deficient" if sale_rate < 7 * 24 else "actual" if sale_rate < 60 * 24 else "balanced"


def _history_row(seed: int, sid: str, cell: dict, start: date, end: date) -> dict:
    rng = keyed_rng(seed, sid, "stock-row", cell["ChrtID"], cell["OfficeName"], start, end)
    price = cell["product"]["price"]
    span = (end - start).days + 1
    alive = (end - max(start, cell["created"])).days + 1
    stock = stock_on(cell, end) or 0
    orders = round(cell["demand"] * alive * rng.uniform(0.7, 1.3))
    buyouts = orders * rng.randint(30, 95) // 100
    avg = round(orders / span, 2)
    sale_rate = -2 if stock == 0 else int(stock / avg * 24) if avg else -1
    missing = rng.randint(1, alive * 24) if stock == 0 or rng.random() < 0.15 else 0
    lost = round(avg * missing / 24, 2)
    return {
        **_info(cell),
        "Availability": _availability(stock, avg, sale_rate),
        "OrdersCount": orders,
        "OrdersSum": orders * price,
        "BuyoutCount": buyouts,
        "BuyoutSum": buyouts * price,
        "BuyoutPercent": round(100 * buyouts / orders) if orders else 0,
        "AvgOrders": avg,
        "StockCount": stock,
        "StockSum": stock * price,
        "SaleRate": sale_rate,
        "AvgStockTurnover": int(stock * rng.uniform(0.7, 1.3) / avg * 24) if avg else -1,
        "ToClientCount": rng.randint(0, orders // 10 + 1) if orders else 0,
        "FromClientCount": rng.randint(0, orders // 30 + 1) if orders else 0,
        "Price": price,
        "OfficeMissingTime": missing,
        "LostOrdersCount": lost,
        "LostOrdersSum": round(lost * price, 2),
        "LostBuyoutsCount": round(lost * 0.7, 2),
        "LostBuyoutsSum": round(lost * 0.7 * price, 2),
        "Currency": "RUB",
    }


def history_report(seed: int, sid: str, params: dict) -> tuple[list[str], list[dict]]:
    """STOCK_HISTORY_REPORT_CSV: a row per (NmID, ChrtID, RegionName, OfficeName) and one
    AvgOrdersByMonth_MM.YYYY column per month the period touches (empty before the product existed)."""
    start, end = period(params)
    months = month_spans(start, end)
    header = [*HISTORY_COLUMNS, *(f"AvgOrdersByMonth_{m:%m.%Y}" for m, _ in months), "Currency"]
    allowed = set(params.get("availabilityFilters") or ())
    rows = []
    for cell in _selected(seed, sid, params):
        row = _history_row(seed, sid, cell, start, end)
        if allowed and row["Availability"] not in allowed:
            continue
        for first, last in months:
            unit = keyed_hash(seed, sid, "stock-month", cell["ChrtID"], cell["OfficeName"], first) / 2**64
            value = round(cell["demand"] * (0.7 + 0.6 * unit), 2)  # a month's value is the same in any period
            row[f"AvgOrdersByMonth_{first:%m.%Y}"] = value if last >= cell["created"] else None
        rows.append(row)
    return header, order_rows(rows, params.get("orderBy"))


def daily_report(seed: int, sid: str, params: dict) -> tuple[list[str], list[dict]]:
    """STOCK_HISTORY_DAILY_CSV: a row per (NmID, ChrtID, OfficeName), a DD.MM.YYYY column per day."""
    period_days = days(*period(params))
    header = [*DAILY_COLUMNS, *(f"{d:%d.%m.%Y}" for d in period_days)]
    rows = [
        _info(cell) | {f"{d:%d.%m.%Y}": stock_on(cell, d) for d in period_days} for cell in _selected(seed, sid, params)
    ]
    return header, rows
