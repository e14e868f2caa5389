"""Deterministic data of the "Reports" section (wb-api.md §9.1, §9.4-§9.7). Like `seller`, every
value is a pure function of (seed, seller sid, ...), so tests import these functions as the ground
truth.

Report events are drawn per day from a day-keyed RNG: a day's rows never depend on the window
asked, and the retired and current report of one event (goods substitution, dimension
measurements) show the same event.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from emulator.common.seeded import keyed_hash, keyed_rng
from emulator.wb.data import seller
from emulator.wb.data.csv_rows import days
from emulator.wb.data.seller import SIZES

LABELLED_SUBJECTS = {105, 192, 69, 77}
COUNTRIES = [("RU", "Россия", 85), ("BY", "Беларусь", 5), ("KZ", "Казахстан", 5), ("AM", "Армения", 2),
             ("KG", "Кыргызстан", 2), ("UZ", "Узбекистан", 1)]
_SERIAL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!\"%&'*+-./_,:;=<>?"
EXCISE_RETURN_DAYS = 14  # a return is booked at most this many days after its sale
SUBSTITUTIONS_FROM = date(2023, 6, 1)
ANTIFRAUD_FROM = date(2023, 8, 2)  # a Wednesday: report weeks run Wednesday to Tuesday
MEASUREMENTS_FROM = date(2022, 10, 31)
LABELING_FROM = date(2024, 3, 1)
COLORS = ["белый", "черный", "темно-синий", "серый", "бежевый", "красный", "голубой", "зеленый"]
SUBSTITUTION_TYPES = ["Подмена FBW", "Неверное вложение FBW", "Подмена FBS"]


def _moment(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randrange(24), rng.randrange(60), rng.randrange(60)), tzinfo=UTC)


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z, as WB writes date-times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def barcode(seed: int, sid: str, nm_id: int) -> str:
    """A product's EAN-13 barcode as WB lists it (a 2... internal code)."""
    return str(2_000_000_000_000 + keyed_hash(seed, sid, "barcode", nm_id) % 10**12)


@lru_cache(maxsize=64)
def _labelled(seed: int, sid: str) -> seller.Products:
    """The live products of labelled subjects: positions, so a big catalogue is read once, not held."""
    return seller.products(seed, sid).where(lambda p: p["subjectID"] in LABELLED_SUBJECTS and not p["isDeleted"])


def _excise_sales(seed: int, sid: str, day: date) -> list[dict]:
    """The sale (operation 1) rows of labelled goods fiscalised on `day`, each with the day
    its return is booked (or None)."""
    goods = _labelled(seed, sid)
    rng = keyed_rng(seed, sid, "excise", day)
    if not goods or rng.random() < 0.3:
        return []
    sales = []
    for n in range(rng.randint(1, 6)):
        p = rng.choice(goods)
        country, country_name, _ = rng.choices(COUNTRIES, weights=[c[2] for c in COUNTRIES])[0]
        ean = barcode(seed, sid, p["nmID"])
        rid = keyed_hash(seed, sid, "rid", day, n) % 10**12
        serial = "".join(rng.choice(_SERIAL) for _ in range(13))
        sales.append({
            "country": country,
            "returned": day + timedelta(days=rng.randint(1, EXCISE_RETURN_DAYS)) if rng.random() < 0.08 else None,
            "row": {
                "name": country_name,
                "price": round(p["price"] * rng.uniform(0.6, 1.0), 2),
                "currency_name_short": "руб",
                "excise_short": f"010{ean}21{serial}",  # GS1: (01) GTIN-14, (21) serial
                "barcode": ean,
                "nm_id": p["nmID"],
                "operation_type_id": 1,
                "fiscal_doc_number": rng.randint(1, 99_999),
                "fiscal_dt": day.isoformat(),
                "fiscal_drive_number": str(7_380_440_000_000_000 + keyed_hash(seed, sid, "fn") % 10**9),
                "rid": rid,
                "srid": f"{keyed_hash(seed, sid, 'srid', day, n) % 10**19}.{n % 3}.0",
            },
        })
    return sales


def excise(seed: int, sid: str, start: date, end: date, countries: tuple[str, ...] = ()) -> list[dict]:
    """Excise-report rows of [start, end]: sales (operation 1) on their day and returns to
    circulation (operation 2, same srid and marking code) on the day they are booked."""
    rows = []
    for day in days(start - timedelta(days=EXCISE_RETURN_DAYS), end):
        for sale in _excise_sales(seed, sid, day):
            if countries and sale["country"] not in countries:
                continue
            if day >= start:
                rows.append(sale["row"])
            back = sale["returned"]
            if back and start <= back <= end:
                rows.append({**sale["row"], "operation_type_id": 2, "fiscal_dt": back.isoformat(),
                             "fiscal_doc_number": sale["row"]["fiscal_doc_number"] + 1})
    return sorted(rows, key=lambda r: r["fiscal_dt"])


