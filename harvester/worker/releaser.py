"""A worker bootstep that admits lined wake-ups as their bucket's tokens come in sight, sends
parked ones when they fall due (see `wakeups`), and tells the reconciler which node holds which
wake-up and that the node is alive.

It runs on the worker's own timer in the main process, so every worker node releases; the
atomic pop in `wakeups.release` sends each wake-up once however many nodes run. It sleeps until
the next parked wake-up is due, but never longer than `max_sleep`, so one parked later by
another node is seen in time.
"""

from __future__ import annotations

import time
from typing import Any

import redis
import structlog
from celery import bootsteps
from celery.signals import task_received

from harvester.core.settings import get_settings
from harvester.pipeline.limiter import Limiter
from harvester.worker import wakeups
from harvester.worker.runtime import redis_url

log = structlog.get_logger(__name__)


class Releaser(bootsteps.StartStopStep):
    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self._entry: Any = None
        self._client: tuple[redis.Redis, Limiter] | None = None
        settings = get_settings()
        self._max_sleep = min(0.1, max(0.002, settings.scaled(2.0)))

    def start(self, worker: Any) -> None:
        self._timer = worker.timer
        self._app = worker.app
        self._node = worker.hostname
        self._seen = 0.0
        task_received.connect(self._received, weak=False)
        self._entry = self._timer.call_after(0.0, self._tick)

    def stop(self, worker: Any) -> None:
        task_received.disconnect(self._received)
        if self._entry is not None:
            self._entry.cancel()

    def _connect(self) -> tuple[redis.Redis, Limiter]:
        if self._client is None:  # made after the pool forked: never shared with a child
            client = redis.Redis.from_url(redis_url(get_settings().broker_url or ""), decode_responses=True)
            self._client = client, Limiter(client, get_settings())
        return self._client

    def _received(self, request: Any = None, **_: Any) -> None:
        unit = (request.kwargs or {}).get("unit") if request is not None else None
        if unit is not None:
            try:
                wakeups.received(self._connect()[0], unit, self._node)
            except redis.RedisError as exc:
                log.warning("wakeup_receipt_failed", error=str(exc))

    def _tick(self) -> None:
        delay = self._max_sleep
        try:
            client, limiter = self._connect()
            if time.monotonic() - self._seen >= 1.0:
                wakeups.alive(client, self._node)
                self._seen = time.monotonic()
            wakeups.admit(client, limiter)
            after = wakeups.release(self._app, client)
            if after is not None:
                delay = min(delay, after)
        except Exception as exc:  # the broker is down (or a bug): keep trying; the reconciler wakes what was lost
            log.warning("wakeups_release_failed", error=f"{type(exc).__name__}: {exc}")
            delay = 1.0
        self._entry = self._timer.call_after(max(delay, 0.001), self._tick)
