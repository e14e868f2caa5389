"""Sales funnel routes (wb-api.md §5): the retired v2 `nm-report` quartet and its v3
`sales-funnel` replacements, answering from `data.funnel`, so a period's figures are the sum of
the per-day history and v2 and v3 tell the same story in their own field names.

Both generations check a request the same way (funnel_checks) and only word the 400
differently. Periods are Moscow dates; days after today have no data.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import partial
from operator import itemgetter
from typing import Any

from emulator.common.builds import Pooled
from emulator.common.clock import msk_day
from emulator.common.params import is_int
from emulator.common.router import Request, Response, Router, json_response
from emulator.wb.data import funnel as fd
from emulator.wb.data import seller
from emulator.wb.data.csv_rows import bucket, days
from emulator.wb.host import WbHost
from emulator.wb.routes.funnel_checks import (
    Problem,
    checked_body,
    filter_problems,
    flag_problems,
    groups_problems,
    list_problems,
    order_problems,
    period_problems,
    v2_day,
    v2_error,
    v3_error,
)

router = Router()

V2, V3 = "/api/v2/nm-report", "/api/analytics/v3/sales-funnel"
DEPTH_DAYS = 365  # period reports reach a year back
HISTORY_DAYS = 7  # per-day reports: at most a week long, starting at most a week back
MAX_HISTORY_IDS = 20
V2_PAGE_SIZE = 1000  # cards per v2 page: not documented; WB's v3 maximum assumed
V3_MAX_LIMIT, V3_DEFAULT_LIMIT = 1000, 50

V2_FILTERS = {"nm": "nmIDs", "subject": "objectIDs", "brand": "brandNames", "tag": "tagIDs"}
V3_FILTERS = {"nm": "nmIds", "subject": "subjectIds", "brand": "brandNames", "tag": "tagIds", "skip": "skipDeletedNm"}


# --- figures, filters, order ------------------------------------------------------------------


def _today(emu: WbHost) -> date:
    return msk_day(emu.clock.now())


def _period(body: dict, name: str, keys: tuple[str, str]) -> tuple[date, date]:
    """The dates of a checked period (v2 may add a time of day)."""
    return date.fromisoformat(body[name][keys[0]][:10]), date.fromisoformat(body[name][keys[1]][:10])


def past_period(start: date, end: date, today: date) -> tuple[date, date]:
    """The comparison period: as long as the selected one, just before it, not over a year back."""
    past_end = start - timedelta(days=1)
    return max(past_end - (end - start), today - timedelta(days=DEPTH_DAYS)), past_end


def figure(seed: int, sid: str, product: dict, start: date, end: date, today: date) -> fd.Funnel:
    """A product's funnel of a period; days after today have none yet."""
    end = min(end, today)
    return fd.product_period(seed, sid, product, start, end) if start <= end else fd.ZERO


def figures(emu: WbHost, sid: str, start: date, end: date) -> dict[int, fd.Funnel]:
    """Per-product funnels of a period, by nmID."""
    today = _today(emu)
    return {p["nmID"]: figure(emu.seed, sid, p, start, end, today) for p in seller.products(emu.seed, sid)}


def history(emu: WbHost, sid: str, period: tuple[date, date], level: str,
            products: Sequence[dict]) -> list[tuple[date, dict[int, fd.Funnel]]]:
    """The products' funnels per history row (a day, or a Monday-to-Sunday week labelled by its
    first day): only the products asked for, so a call for 20 cards of a 100,000-card seller
    costs 20 cards, not the catalogue."""
    rows: dict[date, list[date]] = {}
    for day in days(period[0], min(period[1], _today(emu))):
        rows.setdefault(bucket(day, level, period[0]), []).append(day)
    return [(label, fd.period_funnel(emu.seed, sid, group[0], group[-1], products)) for label, group in rows.items()]


