"""Rows of the sales-funnel and search-query CSV reports (wb-api.md §8.4), plus the parameter
and product-filter helpers every CSV report shares. Rows are dicts keyed by column name with
raw values; csv_files.py turns them into the exact strings of the file.

Both derive from the seller's one daily truth, `funnel.day_funnel`: a funnel row sums its
product-days (equal to the v2/v3 funnel's), and a search row's views, carts and orders are a
fixed share of the funnel's over the period (search brings part of a card's traffic), rounded
down, so the search report never shows more orders than the funnel."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from emulator.common.seeded import keyed_rng
from emulator.wb.data import funnel as fd
from emulator.wb.data import seller
from emulator.wb.data.funnel import days, pct

FUNNEL_SUMS = (
    "openCardCount",
    "addToCartCount",
    "ordersCount",
    "ordersSumRub",
    "buyoutsCount",
    "buyoutsSumRub",
    "cancelCount",
    "cancelSumRub",
    "addToWishlist",
)
FUNNEL = ("dt", *FUNNEL_SUMS[:8], "addToCartConversion", "cartToOrderConversion", "buyoutPercent", *FUNNEL_SUMS[8:])
DETAIL_COLUMNS = ("nmID", *FUNNEL, "currency")
GROUPED_COLUMNS = (*FUNNEL, "currency")
SEARCH = ("AveragePosition", "OpenCard", "AddToCart", "OpenToCart", "Orders", "CartToOrder", "Visibility")
PAST = tuple(f"{c}Past" for c in SEARCH)
CARD = ("VendorCode", "Name", "SubjectName", "BrandName")
GROUP_COLUMNS = ("SubjectName", "SubjectID", "BrandName", "TagID", *SEARCH, *PAST)
PRICES = ("Rating", "FeedbackRating", "MinPrice", "MaxPrice")
PRODUCT_COLUMNS = ("NmID", *CARD, "IsAdvertised", "IsRated", *PRICES, *SEARCH, *PAST, "IsSubstitutedSKU", "Currency")
TEXT_EXTRA = ("Frequency", "MedianPosition")
PERCENTILES = ("OpenCard", "AddToCart", "OpenToCart", "Orders", "CartToOrder")
TEXT_COLUMNS = (
    "Text",
    "NmID",
    "SubjectName",
    "BrandName",
    "VendorCode",
    "Name",
    *PRICES,
    *TEXT_EXTRA,
    "AveragePosition",
    "OpenCard",
    "OpenCardPercentile",
    "AddToCart",
    "AddToCartPercentile",
    "OpenToCart",
    "OpenToCartPercentile",
    "Orders",
    "OrdersPercentile",
    "CartToOrder",
    "CartToOrderPercentile",
    "Visibility",
    "FrequencyPast",
    "MedianPositionPast",
    *PAST,
    "Currency",
)
# sort field of a request -> the column it orders by (the rest are the field capitalised)
SORT_COLUMNS = {
    "avgPosition": "AveragePosition",
    "orderCount": "Orders",
    "minPrice": "Price",
    "maxPrice": "Price",
}
CLUSTERS = {"all": (1, 10**9), "firstHundred": (1, 100), "secondHundred": (101, 200), "below": (201, 10**9)}
TEXT_WORDS = ["купить", "недорого", "распродажа", "новинка", "2026", "в подарок", "оптом", "хит", "качественный"]


def pick(params: dict, *names: str) -> Any:
    """A parameter under the first spelling present (WB moved from subjectIDs to subjectIds)."""
    return next((params[n] for n in names if params.get(n) is not None), None)


def period(params: dict, name: str = "currentPeriod") -> tuple[date, date]:
    """A {start, end} period parameter (the funnel reports have startDate/endDate instead)."""
    return date.fromisoformat(params[name]["start"]), date.fromisoformat(params[name]["end"])


def select_products(seed: int, sid: str, params: dict) -> Sequence[dict]:
    """The seller's catalogue after the report's filters, made product by product when read."""
    return seller.filtered(
        seed, sid, nm_ids=pick(params, "nmIDs", "nmIds"),
        tagged=bool(pick(params, "tagIDs", "tagIds") or params.get("tagId")),
        among=(("subjectID", pick(params, "subjectIDs", "subjectIds")),
               ("brandName", params.get("brandNames")),
               ("subjectID", [params["subjectId"]] if params.get("subjectId") else None),
               ("brandName", [params["brandName"]] if params.get("brandName") else None)),
        skip_deleted=bool(params.get("skipDeletedNm")))


def sort_column(field: str) -> str:
    return SORT_COLUMNS.get(field, field[:1].upper() + field[1:])


def order_rows(rows: list[dict], order: dict | None) -> list[dict]:
    """Sort by the request's orderBy when it names a column of the report (stable)."""
    if not order:
        return rows
    column = sort_column(order["field"])
    if not rows or column not in rows[0]:
        return rows
    return sorted(rows, key=lambda r: r[column], reverse=order["mode"] == "desc")


