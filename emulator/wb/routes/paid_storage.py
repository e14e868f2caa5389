"""Paid storage routes (wb-api.md §9.2): the async task trio, serving `seller.paid_storage`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.common.router import Request, Response, route
from emulator.wb.data import seller
from emulator.wb.routes.report_tasks import PAID_STORAGE_WINDOW, create_task, task_download, task_status

if TYPE_CHECKING:
    from emulator.server import Emulator


@route("GET", "/api/v1/paid_storage", group="wb.paid_storage.create", scope="analytics")
def paid_storage_create(emu: Emulator, req: Request) -> Response:
    return create_task(emu, req, "paid_storage", PAID_STORAGE_WINDOW)


@route("GET", "/api/v1/paid_storage/tasks/{task_id}/status", group="wb.paid_storage.status", scope="analytics")
def paid_storage_status(emu: Emulator, req: Request) -> Response:
    return task_status(emu, req, "paid_storage")


@route("GET", "/api/v1/paid_storage/tasks/{task_id}/download", group="wb.paid_storage.download", scope="analytics")
def paid_storage_download(emu: Emulator, req: Request) -> Response:
    return task_download(emu, req, "paid_storage", seller.paid_storage)
