"""Deterministic sales-funnel figures (wb-api.md §5): views, carts, orders, buyouts and cancels
of every product of a seller on every day.

Everything is built from one `Funnel` per (product, day), a pure function of (seed, sid, nmID,
day): a period is the sum of its days and a group the sum of its products, so the v2 and v3
answers, the period and the per-day endpoints all agree, and tests use these functions as the
ground truth. This is the seller's one synthetic truth (issue 15): the CSV reports
DETAIL_HISTORY_REPORT and GROUPED_HISTORY_REPORT (`csv_rows.funnel_rows`) sum the same days, so a
(product, day) CSV row equals the v2 and v3 history rows of that product and day. What differs
is derived, never drawn again: a week or month row is the sum of its days, a group the sum of
its products, percents are rounded from the summed counts, sums are whole roubles (price x count).
Products come from `data.products`, stocks from the stocks report of the day.
The blocks of the answers (a period's statistics, a history row) are built here too, in each
generation's field names, the way `data.stocks_products` builds the stocks report's items.

Days are pure (seed, sid, day) functions of one RNG per seller-day, so a year of a 2,000-card
seller takes a few seconds; the harvester asks one day at a time.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

from emulator.common.seeded import keyed_hash
from emulator.wb.data import seller

_WEEKDAY = (0.95, 0.9, 0.9, 0.95, 1.0, 1.15, 1.2)  # Monday .. Sunday: people shop at weekends


class Funnel(NamedTuple):
    """One product's (or group's) funnel over a day or a period; sums are whole roubles."""

    views: int  # card opened
    carts: int
    orders: int
    order_sum: int
    buyouts: int
    buyout_sum: int
    cancels: int
    cancel_sum: int
    wishlist: int
    club_orders: int  # what WB Club members ordered, bought out and cancelled
    club_order_sum: int
    club_buyouts: int
    club_buyout_sum: int
    club_cancels: int
    club_cancel_sum: int


ZERO = Funnel(*[0] * len(Funnel._fields))


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def pct(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def total(funnels: Iterable[Funnel]) -> Funnel:
    """The field-wise sum (a period is the sum of its days, a group of its products)."""
    return Funnel(*map(sum, zip(ZERO, *funnels, strict=False)))


@dataclass(frozen=True)
class _Profile:
    """What makes one product sell: traffic and its conversion rates, fixed per product."""

    views: float
    cart_rate: float
    order_rate: float
    buyout_rate: float
    cancel_rate: float
    wishlist_rate: float
    club_share: float
    price: int  # the selling price after the seller's discount


def _profile(seed: int, sid: str, product: dict) -> _Profile:
    rng = random.Random(keyed_hash(seed, sid, product["nmID"], "funnel"))
    clothes = product["hasSizes"]  # clothes and shoes are returned far more often
    return _Profile(
        views=0.0 if product["isDeleted"] else rng.lognormvariate(3.5, 1.2),
        cart_rate=rng.uniform(0.03, 0.15),
        order_rate=rng.uniform(0.15, 0.45),
        buyout_rate=rng.uniform(0.25, 0.6) if clothes else rng.uniform(0.75, 0.97),
        cancel_rate=rng.uniform(0.02, 0.1),
        wishlist_rate=rng.uniform(0.01, 0.06),
        club_share=rng.uniform(0.05, 0.3),
        price=max(10, round(product["price"] * rng.uniform(0.5, 0.9))),
    )


def _day(rng: random.Random, prof: _Profile, weekday: float) -> Funnel:
    """One product's day; counts are rounded at random, so small products still sell now and then."""
    if not prof.views:
        return ZERO
    r = rng.random
    views = int(prof.views * weekday * (0.6 + 0.8 * r()) + r())
    carts = int(views * prof.cart_rate + r())
    orders = int(carts * prof.order_rate * (0.7 + 0.6 * r()) + r())
    buyouts = min(orders, int(orders * prof.buyout_rate + r()))
    cancels = min(orders - buyouts, int(orders * prof.cancel_rate + r()))
    price = round(prof.price * (0.97 + 0.06 * r()))
    club = [int(n * prof.club_share + 0.5) for n in (orders, buyouts, cancels)]
    return Funnel(
        views, carts, orders, orders * price, buyouts, buyouts * price, cancels, cancels * price,
        int(views * prof.wishlist_rate + r()),
        club[0], club[0] * price, club[1], club[1] * price, club[2], club[2] * price,
    )


@lru_cache(maxsize=1 << 15)
def _funnel_on(seed: int, sid: str, nm_id: int, day: date) -> Funnel:
    """Cached per product and day, so its memory is bounded whatever the catalogues."""
    rng = random.Random(keyed_hash(seed, sid, nm_id, "funnel-day", day))
    product = seller.products(seed, sid).by_nm(nm_id)
    return _day(rng, _profile(seed, sid, product), _WEEKDAY[day.weekday()])


def product_day(seed: int, sid: str, product: dict, day: date) -> Funnel:
    """One product's funnel on one day, from its own key (deleted products sell nothing)."""
    return _funnel_on(seed, sid, product["nmID"], day)