def bucket(day: date, level: str, start: date) -> date:
    """The row date of a day: itself, or the first day of its week or month within the period."""
    if level == "week":
        return max(start, day - timedelta(days=day.weekday()))
    return max(start, day.replace(day=1)) if level == "month" else day


def funnel_rows(seed: int, sid: str, params: dict, by_product: bool) -> list[dict]:
    """DETAIL_HISTORY_REPORT rows (nmID, dt) with any activity, or GROUPED_HISTORY_REPORT rows:
    every dt of the period, summed over the filtered products. Both sum `funnel.product_day`, so a
    (product, day) row equals the v2/v3 history rows of that product and day."""
    start, end = date.fromisoformat(params["startDate"]), date.fromisoformat(params["endDate"])
    level = params.get("aggregationLevel") or "day"
    products = select_products(seed, sid, params)
    members: dict[tuple, list[fd.Funnel]] = {}
    if products and not by_product:
        members = {(bucket(d, level, start),): [] for d in days(start, end)}
    for day in days(start, end) if products else ():
        for p in products:
            f = fd.product_day(seed, sid, p, day)
            if f != fd.ZERO:
                key = (p["nmID"], bucket(day, level, start)) if by_product else (bucket(day, level, start),)
                members.setdefault(key, []).append(f)
    rows = []
    for key, found in sorted(members.items()):
        f = fd.total(found)
        row: dict[str, Any] = dict(zip(FUNNEL_SUMS, (*f[:8], f.wishlist), strict=True))
        row.update(
            dt=key[-1].isoformat(),
            nmID=key[0] if by_product else None,
            addToCartConversion=pct(f.carts, f.views),
            cartToOrderConversion=pct(f.orders, f.carts),
            buyoutPercent=pct(f.buyouts, f.orders),
            currency="RUB",
        )
        rows.append(row)
    return rows


def _search(rng: random.Random, funnel: fd.Funnel, share: float) -> dict:
    """The seven search metrics of a product, or of one search text of it, over a period: the
    share of the funnel's views, carts and orders that came from search, so never more."""
    position = int(rng.lognormvariate(3.5, 1.2)) + 1
    opened, cart, orders = (int(n * share) for n in (funnel.views, funnel.carts, funnel.orders))
    return {
        "AveragePosition": position,
        "OpenCard": opened,
        "AddToCart": cart,
        "OpenToCart": pct(cart, opened),
        "Orders": orders,
        "CartToOrder": pct(orders, cart),
        "Visibility": round(100 * 0.985 ** (position - 1)),
    }


def _metrics(seed: int, sid: str, p: dict, span: tuple[date, date], funnel: fd.Funnel,
             text: str = "") -> tuple[dict, random.Random]:
    """A product's (or one of its texts') search metrics, and the RNG for any further columns;
    `funnel` is the product's over `span` (`fd.product_period`), read once by the caller: every
    text of a product shares it."""
    rng = keyed_rng(seed, sid, "search", p["nmID"], text, *span)
    share = 0.4 if not text else rng.uniform(0.01, 0.2)
    return _search(rng, funnel, share), rng


def _past(current: dict, past: dict | None) -> dict:
    """The *Past columns: filled only when the request names a past period."""
    return {f"{k}Past": past[k] if past else None for k in current}


def combine(metrics: list[dict]) -> dict:
    """Group totals: sums, view-weighted position, mean visibility, recomputed conversions."""
    opened, cart, orders = (sum(m[k] for m in metrics) for k in ("OpenCard", "AddToCart", "Orders"))
    weights = [m["OpenCard"] or 1 for m in metrics]
    position = sum(m["AveragePosition"] * w for m, w in zip(metrics, weights, strict=True)) / sum(weights)
    return {
        "AveragePosition": round(position),
        "OpenCard": opened,
        "AddToCart": cart,
        "OpenToCart": pct(cart, opened),
        "Orders": orders,
        "CartToOrder": pct(orders, cart),
        "Visibility": round(sum(m["Visibility"] for m in metrics) / len(metrics)),
    }


def _searched(seed: int, sid: str, params: dict) -> list[tuple[dict, dict, dict | None]]:
    """(product, current metrics, past metrics) of live products found in search this period."""
    current = period(params)
    past = period(params, "pastPeriod") if params.get("pastPeriod") else None
    low, high = CLUSTERS[params.get("positionCluster") or "all"]
    found = []
    for p in select_products(seed, sid, params):
        m = _metrics(seed, sid, p, current, fd.product_period(seed, sid, p, *current))[0]
        if m["OpenCard"] and low <= m["AveragePosition"] <= high:
            found.append((p, m, _metrics(seed, sid, p, past, fd.product_period(seed, sid, p, *past))[0]
                          if past else None))
    return found


