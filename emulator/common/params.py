"""Request-parameter helpers the routes of both marketplaces share: strict dates, integers that
are not bools, month arithmetic and the {start, end} period check."""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import TypeGuard

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(raw: object) -> date | None:
    """A strict YYYY-MM-DD date, or None."""
    if not isinstance(raw, str) or not _DATE.match(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def is_int(value: object) -> TypeGuard[int]:
    """An integer that is not a bool (JSON true is no number)."""
    return isinstance(value, int) and not isinstance(value, bool)


def period_errors(period: object, earliest: date, name: str = "currentPeriod", latest: date | None = None) -> list[str]:
    """What is wrong with a {start, end} period object, in the 'field (reason)' style; an end
    after `latest` (today) is refused too, so no period runs on for years of empty days."""
    if not isinstance(period, dict):
        return [f"{name} (must be an object)"]
    start, end = parse_day(period.get("start")), parse_day(period.get("end"))
    errors = [f"{name}.{k} (must be a date YYYY-MM-DD)" for k, v in (("start", start), ("end", end)) if not v]
    if start and end:
        if start > end:
            errors.append(f"{name}.start (must not be later than end)")
        if start < earliest:
            errors.append(f"{name}.start (must not be earlier than {earliest.isoformat()})")
        if latest is not None and end > latest:
            errors.append(f"{name}.end (must not be later than {latest.isoformat()})")
    return errors


