"""What Wildberries handlers and the WB request pipeline use of the emulator serving them."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from emulator.common.host import Host
from emulator.wb.state.async_tasks import Task, TaskStore
from emulator.wb.state.buckets import Limiter
from emulator.wb.state.report_store import ReportStore


class WbHost(Host, Protocol):
    limiter: Limiter
    tasks: TaskStore
    reports: ReportStore

    def create_task(self, sid: str, date_from: date, date_to: date, kind: str = "paid_storage") -> Task:
        """Start an async report task (canceled at Faults.cancel_rate)."""
