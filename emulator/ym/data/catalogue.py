"""Deterministic synthetic Yandex Market cabinets. Every value is a pure function of (seed,
business, campaign, shop SKU, day), so tests import these functions as the ground truth of
what the emulator serves: campaigns, the offer catalogue, stats/skus items and report rows.

A business has campaigns (stores) of `skus` SKUs each; the first store works FBY, the next
FBS, then DBS, in turn. A SKU is placed in exactly one store, so the cabinet's catalogue holds
campaigns × skus offers. Product names reuse the Russian word lists of the WB data.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from emulator.common.clock import MSK
from emulator.common.seeded import keyed_hash, keyed_rng
from emulator.wb.data.seller import BRANDS, DETAILS, MODELS, SUBJECTS
from emulator.ym.auth import ym_campaign_ids

PLACEMENTS = ("FBY", "FBS", "DBS")
# Yandex Market leaf categories standing in for the WB subjects (same order as data.SUBJECTS).
CATEGORIES = (
    (7811873, "Футболки"), (7811901, "Платья"), (7812186, "Кроссовки и кеды"), (7811916, "Джинсы"),
    (90803, "Кружки и чашки"), (90555, "Наушники и Bluetooth-гарнитуры"), (91141, "Рюкзаки"),
    (91498, "Чехлы для мобильных телефонов"), (13360751, "Полотенца"), (10682647, "Мягкие игрушки"),
)
# Market fulfilment warehouses (FBY): (id, name).
MARKET_WAREHOUSES = (
    (172, "Яндекс Маркет (Софьино)"), (171, "Яндекс Маркет (Томилино)"), (300, "Яндекс Маркет (Екатеринбург)"),
    (302, "Яндекс Маркет (Самара)"), (147, "Яндекс Маркет (Ростов-на-Дону)"), (145, "Маршрут (Котельники)"),
)
STOCK_TYPES = ("FIT", "FREEZE", "AVAILABLE", "QUARANTINE", "UTILIZATION", "DEFECT", "EXPIRED")
CARD_STATUS_ENUM = (
    "HAS_CARD_CAN_NOT_UPDATE", "HAS_CARD_CAN_UPDATE", "HAS_CARD_CAN_UPDATE_ERRORS", "HAS_CARD_CAN_UPDATE_PROCESSING",
    "NO_CARD_NEED_CONTENT", "NO_CARD_MARKET_WILL_CREATE", "NO_CARD_ERRORS", "NO_CARD_PROCESSING",
    "NO_CARD_ADD_TO_CAMPAIGN",
)
CARD_STATUSES = CARD_STATUS_ENUM[:2]  # what mapped emulated offers have


def campaign_index(business_id: int, campaign_id: int) -> int:
    """Position of a campaign among its business's campaigns (ids step by 7)."""
    return (campaign_id - ym_campaign_ids(business_id, 1)[0]) // 7


def placement(business_id: int, campaign_id: int) -> str:
    return PLACEMENTS[campaign_index(business_id, campaign_id) % len(PLACEMENTS)]


def business_name(seed: int, business_id: int) -> str:
    return f"ООО «{BRANDS[keyed_hash(seed, business_id, 'business-name') % len(BRANDS)]}»"


def campaigns(seed: int, business_id: int, campaign_ids: tuple[int, ...]) -> list[dict]:
    """CampaignDTO of every store, id ascending."""
    name = business_name(seed, business_id)
    return [
        {
            "domain": f"{name[5:-1]} — {placement(business_id, cid)}",
            "id": cid,
            "clientId": business_id * 10 + campaign_index(business_id, cid),
            "business": {"id": business_id, "name": name},
            "placementType": placement(business_id, cid),
            "apiAvailability": "AVAILABLE",
        }
        for cid in campaign_ids
    ]


def _prefix(seed: int, business_id: int) -> str:
    rng = keyed_rng(seed, business_id, "sku-prefix")
    return "".join(rng.choice("ABCDEFGHKMNPRSTVWXZ") for _ in range(3))


def shop_skus(seed: int, business_id: int, campaign_id: int, skus: int) -> list[str]:
    """The SKUs placed in a campaign, ascending."""
    index = campaign_index(business_id, campaign_id)
    return [f"{_prefix(seed, business_id)}-{index + 1}-{i + 1:05d}" for i in range(skus)]


