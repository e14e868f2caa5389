"""Deterministic promotion data (wb-api.md §4): a seller's campaigns, their daily statistics
by platform and product, keyword and search-cluster figures, and WB Media campaigns.

Every value is a pure function of (seed, seller sid, campaign, day, ...), never of the clock,
so tests import these functions as ground truth. Campaigns advertise the seller's own
products (`data.products`), so nmIDs and names agree with every other report.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import lru_cache

from emulator.common.seeded import keyed_hash, keyed_rng
from emulator.wb.data.csv_rows import days
from emulator.wb.data.seller import products

STAT_STATUSES = (7, 9, 11)  # finished, running, paused: the only ones with statistics
APP_TYPES = (1, 32, 64)  # site, Android, iOS
_APP_SHARE = {1: 0.15, 32: 0.5, 64: 0.35}
# (status, type) of a seller's first campaigns, so every seller has each kind; then random.
_PRESET = ((9, 9), (9, 8), (11, 9), (7, 8), (4, 9), (8, 9), (7, 9), (11, 8))
_STATUS_WEIGHTS = {9: 5, 11: 3, 7: 3, 4: 1, 8: 1, -1: 1}
_ACTIVE_SHARE = {9: 0.95, 11: 0.6, 7: 0.35}  # days with impressions, by status
COUNTS = ("views", "clicks", "atbs", "orders", "shks", "canceled")
MONEY = ("sum", "sum_price")
# WB Media: statuses of campaigns that ran (running, finished, paused three ways).
MEDIA_STAT_STATUSES = (6, 7, 9, 10, 11)
_MEDIA_ACTIVE_SHARE = {6: 0.95, 7: 0.35, 9: 0.3, 10: 0.6, 11: 0.3}
_MEDIA_STATUSES = (6, 7, 9, 11, 1, 2, 8, 10)
_MODIFIERS = ("", " купить", " недорого", " {brand}", " «{model}»", " в подарок", " новинка", " распродажа",
              " с доставкой", " хит продаж")
_CATEGORIES = ("Женщинам", "Мужчинам", "Детям", "Дом", "Электроника", "Аксессуары")
_EPOCH = date(2024, 1, 1)


def _moment(rng: random.Random, day: date) -> str:
    """A Moscow-time timestamp with microseconds, as WB's campaign service writes them."""
    return (f"{day.isoformat()}T{rng.randint(8, 22):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
            f".{rng.randint(0, 999_999):06d}+03:00")


@lru_cache(maxsize=256)
def _campaigns(seed: int, sid: str) -> tuple[dict, ...]:
    rng = keyed_rng(seed, sid, "adverts")
    catalogue = products(seed, sid)
    advert_id = 10_000_000 + keyed_hash(seed, sid, "advert-ids") % 20_000_000
    found = []
    for i in range(rng.randint(len(_PRESET) + 2, 24)):
        advert_id += rng.randint(1, 90_000)
        if i < len(_PRESET):
            status, kind = _PRESET[i]
        else:
            status = rng.choices(list(_STATUS_WEIGHTS), weights=list(_STATUS_WEIGHTS.values()))[0]
            kind = rng.choice((8, 9))
        goods = sorted(rng.sample(catalogue, min(len(catalogue), rng.randint(1, 5))), key=lambda p: p["nmID"])
        created = _EPOCH + timedelta(days=rng.randint(0, 400))
        found.append(
            {
                "advertId": advert_id,
                "type": kind,
                "status": status,
                "name": f"{goods[0]['subjectName']} — {'единая ставка' if kind == 8 else 'поиск'} {i + 1}",
                "bid_type": "unified" if kind == 8 else rng.choice(("manual", "unified")),
                "createTime": _moment(rng, created),
                "changeTime": _moment(rng, created + timedelta(days=rng.randint(0, 300))),
                "nms": tuple(goods),
                "cpm": rng.randint(150, 700),
            }
        )
    return tuple(found)


def campaigns(seed: int, sid: str) -> list[dict]:
    """The seller's campaigns (advertId ascending), with the products each advertises."""
    return [dict(c) for c in _campaigns(seed, sid)]


def campaign(seed: int, sid: str, advert_id: int) -> dict | None:
    return next((c for c in _campaigns(seed, sid) if c["advertId"] == advert_id), None)


def stat_campaign(seed: int, sid: str, advert_id: int) -> dict | None:
    """The seller's campaign if it has statistics (status 7, 9 or 11), else None."""
    found = campaign(seed, sid, advert_id)
    return found if found and found["status"] in STAT_STATUSES else None