def product_period(seed: int, sid: str, product: dict, start: date, end: date) -> Funnel:
    """One product's funnel summed over [start, end]."""
    return total(_funnel_on(seed, sid, product["nmID"], day) for day in days(start, end))


def day_funnel(seed: int, sid: str, day: date) -> dict[int, Funnel]:
    """Every product's funnel on one day, by nmID."""
    return {p["nmID"]: product_day(seed, sid, p, day) for p in seller.products(seed, sid)}


def period_funnel(seed: int, sid: str, start: date, end: date,
                  products: Iterable[dict] | None = None) -> dict[int, Funnel]:
    """Each product's funnel (of `products`, else the whole catalogue) summed over [start, end], by nmID."""
    return {p["nmID"]: product_period(seed, sid, p, start, end)
            for p in (seller.products(seed, sid) if products is None else products)}


def group_key(product: dict) -> tuple[int, str]:
    """Funnel groups are a subject and a brand (emulated sellers put no tags on cards)."""
    return product["subjectID"], product["brandName"]


def group_funnel(funnels: dict[int, Funnel], products: Sequence[dict]) -> dict[tuple[int, str], Funnel]:
    """Sum per-product funnels into (subjectID, brandName) groups, in first-seen order."""
    members: dict[tuple[int, str], list[Funnel]] = {}
    for p in products:
        members.setdefault(group_key(p), []).append(funnels[p["nmID"]])
    return {key: total(found) for key, found in members.items()}


@dataclass(frozen=True)
class CardFacts:
    """What v3 reports about a card besides its funnel: ratings and delivery, fixed per card."""

    product_rating: float
    feedback_rating: float
    time_to_ready_mins: int  # from order to pick-up point
    localization_percent: int  # orders served from the buyer's own region


def card_facts(seed: int, sid: str, nm_id: int) -> CardFacts:
    rng = random.Random(keyed_hash(seed, sid, nm_id, "card-facts"))
    return CardFacts(
        product_rating=round(rng.uniform(6.0, 10.0), 1),
        feedback_rating=round(rng.uniform(3.8, 5.0), 1),
        time_to_ready_mins=rng.randint(18 * 60, 6 * 24 * 60),
        localization_percent=rng.randint(35, 95),
    )


def stock_pair(seed: int, sid: str, product: dict, day: date) -> tuple[int, int]:
    """(stock at WB warehouses, stock at the seller's own) of a product: WB's figure is the
    stocks report's of that day, the seller's a small fixed share of sellers who also ship FBS."""
    rng = random.Random(keyed_hash(seed, sid, product["nmID"], "fbs-stock"))
    own = 0 if product["isDeleted"] or rng.random() < 0.7 else rng.randint(1, 300)
    return seller.stock_on(seed, sid, product, day), own


# --- the answers' blocks, in each generation's field names -----------------------------------


def dynamic(now: float, past: float) -> int:
    """Change against the past period in percent, as WB rounds it (from nothing: +100)."""
    if not past:
        return 100 if now else 0
    return round(100 * (now - past) / past)


def avg_price(f: Funnel) -> int:
    return round(f.order_sum / f.orders) if f.orders else 0


def _per_day(count: int, start: date, end: date) -> float:
    return count / ((end - start).days + 1) if start <= end else 0.0


def v2_period(f: Funnel, start: date, end: date, selected: bool) -> dict:
    """selectedPeriod / previousPeriod of v2. Its schema types the selected period's
    avgOrdersCountPerDay as int32 and the previous period's as a number: both kept."""
    per_day = _per_day(f.orders, start, end)
    return {
        "begin": f"{start} 00:00:00", "end": f"{end} 23:59:59",
        "openCardCount": f.views, "addToCartCount": f.carts, "ordersCount": f.orders, "ordersSumRub": f.order_sum,
        "buyoutsCount": f.buyouts, "buyoutsSumRub": f.buyout_sum, "cancelCount": f.cancels,
        "cancelSumRub": f.cancel_sum, "avgPriceRub": avg_price(f),
        "avgOrdersCountPerDay": round(per_day) if selected else round(per_day, 2),
        "conversions": {"addToCartPercent": pct(f.carts, f.views), "cartToOrderPercent": pct(f.orders, f.carts),
                        "buyoutsPercent": pct(f.buyouts, f.orders)},
    }


_V2_DYNAMICS = {
    "openCard": "openCardCount", "addToCart": "addToCartCount", "ordersCount": "ordersCount",
    "ordersSumRub": "ordersSumRub", "buyoutsCount": "buyoutsCount", "buyoutsSumRub": "buyoutsSumRub",
    "cancelCount": "cancelCount", "cancelSumRub": "cancelSumRub", "avgOrdersCountPerDay": "avgOrdersCountPerDay",
    "avgPriceRub": "avgPriceRub",
}