def catalogue(seed: int, business_id: int, campaign_ids: tuple[int, ...], skus: int) -> list[tuple[str, int]]:
    """(shop SKU, campaign id) of every offer of the business, SKU ascending."""
    return sorted((sku, cid) for cid in campaign_ids for sku in shop_skus(seed, business_id, cid, skus))


def product(seed: int, business_id: int, shop_sku: str) -> dict:
    """A SKU's card: name, category, price, Market SKU (None when unmapped), dimensions, pictures."""
    card = _card(seed, business_id, shop_sku)
    return {**card, "weightDimensions": dict(card["weightDimensions"]), "pictures": list(card["pictures"])}


@lru_cache(maxsize=65536)
def _card(seed: int, business_id: int, shop_sku: str) -> dict:
    """Cached: stats/skus and the reports read every card many times; never handed out as is."""
    rng = keyed_rng(seed, business_id, shop_sku, "product")
    kind = rng.randrange(len(SUBJECTS))
    _, _, noun, _, (low, high) = SUBJECTS[kind]
    category_id, category_name = CATEGORIES[kind]
    mapped = rng.random() >= 0.05
    length, width, height = (round(rng.uniform(5, 60), 1) for _ in range(3))
    pictures = sorted({f"https://avatars.mds.yandex.net/get-mpic/{rng.randint(1_000_000, 12_999_999)}/"
                       f"img_id{rng.getrandbits(60)}.jpeg/orig" for _ in range(rng.randint(0, 4))})
    return {
        "name": f"{noun} «{rng.choice(MODELS)}» {rng.choice(DETAILS)}",
        "vendor": BRANDS[keyed_hash(seed, business_id, "vendor", kind) % len(BRANDS)],
        "categoryId": category_id,
        "categoryName": category_name,
        "price": float(rng.randrange(low, high, 10)),
        "marketSku": 100_000_000_000 + keyed_hash(seed, business_id, shop_sku, "msku") % 900_000_000_000
        if mapped else None,
        "weightDimensions": {"length": length, "width": width, "height": height,
                             "weight": round(rng.uniform(0.1, 5.0), 3)},
        "pictures": pictures,
        "cardStatus": rng.choice(CARD_STATUSES) if mapped else "NO_CARD_PROCESSING",
    }


def _warehouses(business_id: int, campaign_id: int, rng: random.Random) -> list[tuple[int, str]]:
    if placement(business_id, campaign_id) == "FBY":
        return sorted(rng.sample(MARKET_WAREHOUSES, rng.randint(1, 3)))
    return [(1_000_000 + campaign_id % 900_000, f"Склад продавца, магазин {campaign_id}")]


def stocks(seed: int, business_id: int, campaign_id: int, shop_sku: str, day: date) -> list[dict]:
    """GoodsStatsWarehouseDTO of the SKU on `day`; empty when it lies on no warehouse."""
    rng = keyed_rng(seed, business_id, campaign_id, shop_sku, "placement")
    if rng.random() < 0.1:
        return []
    found = []
    for warehouse_id, name in _warehouses(business_id, campaign_id, rng):
        day_rng = keyed_rng(seed, business_id, campaign_id, shop_sku, warehouse_id, day)
        available, freeze = day_rng.randint(0, 150), day_rng.choice((0, 0, 1, 2, 5))
        counts = {"FIT": available + freeze, "FREEZE": freeze, "AVAILABLE": available}
        for extra in ("QUARANTINE", "UTILIZATION", "DEFECT", "EXPIRED"):
            if day_rng.random() < 0.05:
                counts[extra] = day_rng.randint(1, 10)
        kept = [t for t in STOCK_TYPES if t in counts and (counts[t] or t in ("FIT", "AVAILABLE"))]
        found.append({"id": warehouse_id, "name": name, "stocks": [{"type": t, "count": counts[t]} for t in kept]})
    return found


def _param(**values: object) -> list[dict]:
    return [{"name": k, "value": str(v)} for k, v in values.items()]