def campaign_count(seed: int, sid: str) -> dict:
    """The GET /adv/v1/promotion/count answer: campaigns grouped by (type, status)."""
    groups: dict[tuple[int, int], list[dict]] = {}
    for c in _campaigns(seed, sid):
        groups.setdefault((c["type"], c["status"]), []).append(c)
    adverts = [
        {"type": kind, "status": status, "count": len(found),
         "advert_list": [{"advertId": c["advertId"], "changeTime": c["changeTime"]} for c in found]}
        for (kind, status), found in sorted(groups.items())
    ]
    return {"adverts": adverts, "all": len(_campaigns(seed, sid))}


# --- daily statistics ------------------------------------------------------------------------


def with_ratios(figures: dict) -> dict:
    """Add CTR and CR (%) and CPC (RUB) computed from the counts, as WB does at every level."""
    views, clicks = figures["views"], figures["clicks"]
    return {
        **figures,
        "ctr": round(100 * clicks / views, 2) if views else 0,
        "cpc": round(figures["sum"] / clicks, 2) if clicks else 0,
        "cr": round(100 * figures["orders"] / clicks, 2) if clicks else 0,
    }


def total(parts: list[dict]) -> dict:
    """Counts and money summed over `parts`, with the ratios recomputed."""
    figures = {k: sum(p[k] for p in parts) for k in COUNTS}
    figures.update({k: round(sum(p[k] for p in parts), 2) for k in MONEY})
    return with_ratios(figures)


def _product_day(rng: random.Random, c: dict, product: dict, app: int) -> dict:
    views = int(rng.lognormvariate(5.0, 0.9) * _APP_SHARE[app])
    clicks = int(views * rng.uniform(0.01, 0.08))
    atbs = int(clicks * rng.uniform(0.05, 0.25))
    orders = int(atbs * rng.uniform(0.2, 0.6))
    shks = orders + (rng.randint(0, 1) if orders else 0)
    return with_ratios(
        {
            "views": views,
            "clicks": clicks,
            "atbs": atbs,
            "orders": orders,
            "shks": shks,
            "canceled": int(orders * rng.uniform(0, 0.15)),
            "sum": round(views * c["cpm"] / 1000 * rng.uniform(0.8, 1.2), 2),
            "sum_price": float(shks * product["price"]),
        }
    )


def is_active(seed: int, sid: str, c: dict, day: date) -> bool:
    """Whether the campaign showed ads that day; only campaigns with statistics ever do."""
    share = _ACTIVE_SHARE.get(c["status"], 0.0)
    return keyed_rng(seed, sid, "advert-active", c["advertId"], day).random() < share


def campaign_day(seed: int, sid: str, c: dict, day: date) -> dict | None:
    """One `days` element in the v3 shape (apps → nms, with `canceled`), or None if idle."""
    if not is_active(seed, sid, c, day):
        return None
    rng = keyed_rng(seed, sid, "advert-day", c["advertId"], day)
    apps = []
    for app in APP_TYPES:
        if app == 1 and rng.random() < 0.3:  # few site impressions: some days none
            continue
        nms = [{**_product_day(rng, c, p, app), "nmId": p["nmID"], "name": p["name"]} for p in c["nms"]]
        apps.append({**total(nms), "appType": app, "nms": nms})
    return {**total(apps), "date": f"{day.isoformat()}T00:00:00Z", "apps": apps}


def booster(seed: int, sid: str, c: dict, day: date) -> list[dict]:
    """Average positions of a unified-bid campaign's products on an active day."""
    if c["bid_type"] != "unified" or not is_active(seed, sid, c, day):
        return []
    rng = keyed_rng(seed, sid, "booster", c["advertId"], day)
    return [{"date": day.isoformat(), "nm": p["nmID"], "avg_position": rng.randint(1, 400)} for p in c["nms"]]


def fullstats(seed: int, sid: str, advert_id: int, days: list[date]) -> dict | None:
    """One campaign's statistics over `days` in the v3 shape; None unless it has statistics."""
    c = stat_campaign(seed, sid, advert_id)
    if c is None:
        return None
    active = [d for d in (campaign_day(seed, sid, c, day) for day in days) if d]
    zero = with_ratios({k: 0 for k in COUNTS} | {k: 0.0 for k in MONEY})
    item = {**(total(active) if active else zero), "advertId": advert_id, "days": active}
    boosts = [b for day in days for b in booster(seed, sid, c, day)]
    return {**item, "boosterStats": boosts} if boosts else item


