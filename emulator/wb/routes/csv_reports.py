"""Seller-analytics CSV routes (wb-api.md §8): create, list, retry and file, with the request
validation and the analytics-open-api error bodies of the 2025-12 OpenAPI file. All four share
one limit group; a create is refused once 20 of the seller's reports succeeded that Moscow day."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date, timedelta

from emulator.common import builds
from emulator.common.clock import msk_day
from emulator.common.params import is_int, months_before, parse_day, period_errors
from emulator.common.router import Request, Response, Router, json_response
from emulator.wb.data import csv_rows
from emulator.wb.data.csv_files import report_file
from emulator.wb.error_bodies import ANALYTICS_CSV, analytics_error, invalid_body
from emulator.wb.host import WbHost
from emulator.wb.routes.stocks import AVAILABILITY, ORDER_FIELDS, STOCK_TYPES
from emulator.wb.state.report_store import DAILY_QUOTA, Report, msk_text, until_msk_midnight

router = Router()

PATH = "/api/v2/nm-report/downloads"
GROUP = "wb.nm_report_downloads"
GR_TE_ORDER = ("avgPosition", "openCard", "addToCart", "openToCart", "orders", "cartToOrder", "visibility")
PRODUCT_ORDER = (
    *("openCard", "addToCart", "orderCount", "orderSum", "buyoutCount", "buyoutSum", "cancelCount", "cancelSum"),
    *("avgPrice", "stockMpQty", "stockWbQty", "shareOrderPercent", "addToWishlist", "timeToReady"),
    *("localizationPercent", "wbClub.orderCount", "wbClub.orderSum", "wbClub.buyoutSum", "wbClub.cancelSum"),
    *("wbClub.buyoutCount", "wbClub.avgPrice", "wbClub.buyoutPercent", "wbClub.avgOrderCountPerDay"),
    "wbClub.cancelCount",
)
TOP_ORDER = ("openCard", "addToCart", "openToCart", "orders", "cartToOrder")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]")
_FILES = threading.Lock()  # one build per report, however many listings race
# How long a listing waits for a file its timeline says is ready before it lists the report as
# still PROCESSING: a big seller's day of search texts can outlast the timeline while the builders
# are busy, and a listing waiting for it outlived the client's timeout.
FILE_WAIT_S = 5.0


def _year_back(today: date) -> date:
    return today - timedelta(days=365)


def _three_months_back(today: date) -> date:
    return months_before(today, 3)


@dataclass(frozen=True)
class Kind:
    """What a reportType needs: its default name, required params, sort fields, Jam, and the
    earliest start its periods may have (a year back; three months for stock reports)."""

    title: str
    required: tuple[str, ...]
    order_fields: tuple[str, ...] = ()
    jam: bool = False
    earliest: Callable[[date], date] = _year_back

    @property
    def dated(self) -> bool:
        """The funnel reports take startDate/endDate; the others a currentPeriod object."""
        return "startDate" in self.required


SEARCH_REQUIRED = ("currentPeriod", "orderBy", "positionCluster")
STOCK_REQUIRED = ("currentPeriod", "stockType", "skipDeletedNm")
KINDS: dict[str, Kind] = {
    "DETAIL_HISTORY_REPORT": Kind("Воронка продаж. По артикулам WB", ("startDate", "endDate")),
    "GROUPED_HISTORY_REPORT": Kind("Воронка продаж. По предметам, брендам и ярлыкам", ("startDate", "endDate")),
    "SEARCH_QUERIES_PREMIUM_REPORT_GROUP": Kind(
        "Параметры поиска. По предметам, брендам и ярлыкам", (*SEARCH_REQUIRED, "subjectIds"), GR_TE_ORDER, True
    ),
    "SEARCH_QUERIES_PREMIUM_REPORT_PRODUCT": Kind(
        "Параметры поиска. По артикулам WB", SEARCH_REQUIRED, PRODUCT_ORDER, True
    ),
    "SEARCH_QUERIES_PREMIUM_REPORT_TEXT": Kind(
        "Тексты поисковых запросов", ("currentPeriod", "limit", "topOrderBy", "orderBy"), GR_TE_ORDER, True
    ),
    "STOCK_HISTORY_REPORT_CSV": Kind(
        "История остатков", (*STOCK_REQUIRED, "availabilityFilters", "orderBy"), ORDER_FIELDS, False, _three_months_back
    ),
    "STOCK_HISTORY_DAILY_CSV": Kind("История остатков по дням", STOCK_REQUIRED, (), False, _three_months_back),
}
SPELLINGS = {"nmIds": ("nmIds", "nmIDs"), "subjectIds": ("subjectIds", "subjectIDs"), "tagIds": ("tagIds", "tagIDs")}


def _list_of(check: Callable[[object], bool], most: int = 10**6) -> Callable[[object], bool]:
    return lambda v: isinstance(v, list) and len(v) <= most and all(check(x) for x in v)


def _one_of(*allowed: object) -> Callable[[object], bool]:
    return lambda v: v in allowed


_INTS = (_list_of(is_int), "must be a list of integers")
_NM_IDS = (_list_of(is_int, 1000), "must be a list of at most 1000 integers")
_BOOL = (lambda v: isinstance(v, bool), "must be a boolean")
# param -> (check, reason); applied to whichever params a request carries
CHECKS: dict[str, tuple[Callable[[object], object], str]] = {  # a check's truth says the value is good
    "nmIDs": _NM_IDS,
    "nmIds": _NM_IDS,
    "subjectIDs": _INTS,
    "subjectIds": _INTS,
    "tagIDs": _INTS,
    "tagIds": _INTS,
    "brandNames": (_list_of(lambda x: isinstance(x, str)), "must be a list of strings"),
    "startDate": (parse_day, "must be a date YYYY-MM-DD"),
    "endDate": (parse_day, "must be a date YYYY-MM-DD"),
    "timezone": (lambda v: isinstance(v, str), "must be a string"),
    "aggregationLevel": (_one_of("day", "week", "month"), "must be one of day, week, month"),
    "skipDeletedNm": _BOOL,
    "includeSubstitutedSKUs": _BOOL,
    "includeSearchTexts": _BOOL,
    "positionCluster": (_one_of(*csv_rows.CLUSTERS), "must be one of " + ", ".join(csv_rows.CLUSTERS)),
    "topOrderBy": (_one_of(*TOP_ORDER), "must be one of " + ", ".join(TOP_ORDER)),
    "limit": (lambda v: is_int(v) and 1 <= v <= 100, "must be an integer from 1 to 100"),
    "subjectId": (is_int, "must be an integer"),
    "tagId": (is_int, "must be an integer"),
    "brandName": (lambda v: isinstance(v, str), "must be a string"),
    "stockType": (_one_of(*STOCK_TYPES), "must be one of '', 'wb', 'mp'"),
    "availabilityFilters": (_list_of(_one_of(*AVAILABILITY)), "must be a list of " + ", ".join(AVAILABILITY)),
}


def _params_errors(kind: Kind, params: dict, today: date) -> list[str]:
    errors = [
        f"params.{name} (field required)"
        for name in kind.required
        if csv_rows.pick(params, *SPELLINGS.get(name, (name,))) is None
    ]
    errors += [
        f"params.{k} ({reason})"
        for k, (ok, reason) in CHECKS.items()
        if params.get(k) is not None and not ok(params[k])
    ]
    start, end = parse_day(params.get("startDate")), parse_day(params.get("endDate"))
    if start and end and not start <= end <= start + timedelta(days=365):
        errors.append("params.endDate (must not be before startDate nor more than a year after it)")
    for name in ("currentPeriod", "pastPeriod"):  # ending by today: a stock report builds a column per day
        if params.get(name) is not None:
            errors += [f"params.{e}" for e in period_errors(params[name], kind.earliest(today), name, today)]
    order = params.get("orderBy")
    if order is not None and not (
        isinstance(order, dict) and order.get("field") in kind.order_fields and order.get("mode") in ("asc", "desc")
    ):
        errors.append("params.orderBy (field must be one of " + ", ".join(kind.order_fields) + "; mode asc or desc)")
    if params.get("includeSubstitutedSKUs") is False and params.get("includeSearchTexts") is False:
        errors.append("params.includeSubstitutedSKUs and params.includeSearchTexts can not both be false")
    return errors


def request_errors(body: object, today: date) -> list[str]:
    """What is wrong with a create request, `today` being the Moscow date; empty when it is valid."""
    if not isinstance(body, dict):
        return ["body (must be a JSON object)"]
    errors = [f"{name} (field required)" for name in ("id", "reportType", "params") if body.get(name) is None]
    if body.get("id") is not None and _uuid(body["id"]) is None:
        errors.append("id (must be a UUID)")
    name = body.get("userReportName")
    if name is not None and (not isinstance(name, str) or _EMOJI.search(name)):
        errors.append("userReportName can not contain emojis")
    report_type = body.get("reportType")
    kind = KINDS.get(report_type) if isinstance(report_type, str) else None
    if report_type is not None and kind is None:
        errors.append("reportType (must be one of " + ", ".join(KINDS) + ")")
    params = body.get("params")
    if params is not None and not isinstance(params, dict):
        errors.append("params (must be an object)")
    elif kind and params is not None:
        errors += _params_errors(kind, params, today)
    return errors


def _uuid(raw: object) -> str | None:
    try:
        return str(uuid.UUID(raw)) if isinstance(raw, str) else None
    except ValueError:
        return None


def _invalid(detail: str) -> Response:
    return invalid_body(detail, ANALYTICS_CSV)


def _file(emu: WbHost, report: Report) -> Future:
    """The report's ZIP and data-row count, building (see `builds`) from the first time it is
    asked for, and again if its build failed (a process of the pool died)."""
    with _FILES:
        if report.file is None or (report.file.done() and report.file.exception() is not None):
            report.file = builds.submit(report_file, emu.seed, report.sid, report.id, report.report_type, report.params)
        return report.file


def _as_listed(emu: WbHost, report: Report, status: str) -> tuple[str, tuple[bytes, int]]:
    """The report's status as WB lists it, and its (ZIP, data rows): its file starts building
    under way, as WB builds it while the client polls, and a report is SUCCESS only once the file
    is there (waiting `FILE_WAIT_S` for it), PROCESSING before."""
    if status == "PROCESSING" and not report.failed:
        _file(emu, report)
    if status != "SUCCESS":
        return status, (b"", 0)  # an unfinished or failed report has no file
    try:
        return status, _file(emu, report).result(timeout=FILE_WAIT_S)
    except TimeoutError:
        return "PROCESSING", (b"", 0)


@router.route("POST", PATH, group=GROUP, scope="analytics")
def create(emu: WbHost, req: Request) -> Response:
    try:
        body = req.json()
    except ValueError:
        return _invalid("request body is not valid JSON")
    errors = request_errors(body, msk_day(emu.clock.now()))
    if errors:
        return _invalid("; ".join(errors))
    kind = KINDS[body["reportType"]]
    if kind.jam and not emu.reports.has_jam(req.sid):
        return analytics_error(403, "Authorization error", "Authorization error", ANALYTICS_CSV)
    now = emu.clock.now()
    params = body["params"]
    start, end = (params["startDate"], params["endDate"]) if kind.dated else csv_rows.period(params)
    name = body.get("userReportName") or kind.title
    report = Report(str(uuid.UUID(body["id"])), req.sid, body["reportType"], params, name, str(start), str(end), now)
    refusal = emu.reports.add(report, now, emu.report_fails)
    if refusal == "duplicate":
        return _invalid(f"a report with id {report.id} already exists")
    if refusal == "quota":
        detail = f"The daily response limit has been exceeded. The maximum number is {DAILY_QUOTA}."
        resp = analytics_error(429, "Too many requests", detail, ANALYTICS_CSV)
        resp.headers["X-Ratelimit-Retry"] = str(until_msk_midnight(now))
        return resp
    emu.count(req.sid, "reports_created")
    return json_response(200, {"data": "Created"})


@router.route("GET", PATH, group=GROUP, scope="analytics")
def listing(emu: WbHost, req: Request) -> Response:
    """filter[downloadIds] is an array of uuids, the parameter repeated per id (OpenAPI's default
    form style); a comma-joined or empty value is refused. No filter lists every live report."""
    wanted: set[str] = set()
    for value in req.args.get("filter[downloadIds]", []):
        report_id = _uuid(value.strip())
        if report_id is None:
            return _invalid(f"invalid download id {value!r}: one uuid per filter[downloadIds] parameter")
        wanted.add(report_id)
    items = []
    for report, status in emu.reports.listed(req.sid, wanted or None, emu.clock.now()):
        status, (zipped, rows) = _as_listed(emu, report, status)
        finished = status in ("SUCCESS", "FAILED")
        items.append(
            {
                "id": report.id,
                "createdAt": msk_text(emu.reports.finished(report) if finished else report.created),
                "status": status,
                "name": report.name,
                "size": len(zipped) if rows else 0,
                "startDate": report.start_date,
                "endDate": report.end_date,
            }
        )
    return json_response(200, {"data": items})


@router.route("POST", f"{PATH}/retry", group=GROUP, scope="analytics")
def retry(emu: WbHost, req: Request) -> Response:
    try:
        body = req.json()
    except ValueError:
        return _invalid("request body is not valid JSON")
    report_id = _uuid(body.get("downloadId")) if isinstance(body, dict) else None
    now = emu.clock.now()
    found = emu.reports.get(req.sid, report_id, now) if report_id else None
    if found is None:
        return _invalid("invalid download id")
    if not emu.reports.retry(found[0], now, emu.report_fails):
        return _invalid(f"only a FAILED report can be retried; this one is {found[1]}")
    return json_response(200, {"data": "Retry"})


@router.route("GET", f"{PATH}/file/{{downloadId}}", group=GROUP, scope="analytics")
def download(emu: WbHost, req: Request) -> Response:
    report_id = _uuid(req.params["downloadId"])
    found = emu.reports.get(req.sid, report_id, emu.clock.now()) if report_id else None
    if report_id and found is None:
        return analytics_error(404, "Not Found", "download id was not found", ANALYTICS_CSV)
    status, (zipped, rows) = _as_listed(emu, *found) if found else ("", (b"", 0))
    if status != "SUCCESS":
        return _invalid("check correctness of download id")
    return Response(200, zipped, "application/zip") if rows else Response(204, content_type="")