def matching(seed: int, sid: str, body: dict, filters: dict[str, str]) -> seller.Products:
    """The seller's products (nmID order) that pass every non-empty filter of the request."""
    def given(kind: str) -> Any:
        return body.get(filters.get(kind, ""))

    return seller.filtered(seed, sid, nm_ids=given("nm"), tagged=bool(given("tag")),
                           among=(("subjectID", given("subject")), ("brandName", given("brand"))),
                           skip_deleted=bool(given("skip")))


def groups_of(products: Sequence[dict]) -> list[tuple[int, str, str]]:
    """(subjectID, brandName, subjectName) of every funnel group the products fall into."""
    return sorted({(*fd.group_key(p), p["subjectName"]) for p in products})


def at(path: str) -> Callable[[dict], Any]:
    """A getter for a dotted path: sort keys are data, not code."""
    def get(item: dict) -> Any:
        for part in path.split("."):
            item = item[part]
        return item
    return get


def ordered(items: list[dict], order: dict | None, keys: dict[str, Callable[[dict], Any]]) -> list[dict]:
    """Sort by the asked field, default openCard descending; ties keep the nmID order."""
    order = order or {}
    key = keys[order.get("field") or "openCard"]
    return sorted(items, key=key, reverse=(order.get("mode") or "desc") == "desc")


# --- v2 nm-report -----------------------------------------------------------------------------

_V2_SELECTED = {
    "openCard": "openCardCount", "addToCart": "addToCartCount", "orders": "ordersCount",
    "avgRubPrice": "avgPriceRub", "ordersSumRub": "ordersSumRub", "cancelSumRub": "cancelSumRub",
    "cancelCount": "cancelCount", "buyoutCount": "buyoutsCount", "buyoutSumRub": "buyoutsSumRub",
}
V2_ORDER = {
    **{k: at(f"statistics.selectedPeriod.{v}") for k, v in _V2_SELECTED.items()},
    "stockMpQty": at("stocks.stocksMp"), "stockWbQty": at("stocks.stocksWb"),
}
# groups carry no stocks: a stock order leaves them in subject and brand order
V2_GROUP_ORDER = {**V2_ORDER, "stockMpQty": lambda g: 0, "stockWbQty": lambda g: 0}


def v2_envelope(payload: Any) -> Response:
    return json_response(200, {"data": payload, "error": False, "errorText": "", "additionalErrors": None})


def v2_period_check(emu: WbHost) -> Callable[[dict], list[Problem]]:
    def check(body: dict) -> list[Problem]:
        problems = period_problems(body.get("period"), "period", ("begin", "end"), _today(emu), DEPTH_DAYS,
                                   parse=v2_day)
        if not (is_int(body.get("page")) and body["page"] >= 1):
            problems.append(("page", "required, an integer from 1"))
        return problems + order_problems(body, tuple(V2_ORDER), False) + filter_problems(body, V2_FILTERS)
    return check


def v2_page(items: list[dict], page: int, key: str) -> Response:
    chunk = items[(page - 1) * V2_PAGE_SIZE : page * V2_PAGE_SIZE]
    more = len(items) > page * V2_PAGE_SIZE
    return v2_envelope({"page": page if items else 0, "isNextPage": more, key: chunk})


def v2_periods(emu: WbHost, body: dict) -> tuple[tuple[date, date], tuple[date, date]]:
    selected = _period(body, "period", ("begin", "end"))
    return selected, past_period(*selected, _today(emu))


@router.route("POST", f"{V2}/detail", group="wb.funnel_v2", scope="analytics")
def v2_detail(emu: WbHost, req: Request) -> Response:
    body = checked_body(req, v2_period_check(emu), v2_error)
    if isinstance(body, Response):
        return body
    selected, previous = v2_periods(emu, body)
    now, past = figures(emu, req.sid, *selected), figures(emu, req.sid, *previous)
    today = _today(emu)
    cards = []
    for p in matching(emu.seed, req.sid, body, V2_FILTERS):
        wb, mp = fd.stock_pair(emu.seed, req.sid, p, today)
        cards.append({
            "nmID": p["nmID"], "vendorCode": p["vendorCode"], "brandName": p["brandName"], "tags": [],
            "object": {"id": p["subjectID"], "name": p["subjectName"]},
            "statistics": fd.v2_statistics(now[p["nmID"]], past[p["nmID"]], selected, previous),
            "stocks": {"stocksMp": mp, "stocksWb": wb},
        })
    return v2_page(ordered(cards, body.get("orderBy"), V2_ORDER), body["page"], "cards")