def fullstats_v2(item: dict) -> dict:
    """The retired v2 shape of a v3 item: `nm` instead of `nms`, no `canceled`, dates with
    Moscow offsets, booster dates as date-times."""

    def strip(figures: dict) -> dict:
        return {k: v for k, v in figures.items() if k != "canceled"}

    days = [
        {**strip({k: v for k, v in d.items() if k != "apps"}),
         "date": f"{d['date'][:10]}T03:00:00+03:00",
         "apps": [{**strip({k: v for k, v in a.items() if k != "nms"}), "nm": [strip(n) for n in a["nms"]]}
                  for a in d["apps"]]}
        for d in item["days"]
    ]
    boosts = [{**b, "date": f"{b['date']}T00:00:00Z"} for b in item.get("boosterStats", [])]
    return {**strip(item), "days": days, "boosterStats": boosts}


# --- keywords and search clusters -------------------------------------------------------------


def phrases(product: dict) -> list[str]:
    """Search phrases a shopper types for a product: its noun with common modifiers."""
    noun = product["name"].split(" «")[0].lower()
    model = product["name"].split("«")[1].split("»")[0] if "«" in product["name"] else ""
    return [noun + m.format(brand=product["brandName"].lower(), model=model.lower()) for m in _MODIFIERS]


def _phrase_day(rng: random.Random, phrase: str) -> dict:
    views = int(rng.lognormvariate(4.0, 1.0))
    clicks = int(views * rng.uniform(0.005, 0.08))
    return {"keyword": phrase, "views": views, "clicks": clicks,
            "ctr": round(100 * clicks / views, 2) if views else 0, "sum": round(views * rng.uniform(0.15, 0.7), 2)}


def keywords_day(seed: int, sid: str, advert_id: int, day: date) -> list[dict]:
    """GET /adv/v0/stats/keywords `stats` of one day: phrases of the advertised products."""
    c = stat_campaign(seed, sid, advert_id)
    if c is None or not is_active(seed, sid, c, day):
        return []
    rng = keyed_rng(seed, sid, "keywords", advert_id, day)
    found = {p: _phrase_day(rng, p) for product in c["nms"] for p in phrases(product) if rng.random() < 0.6}
    return sorted(found.values(), key=lambda s: (-s["views"], s["keyword"]))


def keywords(seed: int, sid: str, advert_id: int, begin: date, end: date) -> list[dict]:
    """The `keywords` list: one element per day with keyword statistics."""
    found = [{"date": d.isoformat(), "stats": keywords_day(seed, sid, advert_id, d)} for d in days(begin, end)]
    return [k for k in found if k["stats"]]


def stat_words(seed: int, sid: str, advert_id: int) -> dict:
    """GET /adv/v2/auto/stat-words of a unified-bid campaign: phrase clusters with impressions."""
    c = stat_campaign(seed, sid, advert_id)
    assert c is not None and c["type"] == 8
    rng = keyed_rng(seed, sid, "clusters", advert_id)
    clusters: dict[str, dict] = {}  # one cluster per head phrase: two products of one kind share it
    for product in c["nms"]:
        head, *rest = phrases(product)
        shown = [p for p in rest if rng.random() < 0.7]
        cluster = clusters.setdefault(head, {"cluster": head, "count": 0, "keywords": [head]})
        cluster["count"] += rng.randint(50, 40_000)
        cluster["keywords"] += [p for p in shown if p not in cluster["keywords"]]
    excluded = [f"{p['name'].split(' «')[0].lower()} б/у" for p in c["nms"] if rng.random() < 0.5]
    return {"excluded": excluded, "clusters": sorted(clusters.values(), key=lambda k: (-k["count"], k["cluster"]))}


def stat_words_manual(seed: int, sid: str, advert_id: int) -> dict:
    """GET /adv/v1/stat/words of a manual-bid campaign: keyword settings and the top phrases
    over the campaign's life, after a first "Всего по кампании" total."""
    c = stat_campaign(seed, sid, advert_id)
    assert c is not None and c["type"] != 8
    rng = keyed_rng(seed, sid, "words", advert_id)
    all_phrases = sorted({p for product in c["nms"] for p in phrases(product)})
    stats = [{**_phrase_day(rng, p), "frq": rng.randint(1, 3)} for p in all_phrases]
    stats = sorted(stats, key=lambda s: (-s["views"], s["keyword"]))[:60]
    head = {k: sum(s[k] for s in stats) for k in ("views", "clicks")} | {"sum": round(sum(s["sum"] for s in stats), 2)}
    head |= {"keyword": "Всего по кампании", "frq": 1,
             "ctr": round(100 * head["clicks"] / head["views"], 2) if head["views"] else 0}
    common = {"advertId": advert_id, "advertName": "", "campaignName": c["name"], "begin": c["createTime"],
              "end": c["changeTime"], "duration": rng.randint(86_400, 20_000_000)}
    stat = [{**common, **s, "cpc": round(s["sum"] / s["clicks"], 2) if s["clicks"] else 0} for s in [head, *stats]]
    words = {"phrase": [], "strong": [], "excluded": [], "pluse": all_phrases[:2] if rng.random() < 0.3 else [],
             "keywords": [{"keyword": s["keyword"], "count": s["views"]} for s in stats], "fixed": rng.random() < 0.3}
    return {"words": words, "stat": stat}