def _card(seed: int, sid: str, p: dict) -> dict:
    """Card-level columns of the search reports; stable for a product."""
    rng = keyed_rng(seed, sid, "card", p["nmID"])
    rated = rng.random() < 0.85
    return {
        "NmID": p["nmID"],
        **{c: p[c[0].lower() + c[1:]] for c in CARD},
        "IsAdvertised": rng.random() < 0.3,
        "IsRated": rated,
        "Rating": f"{rng.uniform(1, 10):.1f}" if rated else "0.0",
        "FeedbackRating": f"{rng.uniform(3, 5):.1f}" if rng.random() < 0.9 else "0.0",
        "MinPrice": p["price"],
        "MaxPrice": p["price"] + (rng.choice([0, 100, 300]) if p["hasSizes"] else 0),
        "Currency": "RUB",
    }


def group_rows(seed: int, sid: str, params: dict) -> list[dict]:
    """SEARCH_QUERIES_PREMIUM_REPORT_GROUP: one row per (subject, brand); TagID 0 (no tags)."""
    groups: dict[tuple[int, str, str], list[tuple[dict, dict | None]]] = {}
    for p, m, past in _searched(seed, sid, params):
        groups.setdefault((p["subjectID"], p["brandName"], p["subjectName"]), []).append((m, past))
    rows = []
    for (subject_id, brand, subject), found in sorted(groups.items()):
        current = combine([m for m, _ in found])
        past = combine([p for _, p in found if p is not None]) if found[0][1] else None
        row = {"SubjectName": subject, "SubjectID": subject_id, "BrandName": brand, "TagID": 0, **current}
        rows.append(row | _past(current, past))
    return order_rows(rows, params.get("orderBy"))


def _substituted(params: dict, rng: random.Random) -> bool:
    """Whether a row comes from a substitute-article search, as the include flags allow."""
    if params.get("includeSearchTexts", True) is False:
        return True
    return params.get("includeSubstitutedSKUs", True) is not False and rng.random() < 0.1


def product_rows(seed: int, sid: str, params: dict) -> list[dict]:
    """SEARCH_QUERIES_PREMIUM_REPORT_PRODUCT: one row per product found in search."""
    rows = []
    for p, m, past in _searched(seed, sid, params):
        flag = _substituted(params, keyed_rng(seed, sid, "substituted", p["nmID"]))
        rows.append(_card(seed, sid, p) | m | _past(m, past) | {"IsSubstitutedSKU": flag})
    return order_rows(rows, params.get("orderBy"))


def _texts(p: dict, rng: random.Random) -> list[str]:
    """Distinct search texts that lead to a product: its noun with words, its brand, its nmID."""
    noun = p["name"].split(" «")[0].lower()
    options = [noun, f"{p['brandName'].lower()} {noun}", str(p["nmID"])] + [f"{noun} {w}" for w in TEXT_WORDS]
    return rng.sample(options, rng.randint(3, len(options)))


def _frequency(rng: random.Random, metrics: dict) -> int:
    """How often the text was searched: always more than the card was opened from it."""
    return metrics["OpenCard"] * rng.randint(3, 40) + rng.randint(1, 500)


def text_rows(seed: int, sid: str, params: dict) -> list[dict]:
    """SEARCH_QUERIES_PREMIUM_REPORT_TEXT: each product's top `limit` texts by topOrderBy."""
    span = period(params)
    past_span = period(params, "pastPeriod") if params.get("pastPeriod") else None
    top = sort_column(params["topOrderBy"])
    rows = []
    for p, _, _ in _searched(seed, sid, params):
        card = _card(seed, sid, p)
        card["Rating"] = card["Rating"] if card["IsRated"] else "no rating"
        found = []
        funnel = fd.product_period(seed, sid, p, *span)
        past_funnel = fd.product_period(seed, sid, p, *past_span) if past_span else None
        for text in _texts(p, keyed_rng(seed, sid, "texts", p["nmID"])):
            m, rng = _metrics(seed, sid, p, span, funnel, text)
            extra = {"Frequency": _frequency(rng, m), "MedianPosition": m["AveragePosition"]}
            extra |= {f"{k}Percentile": rng.randint(0, 100) for k in PERCENTILES}
            past, past_extra = None, None
            if past_span and past_funnel is not None:
                past, past_rng = _metrics(seed, sid, p, past_span, past_funnel, text)
                past_extra = {"Frequency": _frequency(past_rng, past), "MedianPosition": past["AveragePosition"]}
            found.append(
                {"Text": text, **card, **m, **extra} | _past(m, past) | _past(dict.fromkeys(TEXT_EXTRA), past_extra)
            )
        found.sort(key=lambda r: r[top], reverse=True)
        rows += found[: params["limit"]]
    return order_rows(rows, params.get("orderBy"))
