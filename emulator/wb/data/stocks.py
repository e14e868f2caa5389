"""Deterministic data of the stocks-report breakdowns (wb-api.md §7.1, §7.3, §7.4). Like `seller`,
every value is a pure function of (seed, seller sid, ...), so tests import these functions as the
ground truth.

The breakdowns split each product of `seller.stocks_products` over (size, warehouse) cells whose
counts add up to the product's, so groups, products, sizes and offices agree.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from emulator.common.seeded import keyed_rng
from emulator.wb.data import seller
from emulator.wb.data.seller import SIZES, WAREHOUSES

MARKETPLACE = "Маркетплейс"  # the one aggregated row of all seller (FBS) warehouses
FBS_OFFICE = (0, "", MARKETPLACE)  # (officeID, officeName, regionName)
REGIONS = {
    507: "Центральный",
    117501: "Центральный",
    120762: "Центральный",
    206348: "Центральный",
    117986: "Приволжский",
    130744: "Южный",
    1733: "Уральский",
    686: "Сибирский",
    2737: "Северо-Западный",
}
COUNTS = ("ordersCount", "buyoutCount", "stockCount", "toClientCount", "fromClientCount")
SUMS = {"ordersSum": "ordersCount", "buyoutSum": "buyoutCount", "stockSum": "stockCount"}
LOST = ("lostOrdersCount", "lostOrdersSum", "lostBuyoutsCount", "lostBuyoutsSum")


def layout(
    seed: int, sid: str, nm_id: int, has_sizes: bool
) -> tuple[list[tuple[str, int]], list[tuple[int, str, str]]]:
    """A product's sizes (name, chrtID) and warehouses (officeID, officeName, regionName).

    chrtID = nmID*10 + position in `data.SIZES` (0 for the single "0" size of a non-sized
    product), the same rule the paid-storage rows use."""
    rng = keyed_rng(seed, sid, "layout", nm_id)
    if has_sizes:
        family = SIZES[:5] if rng.random() < 0.5 else SIZES[5:]
        first = rng.randrange(len(family) - 1)
        names = family[first : first + rng.randint(2, len(family) - first)]
        sizes = [(n, nm_id * 10 + SIZES.index(n) + 1) for n in names]
    else:
        sizes = [("0", nm_id * 10)]
    offices = [(o, name, REGIONS[o]) for o, name, _ in sorted(rng.sample(WAREHOUSES, rng.randint(1, 4)))]
    if rng.random() < 0.3:
        offices.append(FBS_OFFICE)
    return sizes, offices


def _split(total: int, weights: list[float]) -> list[int]:
    """`total` shared by `weights` in whole units that add up exactly (largest remainder);
    all-zero weights share evenly."""
    if not any(weights):
        weights = [1.0] * len(weights)
    scale = sum(weights)
    if not total:
        return [0] * len(weights)
    exact = [total * w / scale for w in weights]
    parts = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: parts[i] - exact[i])[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _tally(metrics: dict) -> dict:
    """The additive part of a TableCommonMetrics block (plus what is copied as is)."""
    return {
        **{k: metrics[k] for k in COUNTS},
        **{k: metrics[k] for k in SUMS},
        "months": [(m["start"], m["end"], m["value"]) for m in metrics["avgOrdersByMonth"]],
        "lost": [metrics[k] for k in LOST],
        "officeMissingTime": metrics["officeMissingTime"],
    }


def combine(tallies: list[dict]) -> dict:
    """Sum of tallies. Special values (negative lost numbers, durations) are not added: lost
    numbers add the computed ones; the missing time is the longest real one."""
    first = tallies[0]
    lost = []
    for i in range(len(LOST)):
        real = [t["lost"][i] for t in tallies if t["lost"][i] >= 0]
        lost.append(round(sum(real), 2) if real else min(t["lost"][i] for t in tallies))
    durations = [t["officeMissingTime"] for t in tallies if t["officeMissingTime"]["hours"] >= 0]
    return {
        **{k: sum(t[k] for t in tallies) for k in (*COUNTS, *SUMS)},
        "months": [
            (a, b, round(sum(t["months"][i][2] for t in tallies), 2)) for i, (a, b, _) in enumerate(first["months"])
        ],
        "lost": lost,
        "officeMissingTime": max(durations, key=lambda d: (d["days"], d["hours"]))
        if durations
        else first["officeMissingTime"],
    }


def _duration(stock: int, per_day: float) -> dict:
    """How long a stock lasts at a daily rate; -2 zero, -1 infinite (§7)."""
    if stock == 0:
        return {"days": 0, "hours": -2}
    if per_day == 0:
        return {"days": 0, "hours": -1}
    hours = int(stock / per_day * 24)
    return {"days": hours // 24, "hours": hours % 24}


def metrics_of(tally: dict, days: int) -> dict:
    """A TableCommonMetrics block from a tally; averages and rates are derived again."""
    orders, avg = tally["ordersCount"], round(tally["ordersCount"] / days, 2)
    rate = _duration(tally["stockCount"], avg)
    return {
        "ordersCount": orders,
        "ordersSum": tally["ordersSum"],
        "avgOrders": avg,
        "avgOrdersByMonth": [{"start": a, "end": b, "value": v} for a, b, v in tally["months"]],
        "buyoutCount": tally["buyoutCount"],
        "buyoutSum": tally["buyoutSum"],
        "buyoutPercent": round(100 * tally["buyoutCount"] / orders) if orders else 0,
        "stockCount": tally["stockCount"],
        "stockSum": tally["stockSum"],
        "saleRate": rate,
        "avgStockTurnover": rate,
        "toClientCount": tally["toClientCount"],
        "fromClientCount": tally["fromClientCount"],
        "officeMissingTime": tally["officeMissingTime"],
        **dict(zip(LOST, tally["lost"], strict=True)),
    }


def ship_metrics(tally: dict, days: int) -> dict:
    """The `/offices` metric block (TableShippingOfficeMetrics)."""
    return {
        "stockCount": tally["stockCount"],
        "stockSum": tally["stockSum"],
        "saleRate": _duration(tally["stockCount"], round(tally["ordersCount"] / days, 2)),
        "toClientCount": tally["toClientCount"],
        "fromClientCount": tally["fromClientCount"],
    }


def pairs(seed: int, sid: str, product: dict) -> list[tuple[tuple[str, int], tuple[int, str, str]]]:
    """A product's (size, warehouse) cells, in a fixed order."""
    sizes, offices = layout(seed, sid, product["nmID"], product["hasSizes"])
    return [(s, o) for s in sizes for o in offices]


