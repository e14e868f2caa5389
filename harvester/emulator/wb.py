"""Wildberries routes: the stocks report (wb-api.md §7.2) and the paid-storage task trio
(§9.2), with the validation and error bodies of the 2025-12 OpenAPI files. The task status and
download handlers are shared with the paid-acceptance trio (acceptance.py)."""

from __future__ import annotations

import calendar
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from harvester.emulator import data
from harvester.emulator.errors import NOT_JSON, bad_request, invalid_body, invalid_fields, not_found
from harvester.emulator.reportstore import MSK
from harvester.emulator.routing import Request, Response, json_response, route
from harvester.emulator.tasks import Task

if TYPE_CHECKING:
    from harvester.emulator.server import Emulator

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
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$")


def parse_day(raw: object) -> date | None:
    """A strict YYYY-MM-DD date, or None."""
    if not isinstance(raw, str) or not _DATE.match(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def parse_rfc3339(raw: str) -> datetime | None:
    """A date or date-time as the reports API accepts them (2019-06-20, 2019-06-20T23:59:59,
    2019-06-20T00:00:00.12345, with or without a zone), as a naive datetime in the given zone."""
    if not _RFC3339.match(raw):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def is_int(value: object) -> bool:
    """An integer that is not a bool (JSON true is no number)."""
    return isinstance(value, int) and not isinstance(value, bool)


def period_errors(period: object, earliest: date, name: str = "currentPeriod") -> list[str]:
    """What is wrong with a {start, end} period object, in the 'field (reason)' style."""
    if not isinstance(period, dict):
        return [f"{name} (must be an object)"]
    start, end = parse_day(period.get("start")), parse_day(period.get("end"))
    errors = [f"{name}.{k} (must be a date YYYY-MM-DD)" for k, v in (("start", start), ("end", end)) if not v]
    if start and end:
        if start > end:
            errors.append(f"{name}.start (must not be later than end)")
        if start < earliest:
            errors.append(f"{name}.start (must not be earlier than {earliest.isoformat()})")
    return errors


def products_request_errors(body: object, today: date) -> list[str]:
    """What is wrong with a TableProductRequest, in the gateway's 'field (reason)' style."""
    if not isinstance(body, dict):
        return ["body (must be a JSON object)"]
    required = ("currentPeriod", "stockType", "skipDeletedNm", "orderBy", "availabilityFilters", "offset")
    errors = [f"{name} (field required)" for name in required if body.get(name) is None]
    if body.get("currentPeriod") is not None:
        errors += period_errors(body["currentPeriod"], months_before(today, 3))
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


@lru_cache(maxsize=64)
def _stock_rows(seed: int, sid: str, start: date, end: date) -> tuple[dict, ...]:
    """Cached because a full catalogue is paged through in several calls; rows are never mutated."""
    return tuple(data.stocks_products(seed, sid, start, end))


def _sort_value(item: dict, field: str) -> float:
    metrics = item["metrics"]
    value = metrics["currentPrice"][field] if field in ("minPrice", "maxPrice") else metrics[field]
    return value["days"] * 24 + value["hours"] if isinstance(value, dict) else value


def select_products(seed: int, sid: str, body: dict) -> list[dict]:
    """Filter, sort and page the report rows as a validated request asks."""
    start, end = date.fromisoformat(body["currentPeriod"]["start"]), date.fromisoformat(body["currentPeriod"]["end"])
    items: list[dict] = list(_stock_rows(seed, sid, start, end))
    if body.get("nmIDs"):
        wanted = set(body["nmIDs"])
        items = [i for i in items if i["nmID"] in wanted]
    if body.get("subjectID") is not None:
        subject = {p["nmID"]: p["subjectID"] for p in data.products(seed, sid)}
        items = [i for i in items if subject[i["nmID"]] == body["subjectID"]]
    if body.get("brandName"):
        items = [i for i in items if i["brandName"] == body["brandName"]]
    if body.get("tagID") is not None:
        items = []  # emulated sellers have no tags
    if body["skipDeletedNm"]:
        items = [i for i in items if not i["isDeleted"]]
    if body["availabilityFilters"]:
        allowed = set(body["availabilityFilters"])
        items = [i for i in items if i["metrics"]["availability"] in allowed]
    order = body["orderBy"]
    items.sort(key=lambda i: _sort_value(i, order["field"]), reverse=order["mode"] == "desc")  # stable: ties by nmID
    offset, limit = body["offset"], body.get("limit") or DEFAULT_LIMIT
    return items[offset : offset + limit]


@route("POST", "/api/v2/stocks-report/products/products", group="wb.stocks_report", scope="analytics")
def stocks_products(emu: Emulator, req: Request) -> Response:
    try:
        body = req.json()
    except ValueError:
        return invalid_body(NOT_JSON)
    errors = products_request_errors(body, emu.clock.today())
    if errors:
        return invalid_fields(errors)
    return json_response(200, {"data": {"items": select_products(emu.seed, req.sid, body)}})


@dataclass(frozen=True)
class WindowRule:
    """How a reports-API create call checks dateFrom/dateTo; the wording differs per report."""

    max_days: int
    too_long: str
    date_only: bool  # YYYY-MM-DD only, not an RFC 3339 date-time


PAID_STORAGE_WINDOW = WindowRule(8, "Difference between dateFrom and dateTo should be less or equal 8 days", False)
ACCEPTANCE_WINDOW = WindowRule(31, "difference between dateFrom and dateTo should be less or equal 31 days", True)


def parse_report_window(query: dict[str, str], rule: WindowRule = PAID_STORAGE_WINDOW) -> tuple[date, date] | str:
    """dateFrom/dateTo of a reports-API request, or the API's error detail."""
    parsed = []
    for name in ("dateFrom", "dateTo"):
        if not query.get(name):
            return f'parameter "{name}" in query has an error: value is required but missing'
        if rule.date_only:
            day = parse_day(query[name])
            moment = datetime(day.year, day.month, day.day) if day else None
        else:
            moment = parse_rfc3339(query[name])
        if moment is None:
            return f"can't parse {name}"
        parsed.append(moment)
    start, end = parsed
    if end < start:
        return "dateTo should be greater dateFrom"
    if end - start > timedelta(days=rule.max_days):
        return rule.too_long
    return start.date(), end.date()


def create_task(emu: Emulator, req: Request, kind: str, rule: WindowRule) -> Response:
    """The create call of an async report: check the window, answer {data: {taskId}}."""
    window = parse_report_window(req.query, rule)
    if isinstance(window, str):
        return bad_request(window)
    task = emu.create_task(req.sid, *window, kind=kind)
    return json_response(200, {"data": {"taskId": task.id}})


def _uuid_problem(raw: str) -> str | None:
    """Go's uuid.Parse wording for an invalid task id, or None if it is a UUID."""
    if len(raw) not in (32, 36, 38, 45):
        return f"invalid UUID length: {len(raw)}"
    try:
        uuid.UUID(raw)
    except ValueError:
        return "invalid UUID format"
    return None


def _find_task(emu: Emulator, req: Request, kind: str) -> Task | Response:
    raw = req.params["task_id"]
    problem = _uuid_problem(raw)
    if problem:
        return bad_request(
            f"Invalid format for parameter task_id: error unmarshaling '{raw}' text as *uuid.UUID: {problem}"
        )
    return emu.tasks.get(str(uuid.UUID(raw)), req.sid, kind) or not_found()


def task_status(emu: Emulator, req: Request, kind: str) -> Response:
    """The status call of an async report: {data: {id, status}}."""
    task = _find_task(emu, req, kind)
    if isinstance(task, Response):
        return task
    status = emu.tasks.status(task, emu.clock.now())
    return json_response(200, {"data": {"id": task.id, "status": status}})


def task_download(
    emu: Emulator, req: Request, kind: str, rows: Callable[[int, str, date, date], list[dict]]
) -> Response:
    """The download call of an async report: the bare row array once done, 204 if it is empty."""
    task = _find_task(emu, req, kind)
    if isinstance(task, Response):
        return task
    status = emu.tasks.status(task, emu.clock.now())
    if status in ("new", "processing"):
        return bad_request(f"report is not ready yet: task status is {status}")
    if status != "done":
        return not_found()
    found = rows(emu.seed, task.sid, task.date_from, task.date_to)
    return json_response(200, found) if found else Response(204, content_type="")


@route("GET", "/api/v1/paid_storage", group="wb.paid_storage.create", scope="analytics")
def paid_storage_create(emu: Emulator, req: Request) -> Response:
    return create_task(emu, req, "paid_storage", PAID_STORAGE_WINDOW)


@route("GET", "/api/v1/paid_storage/tasks/{task_id}/status", group="wb.paid_storage.status", scope="analytics")
def paid_storage_status(emu: Emulator, req: Request) -> Response:
    return task_status(emu, req, "paid_storage")


@route("GET", "/api/v1/paid_storage/tasks/{task_id}/download", group="wb.paid_storage.download", scope="analytics")
def paid_storage_download(emu: Emulator, req: Request) -> Response:
    return task_download(emu, req, "paid_storage", data.paid_storage)


@route("GET", "/ping", group="wb.ping", scope="analytics")
def ping(emu: Emulator, req: Request) -> Response:
    """Connection and token check (01-general.yaml): the token must carry this host's category."""
    moscow = datetime.fromtimestamp(emu.clock.now(), tz=MSK)
    return json_response(200, {"TS": moscow.isoformat(timespec="seconds"), "Status": "OK"})
