"""Search queries report routes (wb-api.md §6): five POSTs on one limit group, Analytics token,
Jam subscription required (403 without it, ErrorObject403). Bodies are checked the way the
2025-12 OpenAPI file and its descriptions say; a bad one is a 400 with ErrorObject400."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from emulator.common.builds import Pooled
from emulator.common.params import is_int, parse_day, period_errors
from emulator.common.router import Request, Response, Router, json_response
from emulator.wb.data import csv_rows, seller
from emulator.wb.data import search as searchdata
from emulator.wb.error_bodies import NOT_JSON, analytics_error, invalid_body, invalid_fields
from emulator.wb.host import WbHost
from emulator.wb.routes.csv_reports import GR_TE_ORDER, PRODUCT_ORDER, TOP_ORDER

router = Router()

BASE = "/api/v2/search-report"
GROUP = "wb.search_report"
MAX_IDS = 50  # nmIds of /table/details and /product/search-texts
MAX_TEXTS = 30  # searchTexts of /product/orders and `limit` of /product/search-texts (standard tariff)
MAX_ORDER_DAYS = 7
HISTORY_DAYS = 365
UINT32 = 2**32


def _list_of(check: Callable[[Any], bool], least: int = 0, most: int = UINT32) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, list) and least <= len(v) <= most and all(check(x) for x in v)


def _uint(v: Any) -> bool:
    return is_int(v) and 0 <= v < UINT32


def _text(v: Any) -> bool:
    return isinstance(v, str)


def _bool(v: Any) -> bool:
    return isinstance(v, bool)


# field -> (check, reason), applied to whichever of them a body carries
CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "nmIds": (_list_of(is_int), "must be a list of integers"),
    "subjectIds": (_list_of(is_int), "must be a list of integers"),
    "brandNames": (_list_of(_text), "must be a list of strings"),
    "tagIds": (_list_of(is_int), "must be a list of integers"),
    "subjectId": (is_int, "must be an integer"),
    "brandName": (_text, "must be a string"),
    "tagId": (is_int, "must be an integer"),
    "positionCluster": (lambda v: v in csv_rows.CLUSTERS, "must be one of " + ", ".join(csv_rows.CLUSTERS)),
    "topOrderBy": (lambda v: v in TOP_ORDER, "must be one of " + ", ".join(TOP_ORDER)),
    "includeSubstitutedSKUs": (_bool, "must be a boolean"),
    "includeSearchTexts": (_bool, "must be a boolean"),
    "offset": (_uint, "must be a non-negative integer"),
    "nmId": (_uint, "must be a non-negative integer"),
    "searchTexts": (_list_of(_text, 1, MAX_TEXTS), f"must be a list of 1 to {MAX_TEXTS} strings"),
}


@dataclass(frozen=True)
class Rules:
    """What one operation's body needs beyond the shared field checks."""

    required: tuple[str, ...]
    order_fields: tuple[str, ...] = ()
    limit: tuple[int, int] = (0, 1000)
    most_ids: int | None = None  # nmIds
    needs_filter: bool = False  # /table/groups pages only within a subject, brand or tag filter


REPORT = Rules(("currentPeriod", "orderBy", "positionCluster", "limit", "offset"), PRODUCT_ORDER)
GROUPS = Rules(REPORT.required, GR_TE_ORDER, needs_filter=True)
DETAILS = Rules(REPORT.required, PRODUCT_ORDER, most_ids=MAX_IDS)
TEXTS = Rules(("currentPeriod", "nmIds", "limit", "topOrderBy", "orderBy"), GR_TE_ORDER, (1, MAX_TEXTS), MAX_IDS)
ORDERS = Rules(("period", "nmId", "searchTexts"))


def _days(raw: dict) -> int:
    return (date.fromisoformat(raw["end"]) - date.fromisoformat(raw["start"])).days + 1


def _periods_errors(body: dict, earliest: date) -> list[str]:
    """currentPeriod (or period) and pastPeriod: dates a year back at most; the past period
    no longer than the current one and ending before it starts."""
    errors = []
    for name in ("currentPeriod", "pastPeriod", "period"):
        if body.get(name) is not None:
            errors += period_errors(body[name], earliest, name)
    if errors:
        return errors
    if body.get("period") is not None and _days(body["period"]) > MAX_ORDER_DAYS:
        errors.append(f"period (must not be longer than {MAX_ORDER_DAYS} days)")
    current, past = body.get("currentPeriod"), body.get("pastPeriod")
    if current is not None and past is not None:
        if _days(past) > _days(current):
            errors.append("pastPeriod (must not be longer than currentPeriod)")
        past_end, current_start = parse_day(past["end"]), parse_day(current["start"])
        if past_end is not None and current_start is not None and past_end >= current_start:
            errors.append("pastPeriod.end (must be before currentPeriod.start)")
    return errors