def _stock_weights(seed: int, sid: str, nm_id: int, count: int) -> list[float]:
    """How a product's stock lies over its cells: fixed, so each cell follows the product day by day."""
    rng = keyed_rng(seed, sid, "stock-split", nm_id)
    return [0.0 if rng.random() < 0.2 else rng.random() for _ in range(count)]


def cell_stocks(seed: int, sid: str, product: dict, day: date) -> list[int]:
    """Stock at 23:59 of a day per cell of `pairs`: the product's `seller.stock_on`, split."""
    count = len(pairs(seed, sid, product))
    return _split(seller.stock_on(seed, sid, product, day), _stock_weights(seed, sid, product["nmID"], count))


def cells(seed: int, sid: str, item: dict, start: date, end: date) -> list[dict]:
    """The product's metrics split over its (size, warehouse) cells; counts and sums add up
    to the product's exactly. Each cell: {size: (name, chrtID), office: (...), tally}."""
    cell_pairs = pairs(seed, sid, item)
    rng = keyed_rng(seed, sid, "cells", item["nmID"], start, end)
    order_w = [rng.random() ** 2 for _ in cell_pairs]
    stock_w = _stock_weights(seed, sid, item["nmID"], len(cell_pairs))
    metrics, price = item["metrics"], item["metrics"]["currentPrice"]["minPrice"]
    counts = {k: _split(metrics[k], stock_w if k == "stockCount" else order_w) for k in COUNTS}
    orders = metrics["ordersCount"]
    out = []
    for i, (size, office) in enumerate(cell_pairs):
        share = counts["ordersCount"][i] / orders if orders else 1 / len(cell_pairs)
        cell: dict[str, Any] = {k: counts[k][i] for k in COUNTS}
        cell.update({s: cell[c] * price for s, c in SUMS.items()})
        cell["months"] = [(m["start"], m["end"], round(m["value"] * share, 2)) for m in metrics["avgOrdersByMonth"]]
        cell["lost"] = [round(metrics[k] * share, 2) if metrics[k] >= 0 else metrics[k] for k in LOST]
        cell["officeMissingTime"] = metrics["officeMissingTime"]
        out.append({"size": size, "office": office, "tally": cell})
    return out


