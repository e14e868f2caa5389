"""Control routes under /__emulator: no auth, never rate limited. Tests and benchmarks use
them to read counters, force faults and 429s, and fetch the ground-truth rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harvester.emulator import data
from harvester.emulator.routing import Request, Response, json_response, route
from harvester.emulator.wb import parse_day, parse_report_window

if TYPE_CHECKING:
    from harvester.emulator.server import Emulator


def _object(req: Request) -> dict:
    body = req.json() if req.body else {}
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


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
    return json_response(200, emu.set_faults(**_object(req)).as_dict())


@route("POST", "/__emulator/throttle")
def throttle(emu: Emulator, req: Request) -> Response:
    body = _object(req)
    missing = {"seller", "group", "retry_after"} - body.keys()
    if missing:
        raise ValueError(f"missing fields: {sorted(missing)}")
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
