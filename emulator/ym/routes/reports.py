"""Yandex Market report routes (yandex-market-api.md §4; the official OpenAPI path files): two
async reports with their info call and file links. Auth, limits and faults are ym.http's; the
files are data.report_files'."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from emulator.common.params import is_int
from emulator.common.router import Request, Response, Router
from emulator.ym import checks
from emulator.ym.auth import YmKey
from emulator.ym.data import catalogue as ymdata
from emulator.ym.data import report_files as ym_files
from emulator.ym.host import YmHost, today
from emulator.ym.http import bad_request, ok, ym_error
from emulator.ym.state.quotas import http_date
from emulator.ym.state.reports import LINK_TTL_S, YmReport

router = Router()

FILES = "/ym-files/{reportId}"



def _generated(emu: YmHost, key: YmKey, sheet: str, columns: tuple[str, ...], rows: list[dict],
               file_format: str) -> Response:
    report = YmReport(str(uuid.uuid4()), key.business_id, sheet, columns, rows, file_format, emu.clock.now(), False)
    if not emu.ym.reports.add(report, emu.report_fails()):
        return ym_error(420, "LIMIT_EXCEEDED", f"Active reports limit exceeded, limit='{emu.ym.reports.active_limit}'")
    emu.count(key.sid, "reports_created")
    return ok({"reportId": report.id, "estimatedGenerationTime": int(emu.ym.reports.ready_s * 1000)})


@router.route("POST", "/v2/reports/stocks-on-warehouses/generate", group="ym.report.stocks_on_warehouses",
       scope="offers", marketplace="ym")
def stocks_on_warehouses(emu: YmHost, req: Request) -> Response:
    """campaignId (that store's warehouses; reportDate = stock of the day before) or businessId
    (every store but FBY/LaaS, filtered by campaignIds), not both."""
    key: YmKey = req.key
    file_format = checks.report_format(req)
    body = checks.body_object(req, required=True)
    problem = _stocks_problem(body)
    if problem:
        return bad_request(problem)
    checks.owned_campaigns(body, key)
    report_date = checks.day_field(body, "reportDate")
    if report_date and report_date > today(emu):
        return bad_request("reportDate must not be in the future")
    if body.get("campaignId") is not None:
        stores = [body["campaignId"]]
    else:
        stores = [c for c in body.get("campaignIds") or key.campaign_ids
                  if ymdata.placement(key.business_id, c) not in ("FBY", "LAAS")]
    day = report_date - timedelta(days=1) if report_date else today(emu)
    rows = ym_files.stocks_rows(emu.seed, key.business_id, stores, key.skus, day, set(body.get("warehouseIds") or ()),
                                set(body.get("categoryIds") or ()), body.get("hasStocks"))
    return _generated(emu, key, ym_files.STOCKS_SHEET, ym_files.STOCKS_COLUMNS, rows, file_format)


def _stocks_problem(body: dict) -> str | None:
    by_campaign, by_business = body.get("campaignId") is not None, body.get("businessId") is not None
    if by_campaign == by_business:
        return "Specify either campaignId or businessId, not both"
    for name in ("campaignId", "businessId"):
        if body.get(name) is not None and not checks.positive_int(body[name]):
            return f"{name} must be a positive integer"
    if body.get("campaignIds") is not None and by_campaign:
        return "campaignIds can be used only with businessId"
    for name, check in (("warehouseIds", is_int), ("categoryIds", checks.positive_int),
                        ("campaignIds", checks.positive_int)):
        problem = checks.list_problem(body, name, check)
        if problem:
            return problem
    if body.get("hasStocks") is not None and not isinstance(body["hasStocks"], bool):
        return "hasStocks must be a boolean"
    checks.day_field(body, "reportDate")
    return None


@router.route("POST", "/v2/reports/united-marketplace-services/generate", group="ym.report.united_marketplace_services",
       scope="finance", marketplace="ym")
def united_marketplace_services(emu: YmHost, req: Request) -> Response:
    """businessId with dateFrom+dateTo (accrual days, at most 3 months) or yearFrom/monthFrom/
    yearTo/monthTo (act months), not both; filters placementPrograms, inns, campaignIds."""
    key: YmKey = req.key
    file_format = checks.report_format(req)
    body = checks.body_object(req, required=True)
    checks.enum_param(req, "language", ("RU", "EN"))
    if not checks.positive_int(body.get("businessId")):
        return bad_request("businessId is required and must be a positive integer")
    problem = _services_filter_problem(body)
    if problem:
        return bad_request(problem)
    checks.owned_campaigns(body, key)
    days = _services_days(emu, key, body)
    if isinstance(days, str):
        return bad_request(days)
    stores = [c for c in body.get("campaignIds") or key.campaign_ids
              if ymdata.placement(key.business_id, c) in (body.get("placementPrograms") or checks.PLACEMENT_TYPES)]
    rows = ym_files.services_rows(emu.seed, key.business_id, stores, key.skus, days)
    if body.get("inns"):
        rows = [r for r in rows if r["INN"] in body["inns"]]
    return _generated(emu, key, ym_files.SERVICES_SHEET, ym_files.SERVICES_COLUMNS, rows, file_format)


def _services_filter_problem(body: dict) -> str | None:
    for name, check in (("placementPrograms", lambda v: v in checks.PLACEMENT_TYPES),
                        ("inns", lambda v: isinstance(v, str)), ("campaignIds", checks.positive_int)):
        problem = checks.list_problem(body, name, check)
        if problem:
            return problem
    return None


def _services_days(emu: YmHost, key: YmKey, body: dict) -> list | str:
    """The accrual days a services report covers, or what is wrong with its period."""
    months = ("yearFrom", "monthFrom", "yearTo", "monthTo")
    by_day = body.get("dateFrom") is not None or body.get("dateTo") is not None
    by_month = any(body.get(n) is not None for n in months)
    if by_day == by_month:
        return "Specify either dateFrom and dateTo or yearFrom, monthFrom, yearTo and monthTo"
    now = today(emu)
    if by_month:
        if not all(is_int(body.get(n)) for n in months) or not all(1 <= body[n] <= 12 for n in months[1::2]):
            return "yearFrom, monthFrom, yearTo and monthTo must all be given; months are 1 to 12"
        return ym_files.month_days(body["yearFrom"], body["monthFrom"], body["yearTo"], body["monthTo"], now)
    start, end = checks.day_field(body, "dateFrom"), checks.day_field(body, "dateTo")
    if start is None or end is None:
        return "dateFrom and dateTo must both be given"
    return checks.period_problem(start, end, now, key.tier) or ym_files.service_days(start, end, now)


@router.route("GET", "/v2/reports/info/{reportId}", group="ym.report_info", scope="any", marketplace="ym")
def report_info(emu: YmHost, req: Request) -> Response:
    """Status, and once DONE a freshly minted file link valid for 60 emulated minutes."""
    checks.enum_param(req, "sourceType", ("SELLER", "ADVERTISER"))
    now = emu.clock.now()
    reports = emu.ym.reports
    report = reports.get(req.params["reportId"], now, req.key.business_id)
    if report is None:
        return ym_error(404, "NOT_FOUND", "Report not found.")
    status, sub_status = reports.status(report, now)
    result: dict = {"status": status, "generationRequestedAt": _iso(report.requested)}
    if sub_status:
        result["subStatus"] = sub_status
    if status in ("PENDING", "PROCESSING"):
        result["estimatedGenerationTime"] = int((reports.finished(report) - now) * 1000)
    else:
        result["generationFinishedAt"] = _iso(reports.finished(report))
    if status == "DONE" and not sub_status:
        expires = int(now + LINK_TTL_S)
        host = req.headers.get("Host") or emu.url.split("//", 1)[1]
        path = FILES.format(reportId=report.id)
        result["file"] = f"http://{host}{path}?expires={expires}&sig={reports.sign(report.id, expires)}"
    return ok(result)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _storage_error(status: int, code: str, message: str) -> Response:
    """The object storage's own XML error (the real link points at a storage host, not the API)."""
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(status, body.encode(), "application/xml")


@router.route("GET", FILES, marketplace="ym")
def report_file(emu: YmHost, req: Request) -> Response:
    """A finished report's file (XLSX, or a ZIP of CSV / JSON), for anyone holding a link that has not expired."""
    now = emu.clock.now()
    report_id = req.params["reportId"]
    if not emu.ym.reports.link_ok(report_id, req.query.get("expires", ""), req.query.get("sig", ""), now):
        return _storage_error(403, "AccessDenied", "Request has expired or its signature does not match")
    report = emu.ym.reports.get(report_id, now)
    if report is None:
        return _storage_error(404, "NoSuchKey", "The specified key does not exist.")
    body = ym_files.archive(report.sheet, report.columns, report.rows, report.file_format)
    return Response(200, body, ym_files.media_type(report.file_format),
                    {"Last-Modified": http_date(emu.ym.reports.finished(report))})
