"""Stocks report routes (wb-api.md §7): products, groups, sizes and offices, with the validation
and error bodies of the 2025-12 OpenAPI files. The products come from `seller.stocks_products`
and the breakdowns from `data.stocks`, so the four answers agree."""

from __future__ import annotations

import json
import zlib
from array import array
from collections.abc import Callable, Iterator
from datetime import date
from operator import itemgetter

from emulator.common.builds import Pooled
from emulator.common.clock import msk_day
from emulator.common.params import is_int, months_before, period_errors
from emulator.common.router import JSON, Request, Response, Router, json_body, json_response
from emulator.wb.data import seller
from emulator.wb.data import stocks as stock_data
from emulator.wb.data.csv_rows import period
from emulator.wb.error_bodies import NOT_JSON, invalid_body, invalid_fields
from emulator.wb.host import WbHost

router = Router()

STOCK_TYPES = ("", "wb", "mp")
AVAILABILITY = ("deficient", "actual", "balanced", "nonActual", "nonLiquid", "invalidData")
ORDER_FIELDS = (
    "ordersCount",
    "ordersSum",
    "avgOrders",
    "buyoutCount",
    "buyoutSum",
    "buyoutPercent",
    "stockCount",
    "stockSum",
    "saleRate",
    "avgStockTurnover",
    "toClientCount",
    "fromClientCount",
    "minPrice",
    "maxPrice",
    "officeMissingTime",
    "lostOrdersCount",
    "lostOrdersSum",
    "lostBuyoutsCount",
    "lostBuyoutsSum",
)
MAX_LIMIT, DEFAULT_LIMIT = 1000, 100


def products_request_errors(body: object, today: date) -> list[str]:
    """What is wrong with a TableProductRequest, in the gateway's 'field (reason)' style."""
    if not isinstance(body, dict):
        return ["body (must be a JSON object)"]
    required = ("currentPeriod", "stockType", "skipDeletedNm", "orderBy", "availabilityFilters", "offset")
    errors = [f"{name} (field required)" for name in required if body.get(name) is None]
    if body.get("currentPeriod") is not None:
        errors += period_errors(body["currentPeriod"], months_before(today, 3), latest=today)
    if body.get("stockType") is not None and body["stockType"] not in STOCK_TYPES:
        errors.append("stockType (must be one of '', 'wb', 'mp')")
    if body.get("skipDeletedNm") is not None and not isinstance(body["skipDeletedNm"], bool):
        errors.append("skipDeletedNm (must be a boolean)")
    order = body.get("orderBy")
    if order is not None and not (
        isinstance(order, dict) and order.get("field") in ORDER_FIELDS and order.get("mode") in ("asc", "desc")
    ):
        errors.append("orderBy (field must be a TableGroupField and mode asc or desc)")
    filters = body.get("availabilityFilters")
    if filters is not None and not (isinstance(filters, list) and all(f in AVAILABILITY for f in filters)):
        errors.append("availabilityFilters (must be a list of " + ", ".join(AVAILABILITY) + ")")
    offset = body.get("offset")
    if offset is not None and not (is_int(offset) and 0 <= offset < 2**32):
        errors.append("offset (must be a non-negative integer)")
    limit = body.get("limit")
    if limit is not None and not (is_int(limit) and 1 <= limit <= MAX_LIMIT):
        errors.append(f"limit (must be an integer from 1 to {MAX_LIMIT})")
    nm_ids = body.get("nmIDs")
    if nm_ids is not None and not (isinstance(nm_ids, list) and all(is_int(n) for n in nm_ids)):
        errors.append("nmIDs (must be a list of integers)")
    for name in ("subjectID", "tagID"):
        if body.get(name) is not None and not is_int(body[name]):
            errors.append(f"{name} (must be an integer)")
    if body.get("brandName") is not None and not isinstance(body["brandName"], str):
        errors.append("brandName (must be a string)")
    return errors


def _today(emu: WbHost) -> date:
    """The emulated Moscow date: WB's and the harvester's day, so a period ending on the Moscow
    today is accepted even while the UTC date is still yesterday."""
    return msk_day(emu.clock.now())


def _make_positions(seed: int, sid: str, listing: str) -> array:
    """The catalogue positions a /products/products request lists, in its order: 4 bytes a
    product, so a whole catalogue is paged through in several calls without holding its rows
    (a big seller's made in the report builders' pool: it needs every product's figures)."""
    body = json.loads(listing)
    field = body["orderBy"]["field"]
    found = [(order_value(item["metrics"], field), j) for j, item in listed(seed, sid, body)]
    found.sort(key=itemgetter(0), reverse=body["orderBy"]["mode"] == "desc")  # stable: ties by nmID
    return array("i", (j for _, j in found))


