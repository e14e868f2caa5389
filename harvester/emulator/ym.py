"""Yandex Market routes (yandex-market-api.md §1, §4, §5; official OpenAPI path files): stores,
the offer catalogue, stats/skus, two async reports with their info call and file links, and the
YM control routes. Auth, limits and faults are ym_http's; data is ymdata's and ym_files'.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from harvester.emulator import ym_checks as checks
from harvester.emulator import ym_files, ymdata
from harvester.emulator.control import json_object
from harvester.emulator.reportstore import msk_day
from harvester.emulator.routing import Request, Response, json_response, route
from harvester.emulator.wb import is_int
from harvester.emulator.ym_auth import YmKey, ym_business_id
from harvester.emulator.ym_http import bad_request, ym_error
from harvester.emulator.ym_limits import http_date
from harvester.emulator.ym_reports import LINK_TTL_S, YmReport

if TYPE_CHECKING:
    from harvester.emulator.server import Emulator

FILES = "/ym-files/{reportId}"


def _ok(result: object) -> Response:
    return json_response(200, {"status": "OK", "result": result})


def today(emu: Emulator) -> date:
    """The Moscow date, the day Yandex Market's snapshots belong to."""
    return msk_day(emu.clock.now())


@route("GET", "/v2/campaigns", group="ym.campaigns", scope="any", marketplace="ym")
def get_campaigns(emu: Emulator, req: Request) -> Response:
    """Token paging (pageToken + limit, no default: all at once) or the legacy page/pageSize pager."""
    key: YmKey = req.key
    limit, page, size = (checks.int_param(req, *spec) for spec in
                         (("limit", 1, 100), ("page", 1, 10_000), ("pageSize", 1, None)))
    offset = checks.page_offset(req)
    for found in (limit, page, size, offset):
        if isinstance(found, Response):
            return found
    stores = ymdata.campaigns(emu.seed, key.business_id, key.campaign_ids)
    if limit is None and (page is not None or size is not None):  # the deprecated pager
        size = size or 10
        offset, limit = ((page or 1) - 1) * size, size
    limit = limit or len(stores)
    chunk = stores[offset : offset + limit]
    body = {
        "campaigns": chunk,
        "pager": {"total": len(stores), "from": offset + 1, "to": offset + len(chunk), "pageSize": limit,
                  "currentPage": offset // limit + 1, "pagesCount": -(-len(stores) // limit)},
        "paging": {"nextPageToken": checks.page_token(offset + limit)} if offset + limit < len(stores) else {},
    }
    return json_response(200, body)


def _offer_filter(body: dict) -> str | None:
    for name, check in (("cardStatuses", lambda v: v in ymdata.CARD_STATUS_ENUM),
                        ("categoryIds", checks.positive_int),
                        ("vendorNames", lambda v: isinstance(v, str)), ("tags", lambda v: isinstance(v, str))):
        problem = checks.list_problem(body, name, check)
        if problem:
            return problem
    if body.get("archived") is not None and not isinstance(body["archived"], bool):
        return "archived must be a boolean"
    return None


@route("POST", "/v2/businesses/{businessId}/offer-mappings", group="ym.offer_mappings", scope="offers",
       marketplace="ym")
def offer_mappings(emu: Emulator, req: Request) -> Response:
    """By offerIds (up to 100, one answer) or by filters, paged by page_token; limit over 100 is truncated."""
    key: YmKey = req.key
    body = checks.body_object(req, required=False)
    if isinstance(body, Response):
        return body
    limit = checks.int_param(req, "limit", 1, None)
    offset = checks.page_offset(req)
    wanted = checks.shop_sku_list(body, "offerIds", 100)
    problem = checks.enum_param(req, "language", ("RU", "UZ"))
    for found in (limit, offset, wanted, problem):
        if isinstance(found, Response):
            return found
    problem = _offer_filter(body)
    if problem:
        return bad_request(problem)
    offers = ymdata.catalogue(emu.seed, key.business_id, key.campaign_ids, key.skus)
    if wanted:
        where = dict(offers)
        chosen = [(sku, where[sku]) for sku in wanted if sku in where]
        offset, limit = 0, len(chosen) or 1
    else:
        chosen = [o for o in offers if _matches(emu.seed, key.business_id, o[0], body)]
        limit = min(limit or 50, 100)
    day = today(emu)
    page = [ymdata.offer_mapping(emu.seed, key.business_id, sku, cid, day)
            for sku, cid in chosen[offset : offset + limit]]
    result: dict = {"offerMappings": page}
    result["paging"] = {"nextPageToken": checks.page_token(offset + limit)} if offset + limit < len(chosen) else {}
    return _ok(result)


def _matches(seed: int, business_id: int, sku: str, body: dict) -> bool:
    if body.get("archived") or body.get("tags"):  # emulated offers are never archived and carry no tags
        return False
    card = ymdata.product(seed, business_id, sku)
    return all(
        not body.get(name) or value in body[name]
        for name, value in (("cardStatuses", card["cardStatus"]), ("categoryIds", card["categoryId"]),
                            ("vendorNames", card["vendor"]))
    )


@route("POST", "/v2/campaigns/{campaignId}/stats/skus", group="ym.stats_skus", scope="offers", marketplace="ym")
def stats_skus(emu: Emulator, req: Request) -> Response:
    """Up to 500 unique shopSkus; unknown ones are left out of the answer (and so not charged)."""
    key: YmKey = req.key
    body = checks.body_object(req, required=True)
    if isinstance(body, Response):
        return body
    if body.get("shopSkus") is None:
        return bad_request("shopSkus is required")
    wanted = checks.shop_sku_list(body, "shopSkus", 500)
    if isinstance(wanted, Response):
        return wanted
    campaign_id = int(req.params["campaignId"])
    placed = set(ymdata.shop_skus(emu.seed, key.business_id, campaign_id, key.skus))
    day = today(emu)
    items = [ymdata.goods_stats(emu.seed, key.business_id, campaign_id, sku, day, emu.ym.novel)
             for sku in wanted if sku in placed]
    return _ok({"shopSkus": items})


def _generated(emu: Emulator, key: YmKey, sheet: str, columns: tuple[str, ...], rows: list[dict],
               file_format: str) -> Response:
    report = YmReport(str(uuid.uuid4()), key.business_id, sheet, columns, rows, file_format, emu.clock.now(), False)
    emu.ym.reports.add(report, emu.report_fails())
    emu.count(key.sid, "reports_created")
    return _ok({"reportId": report.id, "estimatedGenerationTime": int(emu.ym.reports.ready_s * 1000)})


@route("POST", "/v2/reports/stocks-on-warehouses/generate", group="ym.report.stocks_on_warehouses",
       scope="offers", marketplace="ym")
def stocks_on_warehouses(emu: Emulator, req: Request) -> Response:
    """campaignId (that store's warehouses; reportDate = stock of the day before) or businessId
    (every store but FBY/LaaS, filtered by campaignIds), not both."""
    key: YmKey = req.key
    file_format = checks.report_format(req)
    body = checks.body_object(req, required=True)
    for found in (file_format, body):
        if isinstance(found, Response):
            return found
    problem = _stocks_problem(body)
    if problem:
        return bad_request(problem)
    denied = checks.owned_campaigns(body, key)
    if denied:
        return denied
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
    found = checks.day_field(body, "reportDate")
    return found if isinstance(found, str) else None


@route("POST", "/v2/reports/united-marketplace-services/generate", group="ym.report.united_marketplace_services",
       scope="finance", marketplace="ym")
def united_marketplace_services(emu: Emulator, req: Request) -> Response:
    """businessId with dateFrom+dateTo (accrual days, at most 3 months) or yearFrom/monthFrom/
    yearTo/monthTo (act months), not both; filters placementPrograms, inns, campaignIds."""
    key: YmKey = req.key
    file_format = checks.report_format(req)
    body = checks.body_object(req, required=True)
    language = checks.enum_param(req, "language", ("RU", "EN"))
    for found in (file_format, body, language):
        if isinstance(found, Response):
            return found
    if not checks.positive_int(body.get("businessId")):
        return bad_request("businessId is required and must be a positive integer")
    problem = _services_filter_problem(body)
    if problem:
        return bad_request(problem)
    denied = checks.owned_campaigns(body, key)
    if denied:
        return denied
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


def _services_days(emu: Emulator, key: YmKey, body: dict) -> list | str:
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
        return ym_files.month_days(*(body[n] for n in months), now)
    start, end = checks.day_field(body, "dateFrom"), checks.day_field(body, "dateTo")
    if start is None or end is None:
        return "dateFrom and dateTo must both be given"
    if isinstance(start, str) or isinstance(end, str):
        return start if isinstance(start, str) else str(end)
    return checks.period_problem(start, end, now, key.tier) or ym_files.service_days(start, end, now)


@route("GET", "/v2/reports/info/{reportId}", group="ym.report_info", scope="any", marketplace="ym")
def report_info(emu: Emulator, req: Request) -> Response:
    """Status, and once DONE a freshly minted file link valid for 60 emulated minutes."""
    problem = checks.enum_param(req, "sourceType", ("SELLER", "ADVERTISER"))
    if problem:
        return problem
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
    return _ok(result)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _storage_error(status: int, code: str, message: str) -> Response:
    """The object storage's own XML error (the real link points at a storage host, not the API)."""
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(status, body.encode(), "application/xml")


@route("GET", FILES, marketplace="ym")
def report_file(emu: Emulator, req: Request) -> Response:
    """A finished report's ZIP, for anyone holding a link that has not expired."""
    now = emu.clock.now()
    report_id = req.params["reportId"]
    if not emu.ym.reports.link_ok(report_id, req.query.get("expires", ""), req.query.get("sig", ""), now):
        return _storage_error(403, "AccessDenied", "Request has expired or its signature does not match")
    report = emu.ym.reports.get(report_id, now)
    if report is None:
        return _storage_error(404, "NoSuchKey", "The specified key does not exist.")
    body = ym_files.archive(report.sheet, report.columns, report.rows, report.file_format)
    return Response(200, body, "application/zip", {"Last-Modified": http_date(emu.ym.reports.finished(report))})


# --- control routes ------------------------------------------------------------------------


def _business(body: dict) -> int:
    """A control body names a cabinet by `account` (as in make_ym_key) or `business_id`."""
    if isinstance(body.get("account"), str):
        return ym_business_id(body["account"])
    if is_int(body.get("business_id")):
        return body["business_id"]
    raise ValueError("name the cabinet by account (string) or business_id (integer)")


@route("POST", "/__emulator/ym/throttle")
def ym_throttle(emu: Emulator, req: Request) -> Response:
    """{"account"|"business_id", "group", "until": emulated epoch seconds}: answer 420 until then."""
    body = json_object(req)
    until = body.get("until")
    if not isinstance(until, int | float) or isinstance(until, bool):
        raise ValueError("until must be a number (emulated epoch seconds)")
    business = _business(body)
    emu.ym.limiter.throttle(business, str(body.get("group")), float(until))
    return json_response(200, {"business_id": business, "group": body["group"], "until": until})


@route("POST", "/__emulator/ym/novel_enums")
def ym_novel_enums(emu: Emulator, req: Request) -> Response:
    """{"tariff_type", "stock_type"}: serve these values outside the spec's enums in stats/skus
    (on every tariff list and warehouse); {} switches it off."""
    body = json_object(req)
    pair = (body.get("tariff_type"), body.get("stock_type"))
    if pair == (None, None):
        emu.ym.novel = None
    elif all(isinstance(v, str) and v for v in pair):
        emu.ym.novel = (pair[0], pair[1])
    else:
        raise ValueError("give both tariff_type and stock_type as strings, or neither")
    return json_response(200, {"novel": emu.ym.novel})


@route("POST", "/__emulator/ym/report_faults")
def ym_report_faults(emu: Emulator, req: Request) -> Response:
    """{"account"|"business_id", "fail_times": n, "no_data_status": "DONE"|"FAILED"}: the cabinet's
    next n reports end FAILED; empty reports end with the given status (DONE by default)."""
    body = json_object(req)
    business = _business(body)
    times = body.get("fail_times", 0)
    if not is_int(times) or times < 0:
        raise ValueError("fail_times must be a non-negative integer")
    emu.ym.reports.force_failures(business, times)
    if "no_data_status" in body:
        emu.ym.reports.set_no_data_status(business, body["no_data_status"])
    return json_response(200, {"business_id": business, "fail_times": times})
