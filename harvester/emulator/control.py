"""Control routes under /__emulator: no auth, never rate limited. Tests and benchmarks use
them to read counters, force faults and 429s, switch sellers' Jam subscriptions, and fetch the
ground-truth rows."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from harvester.emulator import data
from harvester.emulator.acceptance import acceptance
from harvester.emulator.csvdata import csv_report
from harvester.emulator.reports import request_errors
from harvester.emulator.routing import Request, Response, json_response, route
from harvester.emulator.tokens import seller_id
from harvester.emulator.wb import ACCEPTANCE_WINDOW, parse_day, parse_report_window

if TYPE_CHECKING:
    from harvester.emulator.server import Emulator


def json_object(req: Request) -> dict:
    body = req.json() if req.body else {}
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


def _fields(body: dict, *names: str) -> None:
    missing = set(names) - body.keys()
    if missing:
        raise ValueError(f"missing fields: {sorted(missing)}")


def _sid(query: dict[str, str]) -> str:
    if not query.get("sid"):
        raise ValueError("sid is required")
    return query["sid"]


@route("GET", "/__emulator/stats")
def stats(emu: Emulator, req: Request) -> Response:
    return json_response(200, emu.stats())


@route("POST", "/__emulator/reset")
def reset(emu: Emulator, req: Request) -> Response:
    emu.reset()
    return json_response(200, {"ok": True})


@route("POST", "/__emulator/faults")
def faults(emu: Emulator, req: Request) -> Response:
    return json_response(200, emu.set_faults(**json_object(req)).as_dict())


@route("POST", "/__emulator/throttle")
def throttle(emu: Emulator, req: Request) -> Response:
    body = json_object(req)
    _fields(body, "seller", "group", "retry_after")
    sid = emu.throttle(body["seller"], body["group"], body["retry_after"])
    return json_response(200, {"seller": sid, "group": body["group"], "retry_after": body["retry_after"]})


@route("GET", "/__emulator/truth/wb/stocks_products")
def truth_stocks(emu: Emulator, req: Request) -> Response:
    start, end = parse_day(req.query.get("start")), parse_day(req.query.get("end"))
    if not start or not end:
        raise ValueError("start and end must be dates YYYY-MM-DD")
    return json_response(200, data.stocks_products(emu.seed, _sid(req.query), start, end))


@route("GET", "/__emulator/truth/wb/paid_storage")
def truth_paid_storage(emu: Emulator, req: Request) -> Response:
    window = parse_report_window(req.query)
    if isinstance(window, str):
        raise ValueError(window)
    return json_response(200, data.paid_storage(emu.seed, _sid(req.query), *window))


@route("POST", "/__emulator/sellers")
def sellers(emu: Emulator, req: Request) -> Response:
    """{"seller", "jam": bool}: give or take a seller's Jam subscription (every seller has it by default)."""
    body = json_object(req)
    _fields(body, "seller", "jam")
    if not isinstance(body["jam"], bool):
        raise ValueError("jam must be a boolean")
    sid = seller_id(body["seller"])
    emu.reports.set_jam(sid, body["jam"])
    return json_response(200, {"seller": sid, "jam": body["jam"]})


@route("POST", "/__emulator/report_faults")
def report_faults(emu: Emulator, req: Request) -> Response:
    """{"seller", "fail_times": n}: the seller's next n CSV report generations (retries count) fail."""
    body = json_object(req)
    _fields(body, "seller", "fail_times")
    times = body["fail_times"]
    if not isinstance(times, int) or isinstance(times, bool) or times < 0:
        raise ValueError("fail_times must be a non-negative integer")
    sid = seller_id(body["seller"])
    emu.reports.force_failures(sid, times)
    return json_response(200, {"seller": sid, "fail_times": times})


@route("GET", "/__emulator/truth/wb/csv")
def truth_csv(emu: Emulator, req: Request) -> Response:
    """?sid=&reportType=&params=<json>: the header and rows a report of these params holds."""
    body = {"id": "00000000-0000-0000-0000-000000000000", "reportType": req.query.get("reportType")}
    body["params"] = json.loads(req.query.get("params") or "null")
    errors = request_errors(body, emu.clock.today())
    if errors:
        raise ValueError("; ".join(errors))
    header, rows = csv_report(emu.seed, _sid(req.query), body["reportType"], body["params"])
    return json_response(200, {"header": header, "rows": rows})


@route("GET", "/__emulator/truth/wb/acceptance")
def truth_acceptance(emu: Emulator, req: Request) -> Response:
    """?sid=&dateFrom=&dateTo=: the paid-acceptance rows (async download shape)."""
    window = parse_report_window(req.query, ACCEPTANCE_WINDOW)
    if isinstance(window, str):
        raise ValueError(window)
    return json_response(200, acceptance(emu.seed, _sid(req.query), *window))
