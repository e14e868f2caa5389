"""Wildberries routes: the rest of the stocks report (wb-api.md §7.1, §7.3, §7.4) and the
"Reports" section (§9.1, §9.4-§9.7), each with the validation and error family its OpenAPI
file documents. The data comes from `reportdata`, so these routes and the products route
of `wb` agree."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from harvester.emulator import data, reportdata
from harvester.emulator.csvrows import period
from harvester.emulator.errors import NOT_JSON, STATISTICS, bad_request, invalid_body, invalid_fields, problem
from harvester.emulator.reportstore import MSK
from harvester.emulator.routing import Request, Response, json_response, route
from harvester.emulator.wb import (
    ACCEPTANCE_WINDOW,
    AVAILABILITY,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ORDER_FIELDS,
    STOCK_TYPES,
    WindowRule,
    _stock_rows,
    is_int,
    months_before,
    parse_day,
    parse_report_window,
    period_errors,
)

if TYPE_CHECKING:
    from harvester.emulator.server import Emulator

# --- stocks report (§7) -------------------------------------------------------------------


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
            errors += period_errors(body["currentPeriod"], months_before(today, 3))
        errors += [f"{k} ({reason})" for k, (ok, reason) in _FIELDS.items() if body.get(k) is not None and not ok(body[k])]
    if errors:
        return invalid_fields(errors)
    return body


def matching_items(seed: int, sid: str, body: dict) -> list[dict]:
    """The product items the list filters (nmIDs, subjectIDs, brandNames, tagIDs,
    skipDeletedNm, availabilityFilters) keep; emulated sellers have no tags."""
    subject = {p["nmID"]: p["subjectID"] for p in data.products(seed, sid)}
    items = list(_stock_rows(seed, sid, *period(body)))
    keep: list[Callable[[dict], bool]] = []
    if body.get("nmIDs"):
        nm_ids = set(body["nmIDs"])
        keep.append(lambda i: i["nmID"] in nm_ids)
    if body.get("subjectIDs"):
        subjects = set(body["subjectIDs"])
        keep.append(lambda i: subject[i["nmID"]] in subjects)
    if body.get("brandNames"):
        brands = set(body["brandNames"])
        keep.append(lambda i: i["brandName"] in brands)
    if body.get("tagIDs"):
        keep.append(lambda i: False)
    if body.get("skipDeletedNm"):
        keep.append(lambda i: not i["isDeleted"])
    if body.get("availabilityFilters"):
        allowed = set(body["availabilityFilters"])
        keep.append(lambda i: i["metrics"]["availability"] in allowed)
    return [i for i in items if all(k(i) for k in keep)]


def order_value(metrics: dict, field: str) -> float:
    """A sort value of a metrics block; durations in hours, absent prices as 0."""
    value = metrics.get("currentPrice", {}).get(field, 0) if field in ("minPrice", "maxPrice") else metrics[field]
    return value["days"] * 24 + value["hours"] if isinstance(value, dict) else value


def ordered(rows: list[dict], order: dict) -> list[dict]:
    """Sorted as `orderBy` asks; stable, so ties keep their order."""
    return sorted(rows, key=lambda r: order_value(r["metrics"], order["field"]), reverse=order["mode"] == "desc")


@route("POST", "/api/v2/stocks-report/products/groups", group="wb.stocks_report", scope="analytics")
def stocks_groups(emu: Emulator, req: Request) -> Response:
    body = stock_body(req, emu.clock.today(), GROUPS_REQUIRED)
    if isinstance(body, Response):
        return body
    items = ordered(matching_items(emu.seed, req.sid, body), body["orderBy"])
    found = ordered(reportdata.groups(emu.seed, req.sid, items, *period(body)), body["orderBy"])
    offset, limit = body["offset"], body.get("limit") or DEFAULT_LIMIT
    return json_response(200, {"data": {"groups": found[offset : offset + limit]}})


@route("POST", "/api/v2/stocks-report/products/sizes", group="wb.stocks_report", scope="analytics")
def stocks_sizes(emu: Emulator, req: Request) -> Response:
    body = stock_body(req, emu.clock.today(), SIZES_REQUIRED)
    if isinstance(body, Response):
        return body
    start, end = period(body)
    item = next((i for i in _stock_rows(emu.seed, req.sid, start, end) if i["nmID"] == body["nmID"]), None)
    if item is None:
        return json_response(200, {"data": {}})
    found = reportdata.sizes_answer(emu.seed, req.sid, item, start, end, body["stockType"], body["includeOffice"])
    order = body["orderBy"]
    for size in found.get("sizes", []):
        if "offices" in size:
            size["offices"] = ordered(size["offices"], order)
    return json_response(200, {"data": {k: ordered(v, order) for k, v in found.items()}})


@route("POST", "/api/v2/stocks-report/offices", group="wb.stocks_report", scope="analytics")
def stocks_offices(emu: Emulator, req: Request) -> Response:
    body = stock_body(req, emu.clock.today(), OFFICES_REQUIRED)
    if isinstance(body, Response):
        return body
    items = matching_items(emu.seed, req.sid, {**body, "availabilityFilters": None})
    found = reportdata.regions(emu.seed, req.sid, items, *period(body), body["stockType"])
    return json_response(200, {"data": {"regions": found}})


# --- reports (§9) -------------------------------------------------------------------------

TARIFFS, PENALTIES = "tariffs", "dimension-penalty"
COUNTRY_CODES = ("AM", "BY", "KG", "KZ", "RU", "UZ")
# The excise report documents no longest period.
EXCISE_WINDOW = WindowRule((date.max - date.min).days, "", False)
MONTH_WINDOW = ACCEPTANCE_WINDOW  # ≤ 31 days, YYYY-MM-DD, the api-statistics wording
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
DEDUCTION_SORTS = ("nmId", "dtBonus", "bonusSumm")


def problem_json(detail: str, origin: str, content_type: str = "application/problem+json") -> Response:
    """400 4xxResponse {detail, origin, requestId, title} of the reports service (§3.4 family 5)."""
    return problem(400, "Bad Request", detail, origin, content_type)


def retention_error(detail: str) -> Response:
    """400 Response400Retentions of the deductions and measurement reports."""
    body = {"title": "bad request", "status": 400, "detail": detail, "requestId": str(uuid.uuid4()), "origin": PENALTIES}
    return json_response(400, body)


def parse_date_time(raw: str | None) -> datetime | None:
    """An RFC 3339 date-time with its zone (Go's time.RFC3339), as an aware datetime."""
    if raw is None or not _DATE_TIME.match(raw):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


@route("POST", "/api/v1/analytics/excise-report", group="wb.excise", scope="analytics")
def excise_report(emu: Emulator, req: Request) -> Response:
    window = parse_report_window(req.query, EXCISE_WINDOW)
    if isinstance(window, str):
        return problem_json(window, TARIFFS)
    try:
        body = req.json() or {}
    except ValueError:
        return problem_json("request body has an error: failed to decode request body: invalid JSON", TARIFFS)
    if not isinstance(body, dict):
        return problem_json("request body has an error: value must be an object", TARIFFS)
    countries = body.get("countries") or []
    if not isinstance(countries, list):
        return problem_json('request body has an error: Error at "/countries": value must be an array', TARIFFS)
    for i, code in enumerate(countries):
        if code not in COUNTRY_CODES:
            allowed = ",".join(f'"{c}"' for c in COUNTRY_CODES)
            return problem_json(
                "request body has an error: doesn't match schema #/components/schemas/ExciseReportRequest: "
                f'Error at "/countries/{i}": value is not one of the allowed values [{allowed}]',
                TARIFFS,
            )
    rows = reportdata.excise(emu.seed, req.sid, *window, tuple(countries))
    return json_response(200, {"response": {"data": rows}})


def antifraud_published(week_end: date, now: float) -> bool:
    """A week's report is out on the Wednesday after it, by 07:00 Moscow time."""
    out = datetime.combine(week_end + timedelta(days=1), time(7), tzinfo=MSK)
    return now >= out.timestamp()


@route("GET", "/api/v1/analytics/antifraud-details", group="wb.antifraud", scope="analytics")
def antifraud_details(emu: Emulator, req: Request) -> Response:
    now = emu.clock.now()
    if "date" in req.query:
        day = parse_day(req.query["date"])
        if day is None:
            return problem_json("can't parse date", STATISTICS, "application/json")
        weeks = [reportdata.antifraud_week(day)]
    else:  # everything since August 2023
        weeks, week = [], reportdata.antifraud_week(reportdata.ANTIFRAUD_FROM)
        while antifraud_published(week[1], now):
            weeks.append(week)
            week = reportdata.antifraud_week(week[1] + timedelta(days=1))
    published = [first for first, last in weeks if antifraud_published(last, now)]
    rows = [r for first in published for r in reportdata.antifraud(emu.seed, req.sid, first)]
    return json_response(200, {"details": rows})


def month_report(
    req: Request, rows: Callable[[date, date], list[dict[str, Any]]], earliest: date | None = None
) -> Response:
    """A ≤ 31-day YYYY-MM-DD report answering {report: [...]}; `earliest` refuses older starts."""
    window = parse_report_window(req.query, MONTH_WINDOW)
    if isinstance(window, str):
        return bad_request(window)
    if earliest and window[0] < earliest:
        return bad_request(f"dateFrom cannot be earlier than {earliest.isoformat()}")
    return json_response(200, {"report": rows(*window)})


@route("GET", "/api/v1/analytics/incorrect-attachments", group="wb.incorrect_attachments", scope="analytics")
def incorrect_attachments(emu: Emulator, req: Request) -> Response:
    return month_report(
        req, lambda a, b: reportdata.incorrect_attachments(emu.seed, req.sid, a, b), reportdata.SUBSTITUTIONS_FROM
    )


@route("GET", "/api/v1/analytics/goods-labeling", group="wb.goods_labeling", scope="analytics")
def goods_labeling(emu: Emulator, req: Request) -> Response:
    return month_report(req, lambda a, b: reportdata.goods_labeling(emu.seed, req.sid, a, b))


@route("GET", "/api/v1/analytics/storage-coefficient", group="wb.storage_coefficient", scope="analytics")
def storage_coefficient(emu: Emulator, req: Request) -> Response:
    """2024 errors are {errors: [...]}; a week not begun yet has no report."""
    today = emu.clock.today()
    day = parse_day(req.query["date"]) if "date" in req.query else today
    if day is None:
        return json_response(400, {"errors": ["can't parse date"]})
    if day < reportdata.MEASUREMENTS_FROM:
        return json_response(400, {"errors": [f"date cannot be earlier than {reportdata.MEASUREMENTS_FROM.isoformat()}"]})
    monday = day - timedelta(days=day.weekday())
    rows = reportdata.storage_coefficient(emu.seed, req.sid, monday) if monday <= today else []
    return json_response(200, {"report": rows})


def retention_page(
    req: Request, earliest: date, rows: Callable[[datetime, datetime], list[dict]], sort_key: Callable[[dict], Any]
) -> Response:
    """The deductions / measurements query (dateFrom?, dateTo, limit, offset) and one page of
    {data: {reports, total}}, newest first unless `order=asc`."""
    query = req.query
    end = parse_date_time(query.get("dateTo"))
    if end is None:
        return retention_error("invalid parameter: dateTo")
    start = parse_date_time(query["dateFrom"]) if "dateFrom" in query else datetime.combine(earliest, time(), UTC)
    if start is None:
        return retention_error("invalid parameter: dateFrom")
    if start > end:
        return retention_error("dateFrom must be before dateTo")
    limit, offset = query.get("limit", ""), query.get("offset", "0")
    if not (limit.isdigit() and 1 <= int(limit) <= MAX_LIMIT):
        return retention_error("invalid parameter: limit")
    if not offset.isdigit():
        return retention_error("invalid parameter: offset")
    if query.get("order", "desc") not in ("asc", "desc"):
        return retention_error("invalid parameter: order")
    found = sorted(rows(start, end), key=sort_key, reverse=query.get("order", "desc") == "desc")
    page = found[int(offset) : int(offset) + int(limit)]
    return json_response(200, {"data": {"reports": page, "total": len(found)}})


@route("GET", "/api/analytics/v1/deductions", group="wb.deductions", scope="analytics")
def deductions(emu: Emulator, req: Request) -> Response:
    sort = req.query.get("sort", "dtBonus")
    if sort not in DEDUCTION_SORTS:
        return retention_error("invalid parameter: sort")
    return retention_page(
        req,
        reportdata.SUBSTITUTIONS_FROM,
        lambda a, b: reportdata.substitutions(emu.seed, req.sid, a, b),
        lambda r: (r[sort], r["dtBonus"], r["oldShkId"]),
    )


@route("GET", "/api/analytics/v1/measurement-penalties", group="wb.measurements", scope="analytics")
def measurement_penalties(emu: Emulator, req: Request) -> Response:
    return retention_page(
        req,
        reportdata.MEASUREMENTS_FROM,
        lambda a, b: reportdata.measurement_penalties(emu.seed, req.sid, a, b),
        lambda r: (r["dtBonus"], r["dimId"]),
    )


@route("GET", "/api/analytics/v1/warehouse-measurements", group="wb.measurements", scope="analytics")
def warehouse_measurements(emu: Emulator, req: Request) -> Response:
    return retention_page(
        req,
        reportdata.MEASUREMENTS_FROM,
        lambda a, b: reportdata.warehouse_measurements(emu.seed, req.sid, a, b),
        lambda r: (r["dt"], r["dimId"]),
    )