@router.route("POST", f"{V2}/grouped", group="wb.funnel_v2", scope="analytics")
def v2_grouped(emu: WbHost, req: Request) -> Response:
    body = checked_body(req, v2_period_check(emu), v2_error)
    if isinstance(body, Response):
        return body
    selected, previous = v2_periods(emu, body)
    products = matching(emu.seed, req.sid, body, V2_FILTERS)
    now = fd.group_funnel(figures(emu, req.sid, *selected), products)
    past = fd.group_funnel(figures(emu, req.sid, *previous), products)
    groups = [
        {"brandName": brand, "tags": [], "object": {"id": subject, "name": name},
         "statistics": fd.v2_statistics(now[(subject, brand)], past[(subject, brand)], selected, previous)}
        for subject, brand, name in groups_of(products)
    ]
    return v2_page(ordered(groups, body.get("orderBy"), V2_GROUP_ORDER), body["page"], "groups")


def v2_history_check(emu: WbHost, extra: Callable[[dict], list[Problem]]) -> Callable[[dict], list[Problem]]:
    def check(body: dict) -> list[Problem]:
        period = period_problems(body.get("period"), "period", ("begin", "end"), _today(emu), HISTORY_DAYS,
                                 HISTORY_DAYS)
        return period + flag_problems(body) + extra(body)
    return check


def _level(body: dict) -> str:
    return body.get("aggregationLevel") or "day"


@router.route("POST", f"{V2}/detail/history", group="wb.funnel_v2", scope="analytics")
def v2_detail_history(emu: WbHost, req: Request) -> Response:
    ids = partial(list_problems, name="nmIDs", low=1, high=MAX_HISTORY_IDS, required=True)
    body = checked_body(req, v2_history_check(emu, ids), v2_error)
    if isinstance(body, Response):
        return body
    products = matching(emu.seed, req.sid, body, V2_FILTERS)
    rows = history(emu, req.sid, _period(body, "period", ("begin", "end")), _level(body), products)
    return v2_envelope([
        {"nmID": p["nmID"], "imtName": p["name"], "vendorCode": p["vendorCode"],
         "history": [fd.v2_history_row(label, per_nm[p["nmID"]], True) for label, per_nm in rows]}
        for p in products
    ])


@router.route("POST", f"{V2}/grouped/history", group="wb.funnel_v2", scope="analytics")
def v2_grouped_history(emu: WbHost, req: Request) -> Response:
    """Cards without tags come as one group with the zero tag, as WB's Go services write an empty struct."""
    body = checked_body(req, v2_history_check(emu, partial(groups_problems, filters=V2_FILTERS)), v2_error)
    if isinstance(body, Response):
        return body
    products = matching(emu.seed, req.sid, body, V2_FILTERS)
    rows = [(label, fd.group_funnel(per_nm, products))
            for label, per_nm in history(emu, req.sid, _period(body, "period", ("begin", "end")), _level(body),
                                         products)]
    return v2_envelope([
        {"object": {"id": subject, "name": name}, "brandName": brand, "tag": {"id": 0, "name": ""},
         "history": [fd.v2_history_row(label, groups[(subject, brand)], False) for label, groups in rows]}
        for subject, brand, name in groups_of(products)
    ])


# --- v3 sales-funnel --------------------------------------------------------------------------