def antifraud_week(day: date) -> tuple[date, date]:
    """The Wednesday-to-Tuesday report week that contains `day` (WB's example: 2023-08-23..29)."""
    first = day - timedelta(days=(day.weekday() - 2) % 7)
    return first, first + timedelta(days=6)


def antifraud(seed: int, sid: str, week_start: date) -> list[dict]:
    """Self-purchase deductions of one report week: most weeks have none."""
    rng = keyed_rng(seed, sid, "antifraud", week_start)
    catalogue = seller.products(seed, sid)
    if week_start < ANTIFRAUD_FROM or rng.random() >= 0.15:
        return []
    week_end = week_start + timedelta(days=6)
    chosen = sorted(rng.sample(catalogue, min(len(catalogue), rng.randint(1, 4))), key=lambda p: p["nmID"])
    return [
        {"nmID": p["nmID"], "sum": p["price"] * rng.randint(1, 40), "currency": "RUB",
         "dateFrom": week_start.isoformat(), "dateTo": week_end.isoformat()}
        for p in chosen
    ]


def _photo(kind: str, shk: int, n: int) -> str:
    return f"https://static-basket-03.wbbasket.ru/vol54/{kind}/{shk}-{n}.webp"


def substitutions(seed: int, sid: str, start: datetime, end: datetime) -> list[dict]:
    """Deduction reports for goods substitution and wrong attachments with dtBonus in
    [start, end] (GET /api/analytics/v1/deductions rows), oldest first."""
    catalogue = seller.products(seed, sid)
    rows = []
    for day in days(max(start.date(), SUBSTITUTIONS_FROM), end.date()):
        rng = keyed_rng(seed, sid, "substitution", day)
        if rng.random() >= 0.08:
            continue
        for _ in range(rng.randint(1, 2)):
            p, other = rng.choice(catalogue), rng.choice(catalogue)
            moment = _moment(rng, day)
            old_shk, new_shk = rng.randrange(10**10, 4 * 10**10), rng.randrange(10**10, 4 * 10**10)
            size = rng.choice(SIZES) if p["hasSizes"] else "0"
            row = {
                "dtBonus": iso(moment),
                "nmId": p["nmID"],
                "oldShkId": old_shk,
                "oldColor": rng.choice(COLORS),
                "oldSize": size,
                "oldSku": barcode(seed, sid, p["nmID"]),
                "oldVendorCode": p["vendorCode"],
                "newShkId": new_shk,
                "newColor": rng.choice(COLORS),
                "newSize": rng.choice(SIZES) if other["hasSizes"] else "0",
                "newSku": barcode(seed, sid, other["nmID"]),
                "newVendorCode": other["vendorCode"] if rng.random() < 0.5 else "wh-service-podmena",
                "bonusSumm": float(p["price"]),
                "bonusType": rng.choice(SUBSTITUTION_TYPES),
                "photoUrls": [_photo("change_characteristics", old_shk, n) for n in range(1, rng.randint(2, 4))],
            }
            if start <= moment <= end:
                rows.append(row)
    return rows


def incorrect_attachments(seed: int, sid: str, start: date, end: date) -> list[dict]:
    """The retired report's rows (§9.5) for the days [start, end]: the same events as
    `substitutions`, one per substituted item (shkID = the old one)."""
    events = substitutions(seed, sid, datetime.combine(start, time(), UTC), datetime.combine(end, time.max, UTC))
    return [
        {"amount": e["bonusSumm"], "date": e["dtBonus"][:10],
         "lostReason": f"{e['bonusType']}: вместо {e['oldVendorCode']} поступил {e['newVendorCode']}",
         "nmID": e["nmId"], "photoUrl": e["photoUrls"][0], "shkID": e["oldShkId"]}
        for e in events
    ]


def card_dimensions(seed: int, sid: str, nm_id: int) -> tuple[int, int, int]:
    """Width, length, height (cm) on the product card."""
    rng = keyed_rng(seed, sid, "card-dims", nm_id)
    return rng.randint(5, 40), rng.randint(10, 60), rng.randint(2, 30)


def _liters(w: int, l: int, h: int) -> float:  # noqa: E741  (width, length, height, as WB names them)
    return round(w * l * h / 1000, 2)


@lru_cache(maxsize=4096)
def _measurements_on(seed: int, sid: str, day: date) -> tuple[dict, ...]:
    """Warehouse measurements taken on `day`: a few products, most close to their card."""
    rng = keyed_rng(seed, sid, "measurement", day)
    if day < MEASUREMENTS_FROM or rng.random() >= 0.25:
        return ()
    catalogue = seller.products(seed, sid)
    found = []
    for n in range(rng.randint(1, 3)):
        p = rng.choice(catalogue)
        card = card_dimensions(seed, sid, p["nmID"])
        stretch = 1 + (rng.uniform(0.1, 0.8) if rng.random() < 0.35 else rng.uniform(-0.05, 0.05))
        actual = tuple(max(1, round(x * stretch)) for x in card)
        moment = _moment(rng, day)
        over = round((_liters(*actual) / _liters(*card) - 1) * 100, 2) if _liters(*card) else 0.0
        dim_id = 4_000_000 + (day - MEASUREMENTS_FROM).days * 4 + n
        valid = rng.random() >= 0.1
        found.append({
            "product": p, "dimId": dim_id, "dt": moment, "card": card, "actual": actual, "prcOver": over,
            "photoUrls": [_photo("handheld-goods-measurements-photo", dim_id, k) for k in (1, 2)],
            "penalty": round(p["price"] * over / 100 * 0.1, 2) if over > 10 else 0.0,
            "isValid": valid, "isValidDt": moment + timedelta(hours=rng.randint(6, 96)),
        })
    return tuple(found)


