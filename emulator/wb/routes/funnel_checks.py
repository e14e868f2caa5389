"""Request checks of the sales funnel routes (wb-api.md §5): v2 and v3 check a request the same
way, into one list of (field, reason) problems, and only word the 400 differently: v2 in its
`{data, error, errorText, additionalErrors}` envelope, v3 in the analytics-open-api ErrorObject."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from emulator.common.params import is_int, parse_day
from emulator.common.router import Request, Response, json_response
from emulator.wb.error_bodies import ANALYTICS_CSV, invalid_fields

MAX_GROUPS = 16  # subjects x brands x tags in one grouped-history request
LEVELS = ("day", "week")
_V2_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")

Problem = tuple[str, str]  # (field, reason)


def v2_day(raw: object) -> date | None:
    """v2 period ends: a date, or a date and time as in WB's examples ("2023-06-01 20:05:32")."""
    return parse_day(raw[:10]) if isinstance(raw, str) and _V2_MOMENT.match(raw) else None


def period_problems(raw: object, name: str, keys: tuple[str, str], today: date, depth: int,
                    max_days: int | None = None, parse: Callable[[object], date | None] = parse_day) -> list[Problem]:
    """What is wrong with a {begin, end} / {start, end} period: shape, order, length and depth."""
    if not isinstance(raw, dict):
        return [(name, "required object")]
    first, last = (parse(raw.get(k)) for k in keys)
    problems = [(f"{name}.{k}", "must be a date YYYY-MM-DD")
                for k, v in zip(keys, (first, last), strict=False) if v is None]
    if first and last:
        if first > last:
            problems.append((name, f"{keys[0]} must not be later than {keys[1]}"))
        elif max_days and (last - first).days + 1 > max_days:
            problems.append((name, f"must not be longer than {max_days} days"))
        if first < today - timedelta(days=depth):
            problems.append((f"{name}.{keys[0]}", f"must not be earlier than {today - timedelta(days=depth)}"))
    return problems


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def list_problems(body: dict, name: str, item: Callable[[Any], bool] = is_int, low: int = 0,
                  high: int | None = None, required: bool = False) -> list[Problem]:
    value = body.get(name)
    if value is None:
        return [(name, "required")] if required else []
    if not isinstance(value, list) or not all(item(v) for v in value):
        return [(name, "must be a list of " + ("strings" if item is _is_str else "integers"))]
    if len(value) < low or (high is not None and len(value) > high):
        return [(name, f"must contain from {low} to {high} items")]
    return []


def filter_problems(body: dict, filters: dict[str, str]) -> list[Problem]:
    """The id and brand filter lists a request may carry."""
    return [p for kind in ("nm", "subject", "brand", "tag") if kind in filters
            for p in list_problems(body, filters[kind], _is_str if kind == "brand" else is_int)]


def groups_problems(body: dict, filters: dict[str, str]) -> list[Problem]:
    """Subject, brand and tag lists whose sizes multiply (an empty list counting as one) to at most 16."""
    problems = filter_problems(body, {k: v for k, v in filters.items() if k != "nm"})
    names = [filters[k] for k in ("subject", "brand", "tag")]
    product = 1
    for name in names:
        product *= len(body.get(name) or []) or 1
    if not problems and product > MAX_GROUPS:
        problems.append((", ".join(names), f"the product of their sizes must not exceed {MAX_GROUPS}, got {product}"))
    return problems


def flag_problems(body: dict) -> list[Problem]:
    """v3's skipDeletedNm and the history aggregationLevel."""
    problems = []
    if body.get("skipDeletedNm") is not None and not isinstance(body["skipDeletedNm"], bool):
        problems.append(("skipDeletedNm", "must be a boolean"))
    if body.get("aggregationLevel") is not None and body["aggregationLevel"] not in LEVELS:
        problems.append(("aggregationLevel", "must be one of " + ", ".join(LEVELS)))
    return problems


def order_problems(body: dict, fields: tuple[str, ...], required: bool) -> list[Problem]:
    """orderBy: v3 requires both parts when it is given, v2 defaults either."""
    order = body.get("orderBy")
    if order is None:
        return []
    if not isinstance(order, dict):
        return [("orderBy", "must be an object")]
    return [
        (f"orderBy.{key}", "must be one of " + ", ".join(allowed))
        for key, allowed in (("field", fields), ("mode", ("asc", "desc")))
        if (required or order.get(key) is not None) and order.get(key) not in allowed
    ]


def v2_error(problems: list[Problem]) -> Response:
    """The nm-report v2 envelope of a 400 (responseError): no data, the reasons per field."""
    return json_response(400, {
        "data": [],
        "error": True,
        "errorText": "Invalid request parameters: " + "; ".join(f"{f}: {r}" for f, r in problems),
        "additionalErrors": [{"field": f, "description": r} for f, r in problems],
    })


def v3_error(problems: list[Problem]) -> Response:
    """The analytics-open-api 400 with the gateway's 'field (reason)' wording."""
    return invalid_fields([f"{f} ({r})" for f, r in problems], ANALYTICS_CSV)


def checked_body(req: Request, check: Callable[[dict], list[Problem]], error: Callable[[list[Problem]], Response]
                 ) -> dict | Response:
    """The JSON object body, or the generation's 400 saying what is wrong with it."""
    try:
        body = req.json()
    except ValueError:
        body = None
    problems = check(body) if isinstance(body, dict) else [("body", "must be a JSON object")]
    return error(problems) if problems else body