_positions = Pooled(_make_positions, 64, seller.made_apart)


def select_products(seed: int, sid: str, body: dict) -> list[dict]:
    """Filter, sort and page the report rows as a validated request asks. Its one-value filters
    (subjectID, brandName, tagID) are the list filters of the other stocks calls with one value."""
    one = {
        "subjectIDs": body.get("subjectID"), "brandNames": body.get("brandName") or None, "tagIDs": body.get("tagID"),
    }
    listing = {
        "currentPeriod": body["currentPeriod"], "orderBy": body["orderBy"], "nmIDs": body.get("nmIDs"),
        "skipDeletedNm": body["skipDeletedNm"], "availabilityFilters": body["availabilityFilters"],
        **{k: None if v is None else [v] for k, v in one.items()},
    }
    positions = _positions(seed, sid, json.dumps(listing, sort_keys=True))
    offset, limit = body["offset"], body.get("limit") or DEFAULT_LIMIT
    start, end = period(body)
    catalogue = seller.products(seed, sid)
    return [seller.stock_item(seed, sid, catalogue[j], start, end) for j in positions[offset : offset + limit]]


@router.route("POST", "/api/v2/stocks-report/products/products", group="wb.stocks_report", scope="analytics")
def stocks_products(emu: WbHost, req: Request) -> Response:
    try:
        body = req.json()
    except ValueError:
        return invalid_body(NOT_JSON)
    errors = products_request_errors(body, _today(emu))
    if errors:
        return invalid_fields(errors)
    return json_response(200, {"data": {"items": select_products(emu.seed, req.sid, body)}})


def _ints(v: object) -> bool:
    return isinstance(v, list) and all(is_int(n) for n in v)


def _order(v: object) -> bool:
    return isinstance(v, dict) and v.get("field") in ORDER_FIELDS and v.get("mode") in ("asc", "desc")


# field -> (check, reason), in the gateway's "field (reason)" wording
_FIELDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "stockType": (lambda v: v in STOCK_TYPES, "must be one of '', 'wb', 'mp'"),
    "skipDeletedNm": (lambda v: isinstance(v, bool), "must be a boolean"),
    "includeOffice": (lambda v: isinstance(v, bool), "must be a boolean"),
    "orderBy": (_order, "field must be a TableGroupField and mode asc or desc"),
    "availabilityFilters": (
        lambda v: isinstance(v, list) and all(f in AVAILABILITY for f in v),
        "must be a list of " + ", ".join(AVAILABILITY),
    ),
    "offset": (lambda v: is_int(v) and 0 <= v < 2**32, "must be a non-negative integer"),
    "limit": (lambda v: is_int(v) and 1 <= v <= MAX_LIMIT, f"must be an integer from 1 to {MAX_LIMIT}"),
    "nmID": (is_int, "must be an integer"),
    "nmIDs": (_ints, "must be a list of integers"),
    "subjectIDs": (_ints, "must be a list of integers"),
    "tagIDs": (_ints, "must be a list of integers"),
    "brandNames": (lambda v: isinstance(v, list) and all(isinstance(b, str) for b in v), "must be a list of strings"),
}
GROUPS_REQUIRED = ("currentPeriod", "stockType", "skipDeletedNm", "orderBy", "availabilityFilters", "offset")
SIZES_REQUIRED = ("nmID", "currentPeriod", "stockType", "orderBy", "includeOffice")
OFFICES_REQUIRED = ("currentPeriod", "stockType", "skipDeletedNm")


def stock_body(req: Request, today: date, required: tuple[str, ...]) -> dict | Response:
    """The request body if it is valid, else the analytics ErrorObject400 listing every problem."""
    try:
        body = req.json()
    except ValueError:
        return invalid_body(NOT_JSON)
    if not isinstance(body, dict):
        errors = ["body (must be a JSON object)"]
    else:
        errors = [f"{name} (field required)" for name in required if body.get(name) is None]
        if body.get("currentPeriod") is not None:
            errors += period_errors(body["currentPeriod"], months_before(today, 3), latest=today)
        errors += [f"{k} ({reason})" for k, (ok, reason) in _FIELDS.items()
                   if body.get(k) is not None and not ok(body[k])]
    if errors:
        return invalid_fields(errors)
    return body


def listed(seed: int, sid: str, body: dict) -> Iterator[tuple[int, dict]]:
    """(catalogue position, item) of every product the list filters (nmIDs, subjectIDs,
    brandNames, tagIDs, skipDeletedNm, availabilityFilters) keep, in nmID order, one at a time;
    emulated sellers have no tags. A product is filtered on its card before its metrics are made."""
    start, end = period(body)
    allowed = set(body.get("availabilityFilters") or ())
    wanted = seller.filtered(seed, sid, nm_ids=body.get("nmIDs"), tagged=bool(body.get("tagIDs")),
                             among=(("subjectID", body.get("subjectIDs")), ("brandName", body.get("brandNames"))),
                             skip_deleted=bool(body.get("skipDeletedNm")))
    for j, product in zip(wanted.positions, wanted, strict=True):
        item = seller.stock_item(seed, sid, product, start, end)
        if not allowed or item["metrics"]["availability"] in allowed:
            yield j, item


