"""Queues by marketplace and weight, so ops can give report flows their own workers."""

from __future__ import annotations

from typing import Any

from kombu import Queue

from harvester.catalog import get_endpoint

QUEUES = ("control", "wb", "wb.reports", "ym", "ym.reports")
TASK_QUEUES = tuple(Queue(name) for name in QUEUES)


def route(name: str, args: tuple, kwargs: dict, options: dict, task: Any = None, **_: Any) -> dict[str, str]:
    """Celery router: harvests go to `<marketplace>`, flow steps to `<marketplace>.reports`."""
    if name == "harvester.harvest":
        endpoint = kwargs.get("endpoint") or args[1]
        return {"queue": get_endpoint(endpoint).marketplace}
    if name == "harvester.flow_step":
        endpoint = kwargs.get("endpoint") or args[2]
        return {"queue": f"{get_endpoint(endpoint).marketplace}.reports"}
    return {"queue": "control"}
