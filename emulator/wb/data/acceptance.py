"""Paid acceptance rows (wb-api.md §9.3): the retired synchronous report and the current async task
trio both serve the rows of `acceptance()`, so a harvester moving from one to the other can be
checked against the same ground truth."""

from __future__ import annotations

import math
from datetime import date, timedelta

from emulator.common.seeded import keyed_hash, keyed_rng
from emulator.wb.data import seller

SHK_CYRILLIC = "shk\u0421reateDate"  # the 2024 spec spells the sync key with a Cyrillic С
_EPOCH = date(2020, 1, 1)
_INCOMES_PER_DAY = 4


def acceptance(seed: int, sid: str, date_from: date, date_to: date) -> list[dict]:
    """Async-download rows for [date_from, date_to]: on some days 1-3 supplies are accepted,
    one row per product in each, up to 8 products a supply or a hundredth of a big catalogue
    (1,000 of 100,000); rows are unique per (incomeId, nmID, shkCreateDate)."""
    catalogue = seller.products(seed, sid)
    most = max(8, len(catalogue) // 100)
    first_income = 10_000_000 + keyed_hash(seed, sid, "incomes") % 20_000_000
    rows = []
    day = date_from
    while day <= date_to:
        rng = keyed_rng(seed, sid, "acceptance-day", day)
        supplies = rng.randint(1, _INCOMES_PER_DAY - 1) if rng.random() < 0.4 else 0
        for i in range(supplies):
            income = first_income + (day - _EPOCH).days * _INCOMES_PER_DAY + i
            supplied = day - timedelta(days=rng.randint(0, 14))
            for p in sorted(rng.sample(catalogue, min(len(catalogue), rng.randint(1, most))), key=lambda p: p["nmID"]):
                count = rng.randint(1, 300)
                rows.append(
                    {
                        "count": count,
                        "giCreateDate": supplied.isoformat(),
                        "incomeId": income,
                        "nmID": p["nmID"],
                        "shkCreateDate": day.isoformat(),
                        "subjectName": p["subjectName"],
                        "total": round(count * rng.uniform(1.5, 40.0), 2),
                    }
                )
        day += timedelta(days=1)
    return rows


def sync_row(row: dict) -> dict:
    """The retired report's shape of a row: the Cyrillic key and `sum`, whole roubles."""
    return {
        "count": row["count"],
        "giCreateDate": row["giCreateDate"],
        "incomeId": row["incomeId"],
        "nmID": row["nmID"],
        SHK_CYRILLIC: row["shkCreateDate"],
        "subjectName": row["subjectName"],
        "sum": math.floor(row["total"] + 0.5),
        "total": row["total"],
    }