_V3_SELECTED = {
    "openCard": "openCount", "addToCart": "cartCount", "orderCount": "orderCount", "orderSum": "orderSum",
    "buyoutCount": "buyoutCount", "buyoutSum": "buyoutSum", "cancelCount": "cancelCount", "cancelSum": "cancelSum",
    "avgPrice": "avgPrice", "shareOrderPercent": "shareOrderPercent", "addToWishlist": "addToWishlist",
    "localizationPercent": "localizationPercent",
    **{f"wbClub.{k}": f"wbClub.{k}" for k in ("orderCount", "orderSum", "buyoutSum", "cancelSum", "buyoutCount",
                                             "avgPrice", "buyoutPercent", "avgOrderCountPerDay", "cancelCount")},
}
V3_ORDER = {
    **{k: at(f"statistic.selected.{v}") for k, v in _V3_SELECTED.items()},
    "timeToReady": lambda i: fd.minutes(i["statistic"]["selected"]["timeToReady"]),
    "stockMpQty": at("product.stocks.mp"), "stockWbQty": at("product.stocks.wb"),
}


def v3_products_check(emu: WbHost) -> Callable[[dict], list[Problem]]:
    def check(body: dict) -> list[Problem]:
        today = _today(emu)
        problems = period_problems(body.get("selectedPeriod"), "selectedPeriod", ("start", "end"), today, DEPTH_DAYS)
        if body.get("pastPeriod") is not None:  # a start over a year back is clipped, not refused
            problems += period_problems(body["pastPeriod"], "pastPeriod", ("start", "end"), today, 100 * DEPTH_DAYS)
        problems += list_problems(body, "nmIds", is_int, 0, V3_MAX_LIMIT)
        problems += (filter_problems(body, V3_FILTERS) + flag_problems(body)
                     + order_problems(body, tuple(V3_ORDER), True))
        for name, high in (("limit", V3_MAX_LIMIT), ("offset", 2**32 - 1)):
            if body.get(name) is not None and not (is_int(body[name]) and 0 <= body[name] <= high):
                problems.append((name, f"must be an integer from 0 to {high}"))
        return problems
    return check


def _v3_item(seed: int, sid: str, p: dict, periods: tuple[tuple[date, date], tuple[date, date]],
             all_orders: tuple[int, int], today: date) -> dict:
    (selected, past), nm = periods, p["nmID"]
    facts = fd.card_facts(seed, sid, nm)
    wb, mp = fd.stock_pair(seed, sid, p, today)
    now, before = (figure(seed, sid, p, *span, today) for span in periods)
    return {
        "product": {"nmId": nm, "title": p["name"], "vendorCode": p["vendorCode"], "brandName": p["brandName"],
                    "subjectId": p["subjectID"], "subjectName": p["subjectName"], "tags": [],
                    "productRating": facts.product_rating, "feedbackRating": facts.feedback_rating,
                    "stocks": {"wb": wb, "mp": mp, "balanceSum": (wb + mp) * p["price"]}},
        "statistic": fd.v3_statistics(fd.v3_statistic(now, *selected, facts, all_orders[0]),
                                      fd.v3_statistic(before, *past, facts, all_orders[1])),
    }


def _make_v3_listing(seed: int, sid: str, today: date, listing: str) -> tuple[array, tuple[int, int]]:
    """The catalogue positions a products request lists, in its order, and the seller's orders
    in both periods: 4 bytes a product, so a big catalogue is paged without holding its items
    (a big seller's made in the report builders' pool: it needs every product's figures)."""
    body = json.loads(listing)
    selected, past = ((date.fromisoformat(a), date.fromisoformat(b)) for a, b in body.pop("periods"))
    catalogue = seller.products(seed, sid)
    all_orders = (sum(figure(seed, sid, p, *selected, today).orders for p in catalogue),
                  sum(figure(seed, sid, p, *past, today).orders for p in catalogue))
    order = body.get("orderBy") or {}
    key, products = V3_ORDER[order.get("field") or "openCard"], matching(seed, sid, body, V3_FILTERS)
    found = [(key(_v3_item(seed, sid, p, (selected, past), all_orders, today)), j)
             for j, p in zip(products.positions, products, strict=True)]
    found.sort(key=itemgetter(0), reverse=(order.get("mode") or "desc") == "desc")  # stable: ties by nmID
    return array("i", (j for _, j in found)), all_orders


