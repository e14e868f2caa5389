"""Deterministic synthetic seller data. Every value is a pure function of (seed, seller sid,
...), so tests import these functions as the ground truth of what the emulator serves."""

from __future__ import annotations

import calendar
import math
import random
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import overload

from emulator.common.seeded import keyed_hash, keyed_rng
from emulator.wb.auth import seller_id

# (subjectID, subjectName, singular noun, has sizes, price range in RUB)
SUBJECTS = [
    (105, "Футболки", "Футболка", True, (490, 2490)),
    (192, "Платья", "Платье", True, (1290, 6990)),
    (69, "Кроссовки", "Кроссовки", True, (2490, 9990)),
    (77, "Джинсы", "Джинсы", True, (1990, 5990)),
    (2284, "Кружки", "Кружка", False, (290, 990)),
    (5067, "Наушники", "Наушники", False, (990, 8990)),
    (3979, "Рюкзаки", "Рюкзак", False, (1490, 5990)),
    (1152, "Чехлы для телефонов", "Чехол", False, (190, 890)),
    (469, "Полотенца", "Полотенце", False, (390, 1990)),
    (2560, "Мягкие игрушки", "Игрушка", False, (490, 2990)),
]
BRANDS = ["Северный ветер", "Уютный дом", "ТехноЛайн", "Сибирь Стиль", "Ясная Поляна", "Добрый Мастер"]
MODELS = ["Вега", "Алтай", "Бриз", "Заря", "Лада", "Нева", "Орион", "Сокол", "Тайга", "Урал", "Волна"]
DETAILS = ["хлопок 100%", "оверсайз", "2 шт.", "в подарочной упаковке", "премиум", "базовая модель", "новинка"]
SIZES = ["42", "44", "46", "48", "50", "S", "M", "L", "XL"]
# (officeId, warehouse, warehouseCoef) of real-sounding WB warehouses.
WAREHOUSES = [
    (507, "Коледино", 1.7),
    (117501, "Подольск", 1.6),
    (120762, "Электросталь", 1.55),
    (117986, "Казань", 1.25),
    (206348, "Тула", 1.4),
    (130744, "Краснодар", 1.2),
    (1733, "Екатеринбург - Испытателей 14г", 1.15),
    (686, "Новосибирск", 1.1),
    (2737, "Санкт-Петербург Уткина Заводь", 1.45),
]
CALC_TYPES = ["короба: без габаритов", "короба: по обмерам", "монопаллеты: по количеству паллет"]


# A sid that starts with this mark names a big seller: its last 12 digits are its catalogue size.
BIG_MARK = "b16ca7a1"
MOST_PRODUCTS = 100_000
_NM_STRIDE = 4_000  # nmIDs ascend by 1..4,000 and stay below 2**31 for the biggest catalogue


def big_seller(name: str, size: int) -> str:
    """The sid of a seller with exactly `size` products (at most 100,000): a UUID, as every sid
    is, so an account with this sid for its seller gets the catalogue it asks for."""
    if not 1 <= size <= MOST_PRODUCTS:
        raise ValueError(f"a catalogue has 1 to {MOST_PRODUCTS:,} products, not {size:,}")
    base = seller_id(name)
    return f"{BIG_MARK}-{base[9:23]}-{size:012d}"


def catalogue_size(seed: int, sid: str) -> int:
    """How many products the seller has: 40 to 2,600, or what a big seller's sid says."""
    if sid.startswith(BIG_MARK + "-"):
        return int(sid[-12:])
    return 40 + keyed_hash(seed, sid, "catalogue-size") % 2561


def made_apart(seed: int, sid: str, *_: object) -> bool:
    """Whether the seller's whole-catalogue answers are made in the report builders' pool
    (`emulator.common.builds`): over 3,000 products, a second's work or more each. A small
    seller's stay on the serving thread, where they never wait behind a big seller's."""
    return catalogue_size(seed, sid) > 3_000


