"""Rows of the two stock CSV reports (wb-api.md §8.4): STOCK_HISTORY_REPORT_CSV (metrics per
size and warehouse, one column per month) and STOCK_HISTORY_DAILY_CSV (stock at 23:59, one
column per day). Both are the stocks report's own (size, warehouse) cells (`stocks.cells`), so a
product's rows add up to its `/products/products` figures, and a day's stock is the same in both."""

from __future__ import annotations

from datetime import date, timedelta

from emulator.wb.data import seller, stocks
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
FBS_OFFICE = stocks.MARKETPLACE  # how the seller's own (FBS) stock appears
# Products appear on WB between these dates, in nmID order, so recent periods see new ones.
LAUNCH, HORIZON = date(2024, 1, 1), date(2027, 1, 1)


def launched(catalogue: seller.Catalogue, product: dict) -> date:
    """The day a product appeared on WB; the reports leave it out before that day."""
    return LAUNCH + timedelta(days=(HORIZON - LAUNCH).days * catalogue.position(product["nmID"]) // len(catalogue))


def _selected(seed: int, sid: str, params: dict, start: date, end: date) -> list[tuple[dict, date]]:
    """The stocks report's items of the filtered products that existed in the period, with their launch day."""
    catalogue = seller.products(seed, sid)
    found = []
    for p in select_products(seed, sid, params):
        day = launched(catalogue, p)
        if day <= end:
            found.append((seller.stock_item(seed, sid, p, start, end), day))
    return found


def _info(item: dict, size: tuple[str, int], office: tuple[int, str, str]) -> dict:
    _, name, region = office
    return {
        "VendorCode": item["vendorCode"],
        "Name": item["name"],
        "NmID": item["nmID"],
        "SubjectName": item["subjectName"],
        "BrandName": item["brandName"],
        "SizeName": size[0],
        "ChrtID": size[1],
        "RegionName": region,
        "OfficeName": name or FBS_OFFICE,
    }


def _hours(duration: dict) -> int:
    """A {days, hours} duration in hours; the special negative values (-1 infinite, -2 zero, ...) as they are."""
    return duration["hours"] if duration["hours"] < 0 else duration["days"] * 24 + duration["hours"]


def _availability(stock: int, avg: float, sale_rate: int) -> str:
    if stock == 0:
        return "deficient" if avg else "nonActual"
    if not avg:
        return "nonLiquid"
    if sale_rate < 0:
        return "invalidData"
    return "deficient" if sale_rate < 7 * 24 else "actual" if sale_rate < 60 * 24 else "balanced"


# Report columns that are the stocks report's metric of the same meaning.
_COPIED = {
    "OrdersCount": "ordersCount",
    "OrdersSum": "ordersSum",
    "BuyoutCount": "buyoutCount",
    "BuyoutSum": "buyoutSum",
    "BuyoutPercent": "buyoutPercent",
    "AvgOrders": "avgOrders",
    "StockCount": "stockCount",
    "StockSum": "stockSum",
    "ToClientCount": "toClientCount",
    "FromClientCount": "fromClientCount",
    "LostOrdersCount": "lostOrdersCount",
    "LostOrdersSum": "lostOrdersSum",
    "LostBuyoutsCount": "lostBuyoutsCount",
    "LostBuyoutsSum": "lostBuyoutsSum",
}


def _history_row(item: dict, cell: dict, days: int) -> dict:
    """One cell's metrics over the period, in the report's columns."""
    m = stocks.metrics_of(cell["tally"], days)
    price = item["metrics"]["currentPrice"]["minPrice"]
    sale_rate = _hours(m["saleRate"])
    return {
        **_info(item, cell["size"], cell["office"]),
        "Availability": _availability(m["stockCount"], m["avgOrders"], sale_rate),
        **{column: m[field] for column, field in _COPIED.items()},
        "SaleRate": sale_rate,
        "AvgStockTurnover": _hours(m["avgStockTurnover"]),
        "Price": price,
        "OfficeMissingTime": _hours(m["officeMissingTime"]),
        "Currency": "RUB",
    }


def history_report(seed: int, sid: str, params: dict) -> tuple[list[str], list[dict]]:
    """STOCK_HISTORY_REPORT_CSV: a row per (NmID, ChrtID, RegionName, OfficeName) and one
    AvgOrdersByMonth_MM.YYYY column per month the period touches (empty before the product existed)."""
    start, end = period(params)
    months = month_spans(start, end)
    header = [*HISTORY_COLUMNS, *(f"AvgOrdersByMonth_{m:%m.%Y}" for m, _ in months), "Currency"]
    allowed = set(params.get("availabilityFilters") or ())
    kind = params.get("stockType") or ""
    rows = []
    for item, launched in _selected(seed, sid, params, start, end):
        for cell in stocks.cells(seed, sid, item, start, end):
            if not stocks.stocked_in(cell["office"], kind):
                continue
            row = _history_row(item, cell, (end - start).days + 1)
            if allowed and row["Availability"] not in allowed:
                continue
            for (first, last), (_, _, value) in zip(months, cell["tally"]["months"], strict=True):
                row[f"AvgOrdersByMonth_{first:%m.%Y}"] = value if last >= launched else None
            rows.append(row)
    return header, order_rows(rows, params.get("orderBy"))


def daily_report(seed: int, sid: str, params: dict) -> tuple[list[str], list[dict]]:
    """STOCK_HISTORY_DAILY_CSV: a row per (NmID, ChrtID, OfficeName), a DD.MM.YYYY column per day:
    the cell's share of the product's stock that day (`stocks.cell_stocks`), empty before it existed."""
    start, end = period(params)
    period_days = days(start, end)
    header = [*DAILY_COLUMNS, *(f"{d:%d.%m.%Y}" for d in period_days)]
    kind = params.get("stockType") or ""
    rows = []
    for item, launched in _selected(seed, sid, params, start, end):
        cell_pairs = stocks.pairs(seed, sid, item)
        by_day = {d: stocks.cell_stocks(seed, sid, item, d) for d in period_days if d >= launched}
        for i, (size, office) in enumerate(cell_pairs):
            if stocks.stocked_in(office, kind):
                info = _info(item, size, office)
                del info["RegionName"]
                rows.append(info | {f"{d:%d.%m.%Y}": by_day[d][i] if d in by_day else None for d in period_days})
    return header, rows