_v3_listing = Pooled(_make_v3_listing, 32, seller.made_apart)


@router.route("POST", f"{V3}/products", group="wb.funnel", scope="analytics")
def v3_products(emu: WbHost, req: Request) -> Response:
    body = checked_body(req, v3_products_check(emu), v3_error)
    if isinstance(body, Response):
        return body
    today = _today(emu)
    selected = _period(body, "selectedPeriod", ("start", "end"))
    past = _period(body, "pastPeriod", ("start", "end")) if body.get("pastPeriod") else past_period(*selected, today)
    past = (max(past[0], today - timedelta(days=DEPTH_DAYS)), past[1])
    listing = {k: v for k, v in body.items() if k not in ("offset", "limit", "selectedPeriod", "pastPeriod")}
    listing["periods"] = [[d.isoformat() for d in span] for span in (selected, past)]
    positions, all_orders = _v3_listing(emu.seed, req.sid, today, json.dumps(listing, sort_keys=True))
    offset, limit = body.get("offset") or 0, body.get("limit")
    limit = V3_DEFAULT_LIMIT if limit is None else limit
    catalogue = seller.products(emu.seed, req.sid)
    page = [_v3_item(emu.seed, req.sid, catalogue[j], (selected, past), all_orders, today)
            for j in positions[offset:offset + limit]]
    return json_response(200, {"data": {"products": page}})


def v3_history_check(emu: WbHost, extra: Callable[[dict], list[Problem]]) -> Callable[[dict], list[Problem]]:
    def check(body: dict) -> list[Problem]:
        period = period_problems(body.get("selectedPeriod"), "selectedPeriod", ("start", "end"), _today(emu),
                                 HISTORY_DAYS, HISTORY_DAYS)
        return period + flag_problems(body) + extra(body)
    return check


def v3_rows(emu: WbHost, sid: str, body: dict, products: Sequence[dict]) -> list[tuple[date, dict[int, fd.Funnel]]]:
    return history(emu, sid, _period(body, "selectedPeriod", ("start", "end")), _level(body), products)


@router.route("POST", f"{V3}/products/history", group="wb.funnel", scope="analytics")
def v3_products_history(emu: WbHost, req: Request) -> Response:
    ids = partial(list_problems, name="nmIds", low=1, high=MAX_HISTORY_IDS, required=True)
    body = checked_body(req, v3_history_check(emu, ids), v3_error)
    if isinstance(body, Response):
        return body
    products = matching(emu.seed, req.sid, body, V3_FILTERS)
    rows = v3_rows(emu, req.sid, body, products)
    return json_response(200, [
        {"product": {"nmId": p["nmID"], "title": p["name"], "vendorCode": p["vendorCode"],
                     "brandName": p["brandName"], "subjectId": p["subjectID"], "subjectName": p["subjectName"]},
         "history": [fd.v3_history_row(label, per_nm[p["nmID"]]) for label, per_nm in rows]}
        for p in products
    ])


@router.route("POST", f"{V3}/grouped/history", group="wb.funnel", scope="analytics")
def v3_grouped_history(emu: WbHost, req: Request) -> Response:
    """Groups come in the schema's per-product block (a quirk of WB's docs): subject and brand
    filled in, the card fields empty."""
    body = checked_body(req, v3_history_check(emu, partial(groups_problems, filters=V3_FILTERS)), v3_error)
    if isinstance(body, Response):
        return body
    products = matching(emu.seed, req.sid, body, V3_FILTERS)
    rows = [(label, fd.group_funnel(per_nm, products)) for label, per_nm in v3_rows(emu, req.sid, body, products)]
    return json_response(200, {"data": [
        {"product": {"nmId": 0, "title": "", "vendorCode": "", "brandName": brand, "subjectId": subject,
                     "subjectName": name},
         "history": [fd.v3_history_row(label, groups[(subject, brand)]) for label, groups in rows]}
        for subject, brand, name in groups_of(products)
    ]})