@lru_cache(maxsize=1024)
def _house(seed: int, sid: str) -> tuple[tuple[str, ...], str, int]:
    """What all of a seller's cards share: its brands, vendor-code prefix and first nmID."""
    rng = keyed_rng(seed, sid, "catalogue")
    brands = tuple(rng.sample(BRANDS, rng.randint(1, 3)))
    prefix = "".join(rng.choice("ABCDEFGHKMNPRSTVWXZ") for _ in range(3))
    return brands, prefix, rng.randrange(10_000_000, 400_000_000)


@lru_cache(maxsize=1 << 13)
def _product(seed: int, sid: str, i: int) -> dict:
    """The seller's i-th product, made from its own key: any product costs the same to make.
    The cache holds products, not catalogues, so its memory is bounded whatever the sellers."""
    brands, prefix, first = _house(seed, sid)
    rng = random.Random(keyed_hash(seed, sid, "product", i))
    nm = first + i * _NM_STRIDE + rng.randrange(_NM_STRIDE)
    subject_id, subject, noun, sized, (low, high) = rng.choice(SUBJECTS)
    vol, part = nm // 100_000, nm // 1_000
    return {
        "nmID": nm,
        "vendorCode": f"{prefix}-{i + 1:05d}",
        "name": f"{noun} «{rng.choice(MODELS)}» {rng.choice(DETAILS)}",
        "subjectID": subject_id,
        "subjectName": subject,
        "brandName": rng.choice(brands),
        "mainPhoto": f"https://basket-{1 + vol % 30:02d}.wbbasket.ru/vol{vol}/part{part}/{nm}/images/c246x328/1.webp",
        "hasSizes": sized,
        "isDeleted": rng.random() < 0.03,
        "price": rng.randrange(low, high, 10),
    }


class Products(Sequence[dict]):
    """Some of a seller's products, in nmID order, held as catalogue positions (4 bytes a product
    when filtered) and made when asked for."""

    def __init__(self, catalogue: Catalogue, positions: Sequence[int]) -> None:
        self.catalogue, self.positions = catalogue, positions

    def __len__(self) -> int:
        return len(self.positions)

    @overload
    def __getitem__(self, i: int) -> dict: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict]: ...
    def __getitem__(self, i: int | slice) -> dict | list[dict]:
        if isinstance(i, slice):
            return [self.catalogue.at(j) for j in self.positions[i]]
        return self.catalogue.at(self.positions[i])

    def __iter__(self) -> Iterator[dict]:
        return (self.catalogue.at(j) for j in self.positions)

    def where(self, keep: Callable[[dict], bool]) -> Products:
        """The products that pass `keep`."""
        return Products(self.catalogue, array("i", (j for j in self.positions if keep(self.catalogue.at(j)))))

    def among(self, key: str, values: Iterable[object]) -> Products:
        """The products whose `key` is one of `values`."""
        allowed = set(values)
        return self.where(lambda p: p[key] in allowed)


class Catalogue(Products):
    """A seller's products, each made from its own key when it is asked for: a 100,000-product
    seller holds no more memory than a small one, and a product is found by nmID in O(1)."""

    def __init__(self, seed: int, sid: str) -> None:
        super().__init__(self, range(catalogue_size(seed, sid)))
        self.seed, self.sid = seed, sid
        self._first = _house(seed, sid)[2]

    def at(self, j: int) -> dict:
        """The product at position j (a copy: callers may change it)."""
        return dict(_product(self.seed, self.sid, j))

    def _find(self, nm_id: int) -> int | None:
        j = (nm_id - self._first) // _NM_STRIDE
        return j if 0 <= j < len(self) and _product(self.seed, self.sid, j)["nmID"] == nm_id else None

    def position(self, nm_id: int) -> int:
        """Where the product with this nmID stands; KeyError if the seller has none such."""
        j = self._find(nm_id)
        if j is None:
            raise KeyError(nm_id)
        return j

    def get(self, nm_id: int) -> dict | None:
        j = self._find(nm_id)
        return None if j is None else self.at(j)

    def by_nm(self, nm_id: int) -> dict:
        """The product with this nmID; KeyError if the seller has none such."""
        return self.at(self.position(nm_id))

    def having(self, nm_ids: Iterable[int]) -> Products:
        """The products with these nmIDs, in nmID order; unknown ids are left out."""
        found = (self._find(n) for n in sorted(set(nm_ids)))
        return Products(self, array("i", (j for j in found if j is not None)))


