"""Paid storage routes (wb-api.md §9.2): the async task trio, serving `seller.paid_storage`."""

from __future__ import annotations

from emulator.common.router import Request, Response, Router
from emulator.wb.data import seller
from emulator.wb.host import WbHost
from emulator.wb.routes.report_tasks import PAID_STORAGE_WINDOW, create_task, task_download, task_status

router = Router()


@router.route("GET", "/api/v1/paid_storage", group="wb.paid_storage.create", scope="analytics")
def paid_storage_create(emu: WbHost, req: Request) -> Response:
    return create_task(emu, req, "paid_storage", PAID_STORAGE_WINDOW)


@router.route("GET", "/api/v1/paid_storage/tasks/{task_id}/status", group="wb.paid_storage.status", scope="analytics")
def paid_storage_status(emu: WbHost, req: Request) -> Response:
    return task_status(emu, req, "paid_storage")


@router.route("GET", "/api/v1/paid_storage/tasks/{task_id}/download", group="wb.paid_storage.download",
               scope="analytics")
def paid_storage_download(emu: WbHost, req: Request) -> Response:
    return task_download(emu, req, "paid_storage", seller.paid_storage)