def v2_statistics(now: Funnel, past: Funnel, selected: tuple[date, date], previous: tuple[date, date]) -> dict:
    """A v2 card's or group's `statistics`: both periods and their comparison (conversions in points)."""
    sel, prev = v2_period(now, *selected, True), v2_period(past, *previous, False)
    comparison: dict = {f"{k}Dynamics": dynamic(sel[v], prev[v]) for k, v in _V2_DYNAMICS.items()}
    comparison["conversions"] = {k: v - prev["conversions"][k] for k, v in sel["conversions"].items()}
    return {"selectedPeriod": sel, "previousPeriod": prev, "periodComparison": comparison}


def v2_history_row(day: date, f: Funnel, precise: bool) -> dict:
    """A v2 history element; detail/history types addToCartConversion as a number, grouped as int32."""
    to_cart = 100 * f.carts / f.views if f.views else 0
    return {
        "dt": day.isoformat(), "openCardCount": f.views, "addToCartCount": f.carts, "ordersCount": f.orders,
        "ordersSumRub": f.order_sum, "buyoutsCount": f.buyouts, "buyoutsSumRub": f.buyout_sum,
        "buyoutPercent": pct(f.buyouts, f.orders),
        "addToCartConversion": round(to_cart, 1) if precise else round(to_cart),
        "cartToOrderConversion": pct(f.orders, f.carts),
    }


def duration(mins: int) -> dict:
    """{days, hours, mins} of a signed number of minutes (each part carries the sign)."""
    whole_days, rest = divmod(abs(mins), 24 * 60)
    sign = -1 if mins < 0 else 1
    return {"days": sign * whole_days, "hours": sign * (rest // 60), "mins": sign * (rest % 60)}


def minutes(d: dict) -> int:
    return d["days"] * 24 * 60 + d["hours"] * 60 + d["mins"]


def v3_statistic(f: Funnel, start: date, end: date, facts: CardFacts, all_orders: int) -> dict:
    """One v3 Statistic; delivery time and localisation exist only where something was ordered."""
    club = Funnel(0, 0, f.club_orders, f.club_order_sum, f.club_buyouts, f.club_buyout_sum, f.club_cancels,
                  f.club_cancel_sum, *[0] * 7)
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "openCount": f.views, "cartCount": f.carts, "orderCount": f.orders, "orderSum": f.order_sum,
        "buyoutCount": f.buyouts, "buyoutSum": f.buyout_sum, "cancelCount": f.cancels, "cancelSum": f.cancel_sum,
        "avgPrice": avg_price(f), "avgOrdersCountPerDay": round(_per_day(f.orders, start, end), 2),
        "shareOrderPercent": round(100 * f.orders / all_orders, 2) if all_orders else 0,
        "addToWishlist": f.wishlist,
        "timeToReady": duration(facts.time_to_ready_mins if f.orders else 0),
        "localizationPercent": facts.localization_percent if f.orders else 0,
        "wbClub": {
            "orderCount": club.orders, "orderSum": club.order_sum, "buyoutSum": club.buyout_sum,
            "buyoutCount": club.buyouts, "cancelSum": club.cancel_sum, "cancelCount": club.cancels,
            "avgPrice": avg_price(club), "buyoutPercent": pct(club.buyouts, club.orders),
            "avgOrderCountPerDay": round(_per_day(club.orders, start, end), 2),
        },
        "conversions": {"addToCartPercent": pct(f.carts, f.views), "cartToOrderPercent": pct(f.orders, f.carts),
                        "buyoutPercent": pct(f.buyouts, f.orders)},
    }


_V3_DYNAMICS = ("openCount", "cartCount", "orderCount", "orderSum", "buyoutCount", "buyoutSum", "cancelCount",
                "cancelSum", "avgOrdersCountPerDay", "avgPrice", "shareOrderPercent", "addToWishlist",
                "localizationPercent")


def v3_statistics(sel: dict, past: dict) -> dict:
    """A v3 product's `statistic`: both periods and their comparison (conversions in points)."""
    comparison: dict = {f"{k}Dynamic": dynamic(sel[k], past[k]) for k in _V3_DYNAMICS}
    comparison["timeToReadyDynamic"] = duration(minutes(sel["timeToReady"]) - minutes(past["timeToReady"]))
    comparison["wbClubDynamic"] = {k: dynamic(v, past["wbClub"][k]) for k, v in sel["wbClub"].items()}
    comparison["conversions"] = {k: v - past["conversions"][k] for k, v in sel["conversions"].items()}
    return {"selected": sel, "past": past, "comparison": comparison}


def v3_history_row(day: date, f: Funnel) -> dict:
    return {
        "date": day.isoformat(), "openCount": f.views, "cartCount": f.carts, "orderCount": f.orders,
        "orderSum": f.order_sum, "buyoutCount": f.buyouts, "buyoutSum": f.buyout_sum,
        "buyoutPercent": pct(f.buyouts, f.orders), "addToCartConversion": pct(f.carts, f.views),
        "cartToOrderConversion": pct(f.orders, f.carts), "addToWishlistCount": f.wishlist,
    }

