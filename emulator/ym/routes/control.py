"""Yandex Market control routes under /__emulator/ym: force 420s, serve values outside the enums,
and force report failures."""

from __future__ import annotations

from emulator.common.control import json_object
from emulator.common.params import is_int
from emulator.common.router import Request, Response, Router, json_response
from emulator.ym.auth import ym_business_id
from emulator.ym.host import YmHost

router = Router()


def _business(body: dict) -> int:
    """A control body names a cabinet by `account` (as in make_ym_key) or `business_id`."""
    if isinstance(body.get("account"), str):
        return ym_business_id(body["account"])
    if is_int(body.get("business_id")):
        return body["business_id"]
    raise ValueError("name the cabinet by account (string) or business_id (integer)")


@router.route("POST", "/__emulator/ym/throttle")
def ym_throttle(emu: YmHost, req: Request) -> Response:
    """{"account"|"business_id", "group", "until": emulated epoch seconds}: answer 420 until then."""
    body = json_object(req)
    until = body.get("until")
    if not isinstance(until, int | float) or isinstance(until, bool):
        raise ValueError("until must be a number (emulated epoch seconds)")
    business = _business(body)
    emu.ym.limiter.throttle(business, str(body.get("group")), float(until))
    return json_response(200, {"business_id": business, "group": body["group"], "until": until})


@router.route("POST", "/__emulator/ym/novel_enums")
def ym_novel_enums(emu: YmHost, req: Request) -> Response:
    """{"tariff_type", "stock_type"}: serve these values outside the spec's enums in stats/skus
    (on every tariff list and warehouse); {} switches it off."""
    body = json_object(req)
    tariff, stock = body.get("tariff_type"), body.get("stock_type")
    if (tariff, stock) == (None, None):
        emu.ym.novel = None
    elif isinstance(tariff, str) and isinstance(stock, str) and tariff and stock:
        emu.ym.novel = (tariff, stock)
    else:
        raise ValueError("give both tariff_type and stock_type as strings, or neither")
    return json_response(200, {"novel": emu.ym.novel})


@router.route("POST", "/__emulator/ym/report_faults")
def ym_report_faults(emu: YmHost, req: Request) -> Response:
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


@router.route("POST", "/__emulator/ym/active_reports")
def ym_active_reports(emu: YmHost, req: Request) -> Response:
    """{"limit": n}: how many reports a cabinet may have generating at once (420 beyond)."""
    limit = json_object(req).get("limit")
    if not is_int(limit) or limit < 1:
        raise ValueError("limit must be a positive integer")
    emu.ym.reports.active_limit = limit
    return json_response(200, {"limit": limit})
