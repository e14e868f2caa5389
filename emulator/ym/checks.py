"""Request checks of the Yandex Market routes, per the official OpenAPI schemas. Those that
take the request or its body raise `Refusal` with the answer (a 400, or a 403 for another
cabinet's ids) and return the value checked; `*_problem` ones return a 400 message or None."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from emulator.common.params import is_int, months_before, parse_day
from emulator.common.router import Refusal, Request
from emulator.ym.auth import YmKey
from emulator.ym.http import bad_request, ym_error

SHOP_SKU = re.compile(r"^(?=.*\S.*)[^\x00-\x08\x0A-\x1f\x7f]{1,255}$")
FORMATS = ("FILE", "CSV", "JSON")  # FILE = XLSX, the default
PLACEMENT_TYPES = ("FBS", "FBY", "DBS", "LAAS")
HISTORY_DAYS = {"none": 90, "medium": 400}  # report history depth per tier; 400 days at most


def refuse(message: str) -> Refusal:
    """A 400 with `message`, to raise."""
    return Refusal(bad_request(message))


def body_object(req: Request, required: bool) -> dict:
    """The JSON body as an object ({} when optional and absent)."""
    if not req.body.strip():
        if required:
            raise refuse("Request body is required")
        return {}
    try:
        body = req.json()
    except ValueError:
        raise refuse("Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise refuse("Request body must be a JSON object")
    return body


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def page_offset(req: Request) -> int:
    """The offset a pageToken / page_token stands for (0 without one)."""
    raw = req.query.get("pageToken") or req.query.get("page_token")
    if not raw:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise refuse("Bad page token") from None
    if not is_int(offset) or offset < 0:
        raise refuse("Bad page token")
    return int(offset)


def int_param(req: Request, name: str, low: int, high: int | None) -> int | None:
    """An optional integer query parameter within [low, high]."""
    raw = req.query.get(name)
    if raw is None:
        return None
    if not re.fullmatch(r"-?\d+", raw):
        raise refuse(f"Parameter {name} must be an integer")
    value = int(raw)
    if value < low:
        raise refuse(f"Parameter {name} must be greater than or equal to {low}")
    if high is not None and value > high:
        raise refuse(f"Parameter {name} must be less than or equal to {high}")
    return value


def enum_param(req: Request, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    """An optional query parameter, one of `allowed`."""
    value = req.query.get(name, default)
    if value is not None and value not in allowed:
        raise refuse(f"Parameter {name} must be one of {', '.join(allowed)}")
    return value


def list_problem(body: dict, name: str, check: Callable[[Any], bool], most: int | None = None) -> str | None:
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


def shop_sku_list(body: dict, name: str, most: int) -> list[str]:
    """ShopSku items, trimmed (x-transform: trim); duplicates after trimming collapse."""
    problem = list_problem(body, name, lambda v: isinstance(v, str) and bool(SHOP_SKU.match(v)), most)
    if problem:
        raise refuse(problem)
    return list(dict.fromkeys(v.strip() for v in body.get(name) or []))


def positive_int(value: object) -> bool:
    return is_int(value) and value > 0


def owned_campaigns(body: dict, key: YmKey) -> None:
    """Refuse with a 403 a report body whose `campaignId` / `campaignIds` / `businessId` name
    another cabinet."""
    ids = ([body["campaignId"]] if body.get("campaignId") is not None else []) + list(body.get("campaignIds") or [])
    for cid in ids:
        if cid not in key.campaign_ids:
            raise Refusal(ym_error(403, "FORBIDDEN", f"Access denied to campaignId {cid}"))
    if body.get("businessId") is not None and body["businessId"] != key.business_id:
        raise Refusal(ym_error(403, "FORBIDDEN", f"Access denied to businessId {body['businessId']}"))


def report_format(req: Request) -> str:
    """The report file's `format`: FILE (XLSX) when the query names none, as the spec defaults."""
    found = enum_param(req, "format", FORMATS, default="FILE")
    assert found is not None  # it has a default
    return found


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


def day_field(body: dict, name: str) -> date | None:
    """An optional format: date field."""
    if body.get(name) is None:
        return None
    found = parse_day(body[name])
    if found is None:
        raise refuse(f"{name} must be a date YYYY-MM-DD")
    return found
