"""Async report tasks (paid storage, paid acceptance): a status timeline in emulated seconds
from creation, new -> processing -> done -> purged (or new -> canceled), as in wb-api.md
§9.2-9.3. A task has a kind, so one report's task id is unknown to the other's routes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date

RETENTION_S = 7200.0  # a ready report is kept two hours


@dataclass(frozen=True)
class Task:
    id: str
    sid: str
    date_from: date
    date_to: date
    created: float
    canceled: bool
    kind: str = "paid_storage"


class TaskStore:
    """Thread-safe task registry with the timeline rules."""

    def __init__(self, new_s: float = 5.0, ready_s: float = 60.0) -> None:
        if not 0 <= new_s <= ready_s:
            raise ValueError("need 0 <= task_new_s <= task_ready_s")
        self.new_s = new_s
        self.ready_s = ready_s
        self._lock = threading.Lock()
        self._tasks: dict[str, Task] = {}

    def add(self, task: Task) -> None:
        with self._lock:
            self._tasks[task.id] = task

    def get(self, task_id: str, sid: str, kind: str) -> Task | None:
        """The task, if it exists, belongs to this seller and is of this kind."""
        with self._lock:
            task = self._tasks.get(task_id)
        return task if task is not None and (task.sid, task.kind) == (sid, kind) else None

    def status(self, task: Task, now: float) -> str:
        age = now - task.created
        if age < self.new_s:
            return "new"
        if task.canceled:
            return "canceled"
        if age < self.ready_s:
            return "processing"
        return "done" if age < self.ready_s + RETENTION_S else "purged"

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()