def request_errors(rules: Rules, body: object, today: date) -> list[str]:
    """What is wrong with a body, in the analytics gateway's 'field (reason)' style."""
    if not isinstance(body, dict):
        return ["body (must be a JSON object)"]
    errors = [f"{name} (field required)" for name in rules.required if body.get(name) is None]
    errors += [f"{k} ({reason})" for k, (ok, reason) in CHECKS.items() if body.get(k) is not None and not ok(body[k])]
    errors += _periods_errors(body, today - timedelta(days=HISTORY_DAYS))
    order = body.get("orderBy")
    if order is not None and not (
        isinstance(order, dict) and order.get("field") in rules.order_fields and order.get("mode") in ("asc", "desc")
    ):
        errors.append("orderBy (field must be one of " + ", ".join(rules.order_fields) + "; mode asc or desc)")
    low, high = rules.limit
    limit = body.get("limit")
    if limit is not None and not (is_int(limit) and low <= limit <= high):
        errors.append(f"limit (must be an integer from {low} to {high})")
    ids = body.get("nmIds")
    if rules.most_ids is not None and isinstance(ids, list) and len(ids) > rules.most_ids:
        errors.append(f"nmIds (must hold at most {rules.most_ids} items)")
    if body.get("includeSubstitutedSKUs") is False and body.get("includeSearchTexts") is False:
        errors.append("includeSubstitutedSKUs and includeSearchTexts can not both be false")
    if rules.needs_filter and not any(body.get(k) for k in ("subjectIds", "brandNames", "tagIds")):
        errors.append("subjectIds, brandNames or tagIds (a filter is required to page through groups)")
    return errors


def _serve(emu: WbHost, req: Request, rules: Rules, answer: Callable[[int, str, dict], Any]) -> Response:
    """Jam, then the body, then `{"data": answer}`."""
    if not emu.reports.has_jam(req.sid):
        return analytics_error(403, "Authorization error", "Authorization error")
    try:
        body = req.json()
    except ValueError:
        return invalid_body(NOT_JSON)
    errors = request_errors(rules, body, emu.clock.today())
    if errors:
        return invalid_fields(errors)
    return json_response(200, {"data": answer(emu.seed, req.sid, body)})


def _page(items: list[dict], body: dict) -> list[dict]:
    return items[body["offset"] : body["offset"] + body["limit"]]


def _make_main_page(seed: int, sid: str, body: str) -> dict:
    return searchdata.main_page(seed, sid, json.loads(body))


# Every figure of the main page sums the whole catalogue (30 s for 100,000 products): a big
# seller's is made in the report builders' pool; kept, as the data functions take no clock.
_main_page = Pooled(_make_main_page, 8, seller.made_apart)


@router.route("POST", f"{BASE}/report", group=GROUP, scope="analytics")
def report(emu: WbHost, req: Request) -> Response:
    return _serve(emu, req, REPORT, lambda seed, sid, body: _main_page(seed, sid, json.dumps(body, sort_keys=True)))


@router.route("POST", f"{BASE}/table/groups", group=GROUP, scope="analytics")
def table_groups(emu: WbHost, req: Request) -> Response:
    return _serve(emu, req, GROUPS, lambda seed, sid, body: {"groups": _page(searchdata.groups(seed, sid, body), body)})


@router.route("POST", f"{BASE}/table/details", group=GROUP, scope="analytics")
def table_details(emu: WbHost, req: Request) -> Response:
    return _serve(emu, req, DETAILS, lambda seed, sid, body: {"products": _details(seed, sid, body)})


def _details(seed: int, sid: str, body: dict) -> list[dict]:
    """One page of /table/details: the products found, in the body's order, made for the page's
    products only; the order (ids, not rows) is made once per body and kept."""
    unpaged = json.dumps({k: v for k, v in body.items() if k not in ("offset", "limit")}, sort_keys=True)
    page = _found(seed, sid, unpaged)[body["offset"] : body["offset"] + body["limit"]]
    if not page:
        return []
    made = {item["nmId"]: item for item in searchdata.products(seed, sid, {**body, "nmIds": list(page)})}
    return [made[nm_id] for nm_id in page]


def _make_found(seed: int, sid: str, unpaged: str) -> tuple[int, ...]:
    """The nmIDs /table/details finds for a body, in its order: a client pages a big seller a
    thousand at a time, and each page made every product's metrics again to sort them. A big
    seller's is made in the report builders' pool."""
    return tuple(item["nmId"] for item in searchdata.products(seed, sid, json.loads(unpaged)))


_found = Pooled(_make_found, 8, seller.made_apart)


@router.route("POST", f"{BASE}/product/search-texts", group=GROUP, scope="analytics")
def search_texts(emu: WbHost, req: Request) -> Response:
    return _serve(emu, req, TEXTS, lambda seed, sid, body: {"items": searchdata.search_texts(seed, sid, body)})


@router.route("POST", f"{BASE}/product/orders", group=GROUP, scope="analytics")
def product_orders(emu: WbHost, req: Request) -> Response:
    return _serve(emu, req, ORDERS, searchdata.product_orders)