def _measurements(seed: int, sid: str, start: date, end: date) -> list[dict]:
    return [m for day in days(max(start, MEASUREMENTS_FROM), end) for m in _measurements_on(seed, sid, day)]


def _penalty_day(moment: datetime) -> datetime:
    """Dimension penalties are charged on the Monday after the measurement."""
    monday = moment.date() + timedelta(days=7 - moment.weekday())
    return datetime.combine(monday, time(), UTC)


def warehouse_measurements(seed: int, sid: str, start: datetime, end: datetime) -> list[dict]:
    """GET /api/analytics/v1/warehouse-measurements rows with dt in [start, end], oldest first."""
    return [
        {"nmId": m["product"]["nmID"], "subjectName": m["product"]["subjectName"], "dimId": m["dimId"],
         "volume": _liters(*m["actual"]), "width": m["actual"][0], "length": m["actual"][1],
         "height": m["actual"][2], "photoUrls": m["photoUrls"], "dt": iso(m["dt"])}
        for m in _measurements(seed, sid, start.date(), end.date()) if start <= m["dt"] <= end
    ]


def measurement_penalties(seed: int, sid: str, start: datetime, end: datetime) -> list[dict]:
    """GET /api/analytics/v1/measurement-penalties rows with dtBonus in [start, end]: the
    measurements more than 10 % over the card; a cancelled one is reversed in full."""
    rows = []
    for m in _measurements(seed, sid, start.date() - timedelta(days=8), end.date()):
        charged = _penalty_day(m["dt"])
        if m["penalty"] and start <= charged <= end:
            card, actual = m["card"], m["actual"]
            rows.append({
                "nmId": m["product"]["nmID"], "subjectName": m["product"]["subjectName"], "dimId": m["dimId"],
                "prcOver": m["prcOver"], "volume": _liters(*actual), "width": actual[0], "length": actual[1],
                "height": actual[2], "volumeSup": _liters(*card), "widthSup": card[0], "lengthSup": card[1],
                "heightSup": card[2], "photoUrls": m["photoUrls"], "dtBonus": iso(charged),
                "isValid": m["isValid"], "isValidDt": iso(m["isValidDt"]),
                "reversalAmount": 0.0 if m["isValid"] else m["penalty"], "penaltyAmount": m["penalty"],
            })
    return rows


def storage_coefficient(seed: int, sid: str, monday: date) -> list[dict]:
    """The retired weekly report (§9.6) of the Monday-to-Sunday week starting `monday`: the
    measurements of the 30 days before it, each with the product's coefficient."""
    rows = []
    for m in _measurements(seed, sid, monday - timedelta(days=30), monday - timedelta(days=1)):
        card, actual, p = m["card"], m["actual"], m["product"]
        rows.append({
            "actualHeight": actual[2], "actualLength": actual[1], "actualVolume": _liters(*actual),
            "actualWidth": actual[0], "date": iso(m["dt"]), "dimensionDifference": m["prcOver"],
            "height": card[2], "length": card[1], "logWarehouseCoef": round(1 + max(0.0, m["prcOver"] - 10) / 200, 2),
            "nmID": p["nmID"], "photoUrls": m["photoUrls"][0], "title": p["name"],
            "volume": _liters(*card), "width": card[0],
        })
    return rows


def goods_labeling(seed: int, sid: str, start: date, end: date) -> list[dict]:
    """Fines for missing or unreadable labels found at acceptance, days [start, end]."""
    goods = _labelled(seed, sid)
    rows = []
    for day in days(max(start, LABELING_FROM), end):
        rng = keyed_rng(seed, sid, "labeling", day)
        if not goods or rng.random() >= 0.1:
            continue
        income = 18_000_000 + keyed_hash(seed, sid, "labeling-income", day) % 10_000_000
        for _ in range(rng.randint(1, 3)):
            p = rng.choice(goods)
            shk = rng.randrange(10**10, 4 * 10**10)
            rows.append({
                "amount": float(rng.choice([500, 1000, 1500])), "date": iso(_moment(rng, day)), "incomeId": income,
                "nmID": p["nmID"],
                "photoUrls": [_photo("photo-fixation-violation-shk-excise", shk, n) for n in (1, 2, 3)],
                "shkID": shk, "sku": barcode(seed, sid, p["nmID"]),
            })
    return rows