def office_item(office: tuple[int, str, str], tally: dict, days: int) -> dict:
    office_id, name, region = office
    return {"regionName": region, "officeID": office_id, "officeName": name, "metrics": metrics_of(tally, days)}


def _by(groups: dict, key: object, value: object) -> None:
    groups.setdefault(key, []).append(value)


def stocked_in(office: tuple[int, str, str], stock_type: str) -> bool:
    """Whether a warehouse counts for stockType: "" all, "wb" WB's, "mp" the seller's."""
    return stock_type == "" or (office == FBS_OFFICE) == (stock_type == "mp")


def sizes_answer(
    seed: int, sid: str, item: dict, start: date, end: date, stock_type: str, include_office: bool
) -> dict:
    """The `data` of /products/sizes for one product (§7.3's four cases), unsorted.

    stockType "wb" keeps WB warehouses, "mp" only the seller's; absent lists are left out."""
    days = (end - start).days + 1
    kept = [c for c in cells(seed, sid, item, start, end) if stocked_in(c["office"], stock_type)]
    if not item["hasSizes"]:
        if not include_office:
            return {}
        per_office: dict = {}
        for c in kept:
            _by(per_office, c["office"], c["tally"])
        return {"offices": [office_item(o, combine(t), days) for o, t in per_office.items()]}
    per_size: dict = {}
    for c in kept:
        _by(per_size, c["size"], c)
    sizes = []
    for (name, chrt_id), size_cells in per_size.items():
        size = {"name": name, "chrtID": chrt_id}
        if include_office:
            size["offices"] = [office_item(c["office"], c["tally"], days) for c in size_cells]
        metrics = metrics_of(combine([c["tally"] for c in size_cells]), days)
        size["metrics"] = {**metrics, "currentPrice": item["metrics"]["currentPrice"]}
        sizes.append(size)
    return {"sizes": sizes}


def groups(seed: int, sid: str, items: list[dict], start: date, end: date) -> list[dict]:
    """Product items grouped by (subjectID, brandName, tagID) with summed metrics; emulated
    sellers have no tags (tagID 0, tagName ""). Items keep their order."""
    days = (end - start).days + 1
    catalogue = seller.products(seed, sid)
    found: dict = {}
    for item in items:
        _by(found, (catalogue.by_nm(item["nmID"])["subjectID"], item["subjectName"], item["brandName"]), item)
    return [
        {
            "subjectID": subject_id,
            "subjectName": subject_name,
            "brandName": brand,
            "tagID": 0,
            "tagName": "",
            "metrics": metrics_of(combine([_tally(i["metrics"]) for i in members]), days),
            "items": members,
        }
        for (subject_id, subject_name, brand), members in found.items()
    ]


def regions(seed: int, sid: str, items: list[dict], start: date, end: date, stock_type: str) -> list[dict]:
    """/offices: the products' cells summed per warehouse, warehouses per region; the
    seller's own warehouses are one "Маркетплейс" region without offices."""
    days = (end - start).days + 1
    per_office: dict = {}
    for item in items:
        for c in cells(seed, sid, item, start, end):
            if stocked_in(c["office"], stock_type):
                _by(per_office, c["office"], c["tally"])
    per_region: dict = {}
    for office in sorted(per_office):
        _by(per_region, office[2], office)
    return [
        {
            "regionName": region,
            "metrics": ship_metrics(combine([t for o in offices for t in per_office[o]]), days),
            "offices": []
            if region == MARKETPLACE
            else [
                {"officeID": o[0], "officeName": o[1], "metrics": ship_metrics(combine(per_office[o]), days)}
                for o in offices
            ],
        }
        for region, offices in sorted(per_region.items())
    ]