def small_sellers(seed: int, prefix: str, count: int, most: int = 60) -> list[str]:
    """Account names (`prefix-N`) whose sellers have at most `most` products: the demo and the
    end-to-end tests harvest per-product endpoints in seconds, not hours."""
    names = (f"{prefix}-{i}" for i in range(10_000))
    return [n for n in names if catalogue_size(seed, seller_id(n)) <= most][:count]


def products(seed: int, sid: str) -> Catalogue:
    """The seller's catalogue (40..2,600 products, or a big seller's size; nmID ascending)."""
    return Catalogue(seed, sid)


def filtered(seed: int, sid: str, *, nm_ids: Iterable[int] | None = None,
             among: Iterable[tuple[str, Iterable[object] | None]] = (), tagged: bool = False,
             skip_deleted: bool = False) -> Products:
    """The seller's products (nmID order) that a request's card filters keep: its nmIDs, every
    (column, values) of `among` that names values, and skipDeletedNm. Emulated sellers put no
    tags on their cards, so a tag filter keeps none. Every list, report and CSV filters here."""
    catalogue = products(seed, sid)
    if tagged:
        return catalogue.having(())
    kept: Products = catalogue.having(nm_ids) if nm_ids else catalogue
    for column, values in among:
        if values:
            kept = kept.among(column, values)
    return kept.where(lambda p: not p["isDeleted"]) if skip_deleted else kept


def month_spans(start: date, end: date) -> list[tuple[date, date]]:
    """(first day, last day) of every calendar month the period touches."""
    months, day = [], start.replace(day=1)
    while day <= end:
        last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        months.append((day, last))
        day = last + timedelta(days=1)
    return months