def normquery_day(seed: int, sid: str, advert_id: int, nm_id: int, day: date) -> list[dict]:
    """Search-cluster statistics of one product of one campaign on one day (v1 `stat` shape)."""
    c = stat_campaign(seed, sid, advert_id)
    if c is None:
        return []
    product = next((p for p in c["nms"] if p["nmID"] == nm_id), None)
    if product is None or not is_active(seed, sid, c, day):
        return []
    rng = keyed_rng(seed, sid, "normquery", advert_id, nm_id, day)
    found = []
    for phrase in phrases(product):
        if rng.random() < 0.5:
            continue
        views = int(rng.lognormvariate(4.5, 1.0))
        clicks = int(views * rng.uniform(0.01, 0.08))
        spend = round(views * c["cpm"] / 1000, 2)
        found.append({"normQuery": phrase, "views": views, "clicks": clicks,
                      "atbs": int(clicks * rng.uniform(0.05, 0.25)), "orders": int(clicks * rng.uniform(0, 0.05)),
                      "ctr": round(100 * clicks / views, 2) if views else 0,
                      "cpc": round(spend / clicks, 2) if clicks else 0, "cpm": float(c["cpm"]),
                      "avgPos": round(rng.uniform(1, 60), 1), "shks": int(clicks * rng.uniform(0, 0.05)),
                      "spend": spend})
    return found


def normquery_v0(seed: int, sid: str, advert_id: int, nm_id: int, begin: date, end: date) -> list[dict]:
    """POST /adv/v0/normquery/stats `stats` of one pair: the clusters summed over the period,
    in the 2025-12 field set (norm_query, views, clicks, atbs, orders, ctr, cpc, cpm, avg_pos)."""
    sums: dict[str, dict] = {}
    for day in days(begin, end):
        for s in normquery_day(seed, sid, advert_id, nm_id, day):
            acc = sums.setdefault(s["normQuery"], {"views": 0, "clicks": 0, "atbs": 0, "orders": 0, "spend": 0.0,
                                                   "pos": []})
            for k in ("views", "clicks", "atbs", "orders", "spend"):
                acc[k] += s[k]
            acc["pos"].append(s["avgPos"])
    return [
        {"norm_query": q, "views": a["views"], "clicks": a["clicks"], "atbs": a["atbs"], "orders": a["orders"],
         "ctr": round(100 * a["clicks"] / a["views"], 2) if a["views"] else 0,
         "cpc": round(a["spend"] / a["clicks"], 2) if a["clicks"] else 0,
         "cpm": round(1000 * a["spend"] / a["views"], 2) if a["views"] else 0,
         "avg_pos": round(sum(a["pos"]) / len(a["pos"]), 1)}
        for q, a in sorted(sums.items())
    ]


def normquery_v1(seed: int, sid: str, advert_id: int, nm_id: int, begin: date, end: date) -> list[dict]:
    """POST /adv/v1/normquery/stats `dailyStats` of one pair: one element per day and cluster."""
    return [{"date": day.isoformat(), "stat": s}
            for day in days(begin, end) for s in normquery_day(seed, sid, advert_id, nm_id, day)]


# --- WB Media (advert-media-api) --------------------------------------------------------------