def tariffs(seed: int, business_id: int, campaign_id: int, shop_sku: str) -> list[dict]:
    """TariffDTO list of the SKU: percent tariffs carry the deprecated `percent` most of the time."""
    rng = keyed_rng(seed, business_id, campaign_id, shop_sku, "tariffs")
    price = product(seed, business_id, shop_sku)["price"]
    model = placement(business_id, campaign_id)

    def relative(kind: str, rate: float, **extra: object) -> dict:
        tariff = {"type": kind, "amount": round(price * rate / 100, 2), "currency": "RUR",
                  "parameters": _param(value=rate, valueType="relative", **extra)}
        if rng.random() < 0.7:
            tariff["percent"] = rate
        return tariff

    def absolute(kind: str, amount: float, **extra: object) -> dict:
        return {"type": kind, "amount": amount, "currency": "RUR",
                "parameters": _param(value=amount, valueType="absolute", **extra)}

    found = [relative("FEE", rng.choice((4.0, 6.0, 8.0, 11.0, 15.0))), relative("AGENCY_COMMISSION", 1.7)]
    found.append({"type": "PAYMENT_TRANSFER", "amount": round(price * 0.01, 2), "currency": "RUR", "parameters": []})
    if model == "FBY":
        found.append(absolute("DELIVERY_TO_CUSTOMER", float(rng.choice((40, 60, 90))), priceFrom=0, priceTo=100000))
        found.append(absolute("FF_STORAGE_BILLING", round(rng.uniform(0.5, 5.0), 2), billingUnit="DAY"))
    elif model == "FBS":
        found.append(absolute("SORTING", 45.0, fromOrders=1, toOrders=5))
        found.append(absolute("SORTING", 20.0, fromOrders=6, toOrders=100))
        found.append(absolute("MIDDLE_MILE", float(rng.choice((15, 25, 60)))))
    return found


def goods_stats(seed: int, business_id: int, campaign_id: int, shop_sku: str, day: date,
                novel: tuple[str, str] | None = None) -> dict:
    """GoodsStatsGoodsDTO of one SKU on `day`; `novel` = (tariff type, stock type) outside the
    spec's enums, added to every tariff list and warehouse (the control route's unknown values)."""
    card = product(seed, business_id, shop_sku)
    item: dict = {"shopSku": shop_sku}
    if card["marketSku"] is not None:
        item["marketSku"] = card["marketSku"]
    item |= {k: card[k] for k in ("name", "price", "categoryId", "categoryName", "weightDimensions")}
    warehouses = stocks(seed, business_id, campaign_id, shop_sku, day)
    tariff_list = tariffs(seed, business_id, campaign_id, shop_sku)
    if novel:
        tariff_list.append({"type": novel[0], "amount": 1.0, "currency": "RUR", "parameters": []})
        for warehouse in warehouses:
            warehouse["stocks"].append({"type": novel[1], "count": 1})
    if warehouses:
        item["warehouses"] = warehouses
    item["tariffs"] = tariff_list
    if card["pictures"]:
        item["pictures"] = card["pictures"]
    return item


def offer_mapping(seed: int, business_id: int, shop_sku: str, campaign_id: int, day: date) -> dict:
    """GetOfferMappingDTO of one offer (not archived; placed in its one campaign)."""
    card = product(seed, business_id, shop_sku)
    rng = keyed_rng(seed, business_id, shop_sku, "offer")
    updated = datetime.combine(day - timedelta(days=rng.randint(1, 60)), time(rng.randint(0, 23)), MSK)
    on_stock = any(s["type"] == "AVAILABLE" and s["count"] > 0
                   for w in stocks(seed, business_id, campaign_id, shop_sku, day) for s in w["stocks"])
    offer = {
        "offerId": shop_sku,
        "name": card["name"],
        "marketCategoryId": card["categoryId"],
        "vendor": card["vendor"],
        "vendorCode": shop_sku.replace("-", ""),
        "weightDimensions": card["weightDimensions"],
        "basicPrice": {"value": card["price"], "currencyId": "RUR", "updatedAt": updated.isoformat()},
        "cardStatus": card["cardStatus"],
        "campaigns": [{"campaignId": campaign_id, "status": "PUBLISHED" if on_stock else "NO_STOCKS"}],
        "sellingPrograms": [{"sellingProgram": placement(business_id, campaign_id), "status": "FINE"}],
        "archived": False,
    }
    if card["pictures"]:
        offer["pictures"] = card["pictures"]
    mapping = {}
    if card["marketSku"] is not None:
        mapping = {"marketSku": card["marketSku"], "marketSkuName": card["name"],
                   "marketCategoryId": card["categoryId"], "marketCategoryName": card["categoryName"]}
    return {"offer": offer, "mapping": mapping}
