"""Wildberries control routes under /__emulator: switch sellers' Jam subscriptions, force CSV
report failures, and fetch the ground-truth rows of the data routes."""

from __future__ import annotations

import json

from emulator.common.clock import msk_day
from emulator.common.control import json_object, required_fields
from emulator.common.params import parse_day
from emulator.common.router import Request, Response, Router, json_array_stream, json_response
from emulator.wb.auth import seller_id
from emulator.wb.data import seller
from emulator.wb.data.acceptance import acceptance
from emulator.wb.data.csv_files import csv_report
from emulator.wb.host import WbHost
from emulator.wb.routes.csv_reports import request_errors
from emulator.wb.routes.report_tasks import ACCEPTANCE_WINDOW, parse_report_window

router = Router()


def _sid(query: dict[str, str]) -> str:
    if not query.get("sid"):
        raise ValueError("sid is required")
    return query["sid"]


@router.route("GET", "/__emulator/truth/wb/stocks_products")
def truth_stocks(emu: WbHost, req: Request) -> Response:
    start, end = parse_day(req.query.get("start")), parse_day(req.query.get("end"))
    if not start or not end:
        raise ValueError("start and end must be dates YYYY-MM-DD")
    return json_response(200, seller.stocks_products(emu.seed, _sid(req.query), start, end))


@router.route("GET", "/__emulator/truth/wb/paid_storage")
def truth_paid_storage(emu: WbHost, req: Request) -> Response:
    window = parse_report_window(req.query)
    if isinstance(window, str):
        raise ValueError(window)
    return json_array_stream(seller.paid_storage(emu.seed, _sid(req.query), *window)) or json_response(200, [])


@router.route("POST", "/__emulator/sellers")
def sellers(emu: WbHost, req: Request) -> Response:
    """{"seller", "jam": bool}: give or take a seller's Jam subscription (every seller has it by default)."""
    body = json_object(req)
    required_fields(body, "seller", "jam")
    if not isinstance(body["jam"], bool):
        raise ValueError("jam must be a boolean")
    sid = seller_id(body["seller"])
    emu.reports.set_jam(sid, body["jam"])
    return json_response(200, {"seller": sid, "jam": body["jam"]})


@router.route("POST", "/__emulator/report_faults")
def report_faults(emu: WbHost, req: Request) -> Response:
    """{"seller", "fail_times": n}: the seller's next n CSV report generations (retries count) fail."""
    body = json_object(req)
    required_fields(body, "seller", "fail_times")
    times = body["fail_times"]
    if not isinstance(times, int) or isinstance(times, bool) or times < 0:
        raise ValueError("fail_times must be a non-negative integer")
    sid = seller_id(body["seller"])
    emu.reports.force_failures(sid, times)
    return json_response(200, {"seller": sid, "fail_times": times})


@router.route("GET", "/__emulator/truth/wb/csv")
def truth_csv(emu: WbHost, req: Request) -> Response:
    """?sid=&reportType=&params=<json>: the header and rows a report of these params holds."""
    report_type, params = req.query.get("reportType"), json.loads(req.query.get("params") or "null")
    errors = request_errors({"id": "00000000-0000-0000-0000-000000000000", "reportType": report_type,
                             "params": params}, msk_day(emu.clock.now()))
    if errors:
        raise ValueError("; ".join(errors))
    assert isinstance(report_type, str) and isinstance(params, dict)  # request_errors refuses anything else
    header, rows = csv_report(emu.seed, _sid(req.query), report_type, params)
    return json_response(200, {"header": header, "rows": rows})


@router.route("GET", "/__emulator/truth/wb/acceptance")
def truth_acceptance(emu: WbHost, req: Request) -> Response:
    """?sid=&dateFrom=&dateTo=: the paid-acceptance rows (async download shape)."""
    window = parse_report_window(req.query, ACCEPTANCE_WINDOW)
    if isinstance(window, str):
        raise ValueError(window)
    return json_response(200, acceptance(emu.seed, _sid(req.query), *window))