def _duration(hours: float) -> dict:
    total = int(hours)
    return {"days": total // 24, "hours": total % 24}


def _availability(rng: random.Random, stock: int, demand: float, rate: dict) -> str:
    if rate["hours"] == -3:
        return "invalidData"
    if stock == 0 or (rate["hours"] >= 0 and rate["days"] < 7):
        return "deficient" if demand > 0 else "nonActual"
    if demand == 0:
        return "nonLiquid"
    if rate["days"] < 60:
        return "actual"
    return rng.choice(["balanced", "nonActual", "nonLiquid"])


def stock_on(seed: int, sid: str, product: dict, day: date) -> int:
    """Units in stock at 23:59 of a day: a slow wave per product that sometimes runs dry. A
    function of the day alone, so every report and period that ends on a day shows its stock."""
    if product["isDeleted"]:
        return 0
    rng = keyed_rng(seed, sid, "stock-wave", product["nmID"])
    level, wave, phase = rng.uniform(2, 150), rng.uniform(5, 40), rng.uniform(0, 2 * math.pi)
    return max(0, round(level * (0.85 + math.sin(day.toordinal() / wave + phase))))


def _metrics(seed: int, sid: str, product: dict, start: date, end: date) -> dict:
    rng = keyed_rng(seed, sid, product["nmID"], start, end)
    days = max(1, (end - start).days + 1)
    price = product["price"]
    deleted = product["isDeleted"]
    demand = 0.0 if deleted or rng.random() < 0.06 else rng.lognormvariate(0.0, 1.1) * 2
    orders = round(demand * days * rng.uniform(0.8, 1.2))
    buyouts = orders * rng.randint(30, 95) // 100
    stock = stock_on(seed, sid, product, end)
    avg_orders = round(orders / days, 2)
    if stock == 0:
        sale_rate = {"days": 0, "hours": -2}
    elif rng.random() < 0.03:
        sale_rate = {"days": 0, "hours": -3}
    elif avg_orders == 0:
        sale_rate = {"days": 0, "hours": -1}
    else:
        sale_rate = _duration(stock / avg_orders * 24)
    turnover = _duration(stock * rng.uniform(0.7, 1.3) / avg_orders * 24) if avg_orders else {"days": 0, "hours": -1}
    roll = rng.random()
    if stock == 0 and roll < 0.5:
        missing = {"days": 0, "hours": -4}
    elif roll < 0.55:
        missing = {"days": 0, "hours": -2}
    elif roll < 0.6:
        missing = {"days": 0, "hours": -3}
    else:
        missing = _duration(rng.randint(1, days * 24))
    if missing["hours"] in (-2, -4) or demand == 0:
        lost = [-2.0] * 4
    elif missing["hours"] < 0:
        lost = [-1.0] * 4
    else:
        lost_orders = round(demand * (missing["days"] + missing["hours"] / 24), 2)
        lost_buyouts = round(lost_orders * 0.7, 2)
        lost = [lost_orders, round(lost_orders * price, 2), lost_buyouts, round(lost_buyouts * price, 2)]
    return {
        "ordersCount": orders,
        "ordersSum": orders * price,
        "avgOrders": avg_orders,
        "avgOrdersByMonth": [
            {"start": a.isoformat(), "end": b.isoformat(), "value": round(demand * rng.uniform(0.7, 1.3), 2)}
            for a, b in month_spans(start, end)
        ],
        "buyoutCount": buyouts,
        "buyoutSum": buyouts * price,
        "buyoutPercent": round(100 * buyouts / orders) if orders else 0,
        "stockCount": stock,
        "stockSum": stock * price,
        "saleRate": sale_rate,
        "avgStockTurnover": turnover,
        "toClientCount": rng.randint(0, orders // 10 + 1) if orders else 0,
        "fromClientCount": rng.randint(0, orders // 30 + 1) if orders else 0,
        "officeMissingTime": missing,
        "lostOrdersCount": lost[0],
        "lostOrdersSum": lost[1],
        "lostBuyoutsCount": lost[2],
        "lostBuyoutsSum": lost[3],
        "currentPrice": {
            "minPrice": price,
            "maxPrice": price + (rng.choice([0, 100, 200, 500]) if product["hasSizes"] else 0),
        },
        "availability": _availability(rng, stock, demand, sale_rate),
    }


_ITEM_FIELDS = ("nmID", "isDeleted", "subjectName", "name", "vendorCode", "brandName", "mainPhoto", "hasSizes")


def stock_item(seed: int, sid: str, product: dict, start: date, end: date) -> dict:
    """One TableProductItemSt: the product's card fields and its metrics for the period."""
    return {**{k: product[k] for k in _ITEM_FIELDS}, "metrics": _metrics(seed, sid, product, start, end)}


def stock_items(seed: int, sid: str, start: date, end: date) -> Iterator[dict]:
    """Every product's item for the period, nmID ascending, made one at a time."""
    return (stock_item(seed, sid, p, start, end) for p in products(seed, sid))


def stocks_products(seed: int, sid: str, start: date, end: date) -> list[dict]:
    """One TableProductItemSt per product for the period, nmID ascending."""
    return list(stock_items(seed, sid, start, end))


@lru_cache(maxsize=1024)
def _stored_share(seed: int, sid: str) -> float:
    """The share of the seller's catalogue that lies in WB warehouses (the rest ships from its
    own, FBS): none for 4 % of sellers, 15 to 50 % for the others, whatever the catalogue's size."""
    rng = keyed_rng(seed, sid, "storage")
    return 0.0 if rng.random() < 0.04 else rng.uniform(0.15, 0.5)


def _placements(seed: int, sid: str, p: dict) -> list[dict]:
    """Where a stored product lies in WB warehouses: 1-3 warehouses, one supply each. Made from
    the product's own key, so a seller of 100,000 products is read product by product and never
    held."""
    rng = keyed_rng(seed, sid, "storage", p["nmID"])
    size = rng.choice(SIZES) if p["hasSizes"] else "0"
    chrt_id = p["nmID"] * 10 + (SIZES.index(size) + 1 if p["hasSizes"] else 0)
    volume = round(rng.uniform(0.3, 30.0), 2)
    barcode = "" if rng.random() < 0.05 else str(rng.randint(2_000_000_000_000, 2_999_999_999_999))
    placements = []
    for office_id, warehouse, coef in rng.sample(WAREHOUSES, rng.randint(1, 3)):
        calc = rng.choices(CALC_TYPES, weights=[6, 3, 1])[0]
        placements.append(
            {
                "product": p,
                "officeId": office_id,
                "warehouse": warehouse,
                "warehouseCoef": coef,
                "giId": rng.randint(10_000_000, 29_000_000),
                "chrtId": chrt_id,
                "size": size,
                "barcode": barcode,
                "calcType": calc,
                "volume": volume,
                "count": rng.randint(1, 200),
                "logWarehouseCoef": rng.choice([1, 1, 1, 1.1, 1.25]),
                "palletPlaceCode": rng.randint(1, 9_999) if calc.startswith("монопаллеты") else 0,
                "fixDays": rng.choice([None, 30, 60]),
            }
        )
    return placements


def _storage_row(rng: random.Random, pl: dict, day: date, original: date) -> dict:
    p = pl["product"]
    count = max(1, pl["count"] + rng.randint(-5, 5))
    coef = pl["warehouseCoef"] * pl["logWarehouseCoef"]
    pallets = round(rng.uniform(0.1, 2.0), 2) if pl["palletPlaceCode"] else 0
    price = pallets * 45 * coef if pallets else pl["volume"] * 0.08 * count * coef
    fixed = original - timedelta(days=pl["fixDays"]) if pl["fixDays"] else None
    return {
        "date": day.isoformat(),
        "logWarehouseCoef": pl["logWarehouseCoef"],
        "officeId": pl["officeId"],
        "warehouse": pl["warehouse"],
        "warehouseCoef": pl["warehouseCoef"],
        "giId": pl["giId"],
        "chrtId": pl["chrtId"],
        "size": pl["size"],
        "barcode": pl["barcode"],
        "subject": p["subjectName"],
        "brand": p["brandName"],
        "vendorCode": p["vendorCode"],
        "nmId": p["nmID"],
        "volume": pl["volume"],
        "calcType": pl["calcType"],
        "warehousePrice": round(price, 2),
        "barcodesCount": count,
        "palletPlaceCode": pl["palletPlaceCode"],
        "palletCount": pallets,
        "originalDate": original.isoformat(),
        "loyaltyDiscount": round(price * 0.1, 2) if rng.random() < 0.2 else 0,
        "tariffFixDate": fixed.isoformat() if fixed else "",
        "tariffLowerDate": (fixed + timedelta(days=90)).isoformat() if fixed else "",
    }


def paid_storage(seed: int, sid: str, date_from: date, date_to: date) -> Iterator[dict]:
    """ResponsePaidStorage rows of [date_from, date_to], made one at a time: stored product by
    product, each of its placements day by day, so a window reads the catalogue once (a 100,000-
    product seller's day is 30,000 to 50,000 rows, about 26 MB). Occasional recalculation rows repeat a
    placement with an earlier originalDate; now and then a day has no rows at all."""
    share = _stored_share(seed, sid)
    days = (date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1))
    kept = [day for day in days if keyed_rng(seed, sid, "storage-day", day).random() >= 0.05]
    if not share or not kept:
        return
    catalogue = products(seed, sid)
    for j in range(len(catalogue)):
        if keyed_hash(seed, sid, "stored", j) % 1_000_000 >= share * 1_000_000:
            continue  # shipped from the seller's own warehouse
        for pl in _placements(seed, sid, catalogue.at(j)):
            for day in kept:
                rng = keyed_rng(seed, sid, "storage-row", pl["giId"], pl["chrtId"], day)
                if rng.random() < 0.85:
                    yield _storage_row(rng, pl, day, day)
                if rng.random() < 0.03:
                    yield _storage_row(rng, pl, day, day - timedelta(days=rng.randint(1, 30)))
