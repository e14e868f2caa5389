"""Flower over a real worker: tasks readable with their arguments, never a token, login required."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import time
from typing import Any

import redis
import requests

from harvester.core.clock import today
from harvester.ops.flower import flower_command, flower_env
from harvester.worker.runtime import redis_url
from harvester.worker.tasks import harvest

from .conftest import Harness

AUTH = ("ops", "flower-test-pass")
JWT_SHAPE = re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_flower_shows_harvest_arguments_but_no_token_and_wants_a_login(harness: Harness) -> None:
    account = "acc-flower"
    harness.add_wb_account(account)
    harness.start_worker()
    port, log = _free_port(), harness.tmp / "flower.log"
    base = f"http://127.0.0.1:{port}"
    env = flower_env({**harness.env, "HARVESTER_FLOWER_USER": AUTH[0], "HARVESTER_FLOWER_PASSWORD": AUTH[1]})
    cmd = flower_command(port)
    assert AUTH[1] not in " ".join(cmd)
    with open(log, "w") as out:
        flower = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def get(path: str) -> dict[str, Any] | None:
            assert flower.poll() is None, f"Flower exited:\n{log.read_text()[-4000:]}"
            try:
                answer = requests.get(base + path, auth=AUTH, timeout=10)
            except requests.ConnectionError:
                return None
            return answer.json() if answer.status_code == 200 else None

        harness.wait_for(lambda: any(n.startswith("w0@") for n in get("/api/workers?refresh=1") or {}),
                         60, "Flower to list the worker")

        day = today().isoformat()
        harvest.delay(account, "wb.stocks_products", day, day)

        def harvest_task() -> dict[str, Any] | None:
            tasks = get("/api/tasks") or {}
            return next((t for t in tasks.values() if t.get("name") == "harvester.harvest"
                         and t.get("state") == "SUCCESS" and "wb.stocks_products" in str(t.get("args"))), None)

        task = harness.wait_for(harvest_task, 60, "Flower to show the finished harvest")
        for value in (account, "wb.stocks_products", day):
            assert value in task["args"], task
        workers = get("/api/workers?refresh=1")
        tasks = get("/api/tasks")
        assert workers and tasks
        for answer in (json.dumps(workers), json.dumps(tasks)):
            for token in harness.tokens.values():
                assert token not in answer
            assert not JWT_SHAPE.search(answer), JWT_SHAPE.search(answer)

        assert requests.get(base + "/api/workers", timeout=10).status_code == 401
        assert requests.get(base + "/api/workers", auth=(AUTH[0], "wrong"), timeout=10).status_code == 401
    finally:
        if flower.poll() is None:
            os.killpg(flower.pid, signal.SIGTERM)
            try:
                flower.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(flower.pid, signal.SIGKILL)
                flower.wait(5)


def _task_events(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The events in one message of the worker's event stream (kombu's envelope, JSON body)."""
    envelope = json.loads(message["data"])
    body = envelope["body"]
    if envelope.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body)
    events = json.loads(body)
    return events if isinstance(events, list) else [events]


def test_task_events_leave_the_worker_in_batches_and_every_one_arrives(harness: Harness) -> None:
    """Tasks arriving one by one (as wake-ups do) share their events' sends, and Flower still
    gets received, started and succeeded for each."""
    harness.start_worker()
    client = redis.Redis.from_url(redis_url(harness.env["HARVESTER_BROKER_URL"]))
    listener = client.pubsub(ignore_subscribe_messages=True)
    listener.psubscribe("*celeryev/task.*")
    try:
        harness.wait_for(lambda: "ready" in harness.logs(), 60, "the worker")
        from harvester.worker.app import app

        tasks = 30
        with app.connection_for_write() as connection:
            ids = []
            for n in range(tasks):
                ids.append(app.send_task("celery.accumulate", args=(n,), queue="wb", connection=connection).id)
                time.sleep(0.02)  # one at a time, faster than a batch's 0.1 s
        sends, seen = 0, []

        def every_task_succeeded() -> bool:
            nonlocal sends
            while (message := listener.get_message(timeout=0.1)) is not None:
                sends += 1
                seen.extend((e["type"], e["uuid"]) for e in _task_events(message) if "uuid" in e)
            return all(("task-succeeded", i) in seen for i in ids)

        harness.wait_for(every_task_succeeded, 30, "every task's events")
        for kind in ("task-received", "task-started"):
            assert all((kind, i) in seen for i in ids), kind
        assert sends <= tasks / 2, f"{sends} sends for {tasks} tasks"
    finally:
        listener.close()