def matching_items(seed: int, sid: str, body: dict) -> list[dict]:
    """The product items the list filters keep (see `listed`)."""
    return [item for _, item in listed(seed, sid, body)]


def order_value(metrics: dict, field: str) -> float:
    """A sort value of a metrics block; durations in hours, absent prices as 0."""
    value = metrics.get("currentPrice", {}).get(field, 0) if field in ("minPrice", "maxPrice") else metrics[field]
    return value["days"] * 24 + value["hours"] if isinstance(value, dict) else value


def ordered(rows: list[dict], order: dict) -> list[dict]:
    """Sorted as `orderBy` asks; stable, so ties keep their order."""
    return sorted(rows, key=lambda r: order_value(r["metrics"], order["field"]), reverse=order["mode"] == "desc")


@router.route("POST", "/api/v2/stocks-report/products/groups", group="wb.stocks_report", scope="analytics")
def stocks_groups(emu: WbHost, req: Request) -> Response:
    body = stock_body(req, _today(emu), GROUPS_REQUIRED)
    if isinstance(body, Response):
        return body
    return Response(200, zlib.decompress(_groups(emu.seed, req.sid, json.dumps(body, sort_keys=True))), JSON)


def groups_answer(seed: int, sid: str, body: dict) -> bytes:
    """The answer's body: the groups a request pages to, with every product of each, encoded
    where it is made: 100,000 products are 84 MB of JSON, which the serving interpreter would
    otherwise unpickle and encode again."""
    items = ordered(matching_items(seed, sid, body), body["orderBy"])
    found = ordered(stock_data.groups(seed, sid, items, *period(body)), body["orderBy"])
    offset, limit = body["offset"], body.get("limit") or DEFAULT_LIMIT
    return json_body({"data": {"groups": found[offset : offset + limit]}})


def _make_groups(seed: int, sid: str, request: str) -> bytes:
    return zlib.compress(groups_answer(seed, sid, json.loads(request)), 1)


# A client reading the snapshot hourly asks the same all day: a big seller's answer is made in
# the builders' pool once a day (10 s of CPU for 100,000 products) and kept compressed, 10 MB
# where its JSON is 84 MB and its objects 500 MB (compressing costs 0.3 s, each serve 0.2 s).
# 32 answers: a day's for a dozen sellers and some of the day before, so a dozen asking in turn
# never push out each other's.
_groups = Pooled(_make_groups, 32, seller.made_apart)


@router.route("POST", "/api/v2/stocks-report/products/sizes", group="wb.stocks_report", scope="analytics")
def stocks_sizes(emu: WbHost, req: Request) -> Response:
    body = stock_body(req, _today(emu), SIZES_REQUIRED)
    if isinstance(body, Response):
        return body
    start, end = period(body)
    product = seller.products(emu.seed, req.sid).get(body["nmID"])
    if product is None:
        return json_response(200, {"data": {}})
    item = seller.stock_item(emu.seed, req.sid, product, start, end)
    found = stock_data.sizes_answer(emu.seed, req.sid, item, start, end, body["stockType"], body["includeOffice"])
    order = body["orderBy"]
    for size in found.get("sizes", []):
        if "offices" in size:
            size["offices"] = ordered(size["offices"], order)
    return json_response(200, {"data": {k: ordered(v, order) for k, v in found.items()}})


@router.route("POST", "/api/v2/stocks-report/offices", group="wb.stocks_report", scope="analytics")
def stocks_offices(emu: WbHost, req: Request) -> Response:
    body = stock_body(req, _today(emu), OFFICES_REQUIRED)
    if isinstance(body, Response):
        return body
    listing = {**body, "availabilityFilters": None}
    return json_response(200, {"data": {"regions": _regions(emu.seed, req.sid, json.dumps(listing, sort_keys=True))}})


def _make_regions(seed: int, sid: str, listing: str) -> list[dict]:
    """/offices of a request's filters and period: a sum over every product, which a client
    reading it hourly asks again all day, so it is made once (a big seller's in the builders' pool; its answer
    is a few hundred warehouses at any catalogue size)."""
    body = json.loads(listing)
    return stock_data.regions(seed, sid, matching_items(seed, sid, body), *period(body), body["stockType"])


_regions = Pooled(_make_regions, 64, seller.made_apart)
