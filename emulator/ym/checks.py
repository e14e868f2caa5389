"""Request checks of the Yandex Market routes, per the official OpenAPI schemas: each returns
the first problem as a 400 message (or a 403 for another cabinet's ids), or None."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date, timedelta

from emulator.common.params import is_int, months_before, parse_day
from emulator.common.router import Request, Response
from emulator.ym.auth import YmKey
from emulator.ym.http import bad_request, ym_error

SHOP_SKU = re.compile(r"^(?=.*\S.*)[^\x00-\x08\x0A-\x1f\x7f]{1,255}$")
FORMATS = ("FILE", "CSV", "JSON")  # FILE = XLSX, the default
PLACEMENT_TYPES = ("FBS", "FBY", "DBS", "LAAS")
HISTORY_DAYS = {"none": 90, "medium": 400}  # report history depth per tier; 400 days at most


def body_object(req: Request, required: bool) -> dict | Response:
    """The JSON body as an object ({} when optional and absent)."""
    if not req.body.strip():
        return bad_request("Request body is required") if required else {}
    try:
        body = req.json()
    except ValueError:
        return bad_request("Request body is not valid JSON")
    return body if isinstance(body, dict) else bad_request("Request body must be a JSON object")


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def page_offset(req: Request) -> int | Response:
    """The offset a pageToken / page_token stands for (0 without one)."""
    raw = req.query.get("pageToken") or req.query.get("page_token")
    if not raw:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        return bad_request("Bad page token")
    return offset if is_int(offset) and offset >= 0 else bad_request("Bad page token")


def int_param(req: Request, name: str, low: int, high: int | None) -> int | Response | None:
    """An optional integer query parameter within [low, high]."""
    raw = req.query.get(name)
    if raw is None:
        return None
    if not re.fullmatch(r"-?\d+", raw):
        return bad_request(f"Parameter {name} must be an integer")
    value = int(raw)
    if value < low:
        return bad_request(f"Parameter {name} must be greater than or equal to {low}")
    if high is not None and value > high:
        return bad_request(f"Parameter {name} must be less than or equal to {high}")
    return value


def enum_param(req: Request, name: str, allowed: tuple[str, ...]) -> Response | None:
    value = req.query.get(name)
    if value is not None and value not in allowed:
        return bad_request(f"Parameter {name} must be one of {', '.join(allowed)}")
    return None


def list_problem(body: dict, name: str, check, most: int | None = None) -> str | None:
    """What is wrong with an optional array field: nullable, minItems 1, uniqueItems, item check."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        return f"{name} must be a non-empty array"
    if most is not None and len(value) > most:
        return f"{name} must contain at most {most} items"
    if not all(check(v) for v in value):
        return f"{name} has an item of the wrong type"
    if len({json.dumps(v) for v in value}) != len(value):
        return f"{name} must contain unique items"
    return None


def shop_sku_list(body: dict, name: str, most: int) -> list[str] | Response:
    """ShopSku items, trimmed (x-transform: trim); duplicates after trimming collapse."""
    problem = list_problem(body, name, lambda v: isinstance(v, str) and bool(SHOP_SKU.match(v)), most)
    if problem:
        return bad_request(problem)
    return list(dict.fromkeys(v.strip() for v in body.get(name) or []))


def positive_int(value: object) -> bool:
    return is_int(value) and value > 0


def owned_campaigns(body: dict, key: YmKey) -> Response | None:
    """A 403 if `campaignId` / `campaignIds` / `businessId` of a report body name another cabinet."""
    ids = ([body["campaignId"]] if body.get("campaignId") is not None else []) + list(body.get("campaignIds") or [])
    for cid in ids:
        if cid not in key.campaign_ids:
            return ym_error(403, "FORBIDDEN", f"Access denied to campaignId {cid}")
    if body.get("businessId") is not None and body["businessId"] != key.business_id:
        return ym_error(403, "FORBIDDEN", f"Access denied to businessId {body['businessId']}")
    return None


def report_format(req: Request) -> str | Response:
    """The report file's `format`: FILE (XLSX) when the query names none, as the spec defaults."""
    return enum_param(req, "format", FORMATS) or req.query.get("format", "FILE")


def period_problem(date_from: date, date_to: date, today: date, tier: str) -> str | None:
    """dateFrom/dateTo of a services report: ordered, at most 3 months, within the history depth."""
    if date_from > date_to:
        return "dateFrom must not be after dateTo"
    if date_from < months_before(date_to, 3):
        return "The period between dateFrom and dateTo must not exceed 3 months"
    if date_from < today - timedelta(days=400):
        return f"You cannot request data older than 400 days. The dateFrom ({date_from}) is too far in the past."
    if date_from < today - timedelta(days=HISTORY_DAYS[tier]):
        return (f"Without subscription, you cannot request data older than 90 days. "
                f"The dateFrom ({date_from}) is too far in the past.")
    return None


def day_field(body: dict, name: str) -> date | str | None:
    """An optional format: date field; a message if it is malformed."""
    if body.get(name) is None:
        return None
    return parse_day(body[name]) or f"{name} must be a date YYYY-MM-DD"
