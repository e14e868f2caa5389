"""Task plumbing that needs no broker: log context carried from publisher to task."""

from __future__ import annotations

from types import SimpleNamespace

import structlog

from harvester.worker.signals import _bind_context, _carry_context, _unbind_context


def test_a_task_inherits_its_publishers_context_and_its_own_arguments_win() -> None:
    structlog.contextvars.bind_contextvars(task_id="dispatch-1", endpoint="wb.paid_storage", cadence="daily")
    headers: dict = {}
    _carry_context(headers=headers)
    structlog.contextvars.clear_contextvars()
    assert headers["harvester_context"] == {"queued_by": "dispatch-1", "endpoint": "wb.paid_storage",
                                            "cadence": "daily"}

    task = SimpleNamespace(name="harvester.harvest",
                           request=SimpleNamespace(harvester_context=headers["harvester_context"]))
    _bind_context(task_id="harvest-7", task=task, args=("shop", "wb.stocks_products", "2026-11-01", "2026-11-01"),
                  kwargs={})
    context = structlog.contextvars.get_contextvars()
    _unbind_context()
    assert context == {"queued_by": "dispatch-1", "cadence": "daily", "task_id": "harvest-7",
                       "task": "harvester.harvest", "account": "shop", "endpoint": "wb.stocks_products",
                       "start": "2026-11-01", "end": "2026-11-01"}