@lru_cache(maxsize=256)
def _media(seed: int, sid: str) -> tuple[dict, ...]:
    rng = keyed_rng(seed, sid, "media")
    catalogue = products(seed, sid)
    advert_id = 100_000 + keyed_hash(seed, sid, "media-ids") % 800_000
    item_id = 10_000 + keyed_hash(seed, sid, "banner-ids") % 80_000
    found = []
    for i in range(rng.choice((0, 2, 3, 4, 6))):
        advert_id += rng.randint(1, 5_000)
        product = rng.choice(catalogue)
        status = _MEDIA_STATUSES[i] if i < 2 else rng.choice(_MEDIA_STATUSES)
        kind = rng.choice((1, 2))
        created = _EPOCH + timedelta(days=rng.randint(0, 400))
        banners = []
        for _ in range(rng.randint(1, 3)):
            item_id += rng.randint(1, 900)
            banners.append({"item_id": item_id, "place": rng.randint(1, 8), "category_name": rng.choice(_CATEGORIES),
                            "price": float(rng.choice((50_000, 100_000, 175_000, 250_000)))})
        media = {
            "advertId": advert_id,
            "name": f"{product['brandName']}: {product['subjectName'].lower()} {i + 1}",
            "brand": product["brandName"],
            "type": kind,
            "status": status,
            "createTime": _moment(rng, created),
            "subject_name": product["subjectName"],
            "banners": tuple(banners),
        }
        if status in (7, 8):
            media["endTime"] = _moment(rng, created + timedelta(days=rng.randint(7, 120)))
        found.append(media)
    return tuple(found)


def media_campaigns(seed: int, sid: str) -> list[dict]:
    """GET /adv/v1/adverts items, advertId ascending (banners are internal)."""
    keys = ("advertId", "name", "brand", "type", "status", "createTime", "endTime")
    return [{k: m[k] for k in keys if k in m} for m in _media(seed, sid)]


def _media_app(rng: random.Random) -> dict:
    views = int(rng.lognormvariate(7.0, 0.8))
    clicks = int(views * rng.uniform(0.005, 0.03))
    atbs = int(clicks * rng.uniform(0.0, 0.1))
    return {"views": views, "clicks": clicks, "atbs": atbs, "orders": int(atbs * rng.uniform(0, 0.5))}


def _app_stats(figures: dict, by_dates: bool) -> dict:
    """Per-platform figures: an interval answer (Stats1) has no orders and CR, a dates one (Stats2) has."""
    views, clicks = figures["views"], figures["clicks"]
    shown = {"views": views, "clicks": clicks, "atbs": figures["atbs"],
             "ctr": round(100 * clicks / views, 2) if views else 0}
    if by_dates:
        shown |= {"orders": figures["orders"], "cr": round(100 * figures["orders"] / clicks, 2) if clicks else 0}
    return shown


def media_stats(seed: int, sid: str, advert_id: int, days: list[date], by_dates: bool = False) -> list[dict]:
    """POST /adv/v1/stats `stats` of one media campaign over `days`: one Stat per banner that
    was shown; empty unless the campaign ever ran."""
    media = next((m for m in _media(seed, sid) if m["advertId"] == advert_id), None)
    if media is None or media["status"] not in MEDIA_STAT_STATUSES:
        return []
    found = []
    for banner in media["banners"]:
        daily, sums = [], {"views": 0, "clicks": 0, "atbs": 0, "orders": 0}
        for day in days:
            rng = keyed_rng(seed, sid, "media-day", banner["item_id"], day)
            if rng.random() > _MEDIA_ACTIVE_SHARE[media["status"]]:
                continue
            apps = []
            for app in APP_TYPES:
                figures = _media_app(rng)
                sums = {k: sums[k] + figures[k] for k in sums}
                apps.append({"app_type": app, "stats": [_app_stats(figures, by_dates)]})
            daily.append({"date": f"{day.isoformat()}T00:00:00+03:00", "app_type_stats": apps})
        if not daily:
            continue
        views, clicks, atbs, orders = sums["views"], sums["clicks"], sums["atbs"], sums["orders"]
        expenses = round(banner["price"] * len(daily) / 7, 2) if media["type"] == 1 else round(views * 0.35, 2)
        found.append({
            "item_id": banner["item_id"], "item_name": media["brand"], "category_name": banner["category_name"],
            "advert_type": media["type"], "place": banner["place"], "views": views, "clicks": clicks,
            "cr": round(100 * orders / clicks, 2) if clicks else 0,
            "ctr": round(100 * clicks / views, 2) if views else 0,
            "date_from": media["createTime"],
            "date_to": media.get("endTime", f"{max(days).isoformat()}T23:59:59+03:00"),
            "subject_name": media["subject_name"], "atbs": atbs, "orders": orders, "price": banner["price"],
            "cpc": round(expenses / clicks, 2) if clicks else 0, "status": media["status"], "daily_stats": daily,
            "expenses": expenses, "cr1": round(100 * atbs / clicks, 2) if clicks else 0,
            "cr2": round(100 * orders / atbs) if atbs else 0,
        })
    return found
