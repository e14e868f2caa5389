"""Celery signal handlers: logging set up once per process; a log context that travels from the
publisher to the task, so every line says which account, endpoint and dispatch it serves; and a
dispatch of everything due when beat starts; and the ORM's one-time set-up done in the worker's
main process, before it forks its pool."""

from __future__ import annotations

from typing import Any

import structlog
from celery import Task
from celery.signals import beat_init, before_task_publish, setup_logging, task_postrun, task_prerun, worker_init
from sqlalchemy import inspect

from harvester.core.logs import configure
from harvester.core.settings import get_settings
from harvester.models import WorkUnit
from harvester.pipeline.store import migrate


def _setup_logging(**_: Any) -> None:
    settings = get_settings()
    configure(settings.log_format, settings.log_level)


_CARRIED = ("task_id", "account", "endpoint", "job_id", "cadence", "queued_by")


def _carry_context(headers: dict, **_: Any) -> None:
    """The publisher's log context rides in the message, so a task's lines say who queued it."""
    context = structlog.contextvars.get_contextvars()
    carried = {k: v for k, v in context.items() if k in _CARRIED and v is not None}
    if carried:
        carried["queued_by"] = carried.pop("task_id", carried.get("queued_by"))
        headers["harvester_context"] = carried


def _bind_context(task_id: str, task: Task, args: tuple, kwargs: dict, **_: Any) -> None:
    names = {"harvester.harvest": ("account", "endpoint", "start", "end"),
             "harvester.flow_step": ("job_id", "account", "endpoint"),
             "harvester.dispatch": ("cadence", "account", "endpoint")}.get(task.name, ())
    inherited = getattr(task.request, "harvester_context", None) or {}
    own = {k: v for k, v in zip(names, args, strict=False) if v is not None}
    structlog.contextvars.bind_contextvars(**{**inherited, "task_id": task_id, "task": task.name, **own})


def _unbind_context(**_: Any) -> None:
    structlog.contextvars.clear_contextvars()


def _dispatch_at_start(sender: Any = None, **_: Any) -> None:
    """Beat ticks a cadence only when it next falls due (a daily one at 04:17 Moscow time), so a
    first start, or one after downtime, dispatches everything now; only what is due is queued."""
    if get_settings().dispatch_at_start:
        sender.app.send_task("harvester.dispatch")
        structlog.get_logger(__name__).info("dispatched_at_start")


def _configure_orm(**_: Any) -> None:
    """Configure every mapper, and read the migration scripts the schema check compares with,
    once, before the pool forks: each pool process did both on its first query (a third of a
    second of CPU each, then half as much again, and the first unit of each waited for them)."""
    inspect(WorkUnit).registry.configure()  # the registry every table model shares
    migrate.head()


def connect() -> None:
    """Connect the handlers; the Celery app does, so publishers and workers both have them."""
    setup_logging.connect(_setup_logging)
    worker_init.connect(_configure_orm)
    beat_init.connect(_dispatch_at_start)
    before_task_publish.connect(_carry_context)
    task_prerun.connect(_bind_context)
    task_postrun.connect(_unbind_context)
