"""Wildberries routes of the "Reports" section (wb-api.md §9.1, §9.4-§9.7), each with the
validation and error family its OpenAPI file documents. The data comes from `data.analytics`."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from emulator.common.clock import MSK
from emulator.common.params import parse_day
from emulator.common.router import Request, Response, Router, json_response
from emulator.wb.data import analytics as reportdata
from emulator.wb.error_bodies import STATISTICS, bad_request, problem
from emulator.wb.host import WbHost
from emulator.wb.routes.report_tasks import ACCEPTANCE_WINDOW, WindowRule, parse_report_window
from emulator.wb.routes.stocks import MAX_LIMIT

router = Router()

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
    body = {"title": "bad request", "status": 400, "detail": detail, "requestId": str(uuid.uuid4()),
            "origin": PENALTIES}
    return json_response(400, body)


def parse_date_time(raw: str | None) -> datetime | None:
    """An RFC 3339 date-time with its zone (Go's time.RFC3339), as an aware datetime."""
    if raw is None or not _DATE_TIME.match(raw):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


@router.route("POST", "/api/v1/analytics/excise-report", group="wb.excise", scope="analytics")
def excise_report(emu: WbHost, req: Request) -> Response:
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


@router.route("GET", "/api/v1/analytics/antifraud-details", group="wb.antifraud", scope="analytics")
def antifraud_details(emu: WbHost, req: Request) -> Response:
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


@router.route("GET", "/api/v1/analytics/incorrect-attachments", group="wb.incorrect_attachments", scope="analytics")
def incorrect_attachments(emu: WbHost, req: Request) -> Response:
    return month_report(
        req, lambda a, b: reportdata.incorrect_attachments(emu.seed, req.sid, a, b), reportdata.SUBSTITUTIONS_FROM
    )


@router.route("GET", "/api/v1/analytics/goods-labeling", group="wb.goods_labeling", scope="analytics")
def goods_labeling(emu: WbHost, req: Request) -> Response:
    return month_report(req, lambda a, b: reportdata.goods_labeling(emu.seed, req.sid, a, b))


@router.route("GET", "/api/v1/analytics/storage-coefficient", group="wb.storage_coefficient", scope="analytics")
def storage_coefficient(emu: WbHost, req: Request) -> Response:
    """2024 errors are {errors: [...]}; a week not begun yet has no report."""
    today = emu.clock.today()
    day = parse_day(req.query["date"]) if "date" in req.query else today
    if day is None:
        return json_response(400, {"errors": ["can't parse date"]})
    if day < reportdata.MEASUREMENTS_FROM:
        earliest = reportdata.MEASUREMENTS_FROM.isoformat()
        return json_response(400, {"errors": [f"date cannot be earlier than {earliest}"]})
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


@router.route("GET", "/api/analytics/v1/deductions", group="wb.deductions", scope="analytics")
def deductions(emu: WbHost, req: Request) -> Response:
    sort = req.query.get("sort", "dtBonus")
    if sort not in DEDUCTION_SORTS:
        return retention_error("invalid parameter: sort")
    return retention_page(
        req,
        reportdata.SUBSTITUTIONS_FROM,
        lambda a, b: reportdata.substitutions(emu.seed, req.sid, a, b),
        lambda r: (r[sort], r["dtBonus"], r["oldShkId"]),
    )


@router.route("GET", "/api/analytics/v1/measurement-penalties", group="wb.measurements", scope="analytics")
def measurement_penalties(emu: WbHost, req: Request) -> Response:
    return retention_page(
        req,
        reportdata.MEASUREMENTS_FROM,
        lambda a, b: reportdata.measurement_penalties(emu.seed, req.sid, a, b),
        lambda r: (r["dtBonus"], r["dimId"]),
    )


@router.route("GET", "/api/analytics/v1/warehouse-measurements", group="wb.measurements", scope="analytics")
def warehouse_measurements(emu: WbHost, req: Request) -> Response:
    return retention_page(
        req,
        reportdata.MEASUREMENTS_FROM,
        lambda a, b: reportdata.warehouse_measurements(emu.seed, req.sid, a, b),
        lambda r: (r["dt"], r["dimId"]),
    )
