"""The reports API's async task trio (create, status, download) that paid storage and paid
acceptance share (wb-api.md §9.2-9.3), and the dateFrom/dateTo window rules of the reports API's
create calls."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from emulator.common.params import parse_day
from emulator.common.router import Request, Response, json_array_stream, json_response
from emulator.wb.error_bodies import bad_request, not_found
from emulator.wb.host import WbHost
from emulator.wb.state.async_tasks import Task

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$")



def parse_rfc3339(raw: str) -> datetime | None:
    """A date or date-time as the reports API accepts them (2019-06-20, 2019-06-20T23:59:59,
    2019-06-20T00:00:00.12345, with or without a zone), as a naive datetime in the given zone."""
    if not _RFC3339.match(raw):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


@dataclass(frozen=True)
class WindowRule:
    """How a reports-API create call checks dateFrom/dateTo; the wording differs per report."""

    max_days: int
    too_long: str
    date_only: bool  # YYYY-MM-DD only, not an RFC 3339 date-time


PAID_STORAGE_WINDOW = WindowRule(8, "Difference between dateFrom and dateTo should be less or equal 8 days", False)
ACCEPTANCE_WINDOW = WindowRule(31, "difference between dateFrom and dateTo should be less or equal 31 days", True)


def parse_report_window(query: dict[str, str], rule: WindowRule = PAID_STORAGE_WINDOW) -> tuple[date, date] | str:
    """dateFrom/dateTo of a reports-API request, or the API's error detail."""
    parsed = []
    for name in ("dateFrom", "dateTo"):
        if not query.get(name):
            return f'parameter "{name}" in query has an error: value is required but missing'
        if rule.date_only:
            day = parse_day(query[name])
            moment = datetime(day.year, day.month, day.day) if day else None
        else:
            moment = parse_rfc3339(query[name])
        if moment is None:
            return f"can't parse {name}"
        parsed.append(moment)
    start, end = parsed
    if end < start:
        return "dateTo should be greater dateFrom"
    if end - start > timedelta(days=rule.max_days):
        return rule.too_long
    return start.date(), end.date()


def create_task(emu: WbHost, req: Request, kind: str, rule: WindowRule) -> Response:
    """The create call of an async report: check the window, answer {data: {taskId}}."""
    window = parse_report_window(req.query, rule)
    if isinstance(window, str):
        return bad_request(window)
    task = emu.create_task(req.sid, *window, kind=kind)
    return json_response(200, {"data": {"taskId": task.id}})


def _uuid_problem(raw: str) -> str | None:
    """Go's uuid.Parse wording for an invalid task id, or None if it is a UUID."""
    if len(raw) not in (32, 36, 38, 45):
        return f"invalid UUID length: {len(raw)}"
    try:
        uuid.UUID(raw)
    except ValueError:
        return "invalid UUID format"
    return None


def _find_task(emu: WbHost, req: Request, kind: str) -> Task | Response:
    raw = req.params["task_id"]
    problem = _uuid_problem(raw)
    if problem:
        return bad_request(
            f"Invalid format for parameter task_id: error unmarshaling '{raw}' text as *uuid.UUID: {problem}"
        )
    return emu.tasks.get(str(uuid.UUID(raw)), req.sid, kind) or not_found()


def task_status(emu: WbHost, req: Request, kind: str) -> Response:
    """The status call of an async report: {data: {id, status}}."""
    task = _find_task(emu, req, kind)
    if isinstance(task, Response):
        return task
    status = emu.tasks.status(task, emu.clock.now())
    return json_response(200, {"data": {"id": task.id, "status": status}})


def task_download(
    emu: WbHost, req: Request, kind: str, rows: Callable[[int, str, date, date], Iterable[dict]]
) -> Response:
    """The download call of an async report: the bare row array once done, made as it is sent;
    204 if it is empty."""
    task = _find_task(emu, req, kind)
    if isinstance(task, Response):
        return task
    status = emu.tasks.status(task, emu.clock.now())
    if status in ("new", "processing"):
        return bad_request(f"report is not ready yet: task status is {status}")
    if status != "done":
        return not_found()
    return json_array_stream(rows(emu.seed, task.sid, task.date_from, task.date_to)) or Response(204, content_type="")
