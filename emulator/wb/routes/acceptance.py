"""Paid acceptance routes (wb-api.md §9.3): the retired synchronous report and the current async
task trio, both serving `data.acceptance.acceptance()`."""

from __future__ import annotations

from emulator.common.router import Request, Response, Router, json_response
from emulator.wb.data.acceptance import acceptance, sync_row
from emulator.wb.error_bodies import bad_request
from emulator.wb.host import WbHost
from emulator.wb.routes.report_tasks import (
    ACCEPTANCE_WINDOW,
    create_task,
    parse_report_window,
    task_download,
    task_status,
)

router = Router()

KIND = "acceptance"
BASE = "/api/v1/acceptance_report"


@router.route("GET", "/api/v1/analytics/acceptance-report", group="wb.acceptance_report_sync", scope="analytics")
def acceptance_sync(emu: WbHost, req: Request) -> Response:
    window = parse_report_window(req.query, ACCEPTANCE_WINDOW)
    if isinstance(window, str):
        return bad_request(window)
    return json_response(200, {"report": [sync_row(r) for r in acceptance(emu.seed, req.sid, *window)]})


@router.route("GET", BASE, group="wb.acceptance_report.create", scope="analytics")
def acceptance_create(emu: WbHost, req: Request) -> Response:
    return create_task(emu, req, KIND, ACCEPTANCE_WINDOW)


@router.route("GET", f"{BASE}/tasks/{{task_id}}/status", group="wb.acceptance_report.status", scope="analytics")
def acceptance_status(emu: WbHost, req: Request) -> Response:
    return task_status(emu, req, KIND)


@router.route("GET", f"{BASE}/tasks/{{task_id}}/download", group="wb.acceptance_report.download", scope="analytics")
def acceptance_download(emu: WbHost, req: Request) -> Response:
    return task_download(emu, req, KIND, acceptance)
