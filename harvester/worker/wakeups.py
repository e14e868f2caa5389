"""Wake-ups: the broker messages that tell a worker to run a unit of the ledger, and the parked
set they wait in until they are due.

The ledger (SQL) is the truth of the work; these are only its doorbells. A unit that must wait
(for a token, a poll interval, a 429 pause or a backoff) is parked: its wake-up goes into one
Redis sorted set scored by its due time on Redis's clock, the clock the limiter books tokens
on, and every worker node releases what is due, each entry once (an atomic pop), as one
message. Waiting thus costs no worker slot, no re-queue and no message until it is over.

Redis keys let the reconciler tell waiting from stalled: `hv:parked` (wake-ups not yet due),
`hv:queued` (when each unit's wake-up was sent, noted once the broker has it, cleared when a
worker takes it), `hv:received` (the node that reserved it) and `hv:nodes` (each node's last
sign of life). A wake-up waiting in a queue is left alone; one reserved by a node that died is
sent again (the broker would only give it back after its visibility timeout). A note older
than the unit's due time is stale (a worker took that wake-up before the note was written,
and the unit has parked since), so it never hides a unit that needs waking. All are lost with
Redis, and so are the messages they describe; the reconciler then wakes every unit the ledger
says is due.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import redis
import structlog
from celery import Celery

from harvester.models import WorkUnit

log = structlog.get_logger(__name__)

PARKED = "hv:parked"
QUEUED = "hv:queued"
RECEIVED = "hv:received"
NODES = "hv:nodes"

_CLOCKS_APART = 2.0  # seconds a host's clock (the unit's due time) may run ahead of Redis's
_NOW_MS = "local t = redis.call('TIME') return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)"

# KEYS: parked zset. ARGV: member, delay ms. The due time is Redis's own clock plus the delay.
_PARK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
"""

# KEYS: parked zset. ARGV: most to pop. Returns the due members (removed) and ms until the next one.
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if head[2] == nil then return {due, -1} end
return {due, math.max(0, tonumber(head[2]) - now)}
"""


def message(unit: WorkUnit) -> dict[str, Any]:
    """The wake-up of a unit: a flow step for a report flow, a harvest for a window."""
    if unit.job_id is not None:
        return {"unit": unit.id, "task": "harvester.flow_step", "args": [unit.job_id, unit.account_id, unit.endpoint],
                "kwargs": {"gen": unit.generation, "unit": unit.id}}
    return {"unit": unit.id, "task": "harvester.harvest",
            "args": [unit.account_id, unit.endpoint, unit.window_start.isoformat(), unit.window_end.isoformat()],
            "kwargs": {"gen": unit.generation, "unit": unit.id}}


# KEYS: queued zset. ARGV: unit ids. Each is noted with Redis's time, in ms.
_NOTE_SENT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #ARGV do redis.call('ZADD', KEYS[1], now, ARGV[i]) end
return now
"""


def _publish(app: Celery, client: redis.Redis, wakeups: Iterable[dict[str, Any]]) -> list[int]:
    """Send each wake-up, then note its unit as in the broker (see the module's note on stale ones)."""
    sent = []
    for wakeup in wakeups:
        app.send_task(wakeup["task"], args=wakeup["args"], kwargs=wakeup["kwargs"])
        sent.append(wakeup["unit"])
    if sent:
        client.eval(_NOTE_SENT, 1, QUEUED, *sent)
    return sent


def send(app: Celery, client: redis.Redis, units: Iterable[WorkUnit]) -> list[int]:
    """Send each unit's wake-up now; the ids sent."""
    return _publish(app, client, (message(unit) for unit in units))


def received(client: redis.Redis, unit_id: int, node: str) -> None:
    """`node` reserved the unit's wake-up (it may hold it a while before a process runs it)."""
    client.hset(RECEIVED, str(unit_id), node)


def alive(client: redis.Redis, node: str) -> None:
    """`node` is alive now, on Redis's clock."""
    client.hset(NODES, node, client.eval(_NOW_MS, 0))


def taken(client: redis.Redis, unit_id: int) -> None:
    """A worker process took the unit's wake-up: it is no longer in the broker."""
    pipe = client.pipeline()
    pipe.zrem(QUEUED, unit_id)
    pipe.hdel(RECEIVED, str(unit_id))
    pipe.execute()


def park(client: redis.Redis, unit: WorkUnit, seconds: float) -> None:
    """Hold the unit's wake-up until `seconds` from now."""
    member = json.dumps(message(unit), sort_keys=True)
    client.eval(_PARK, 1, PARKED, member, max(0, int(seconds * 1000)))


def waiting(client: redis.Redis, units: list[WorkUnit], node_timeout: float) -> list[bool]:
    """For each unit: is a wake-up of it parked, or in the broker and not reserved by a node
    silent for `node_timeout` seconds (so the unit is waiting, not stalled)?"""
    pipe = client.pipeline()
    for unit in units:
        pipe.zscore(PARKED, json.dumps(message(unit), sort_keys=True))
        pipe.zscore(QUEUED, str(unit.id))
        pipe.hget(RECEIVED, str(unit.id))
    pipe.hgetall(NODES)
    pipe.eval(_NOW_MS, 0)
    *answers, nodes, now = pipe.execute()
    alive = {node for node, seen in nodes.items() if now - int(seen) <= node_timeout * 1000}
    found = []
    for unit, parked, sent, node in zip(units, answers[0::3], answers[1::3], answers[2::3], strict=True):
        due = unit.due_at if unit.due_at.tzinfo else unit.due_at.replace(tzinfo=dt.UTC)  # SQLite: naive UTC
        current = sent is not None and sent / 1000 >= due.timestamp() - _CLOCKS_APART
        found.append(parked is not None or (current and (node is None or node in alive)))
    return found


def release(app: Celery, client: redis.Redis, most: int = 500) -> float | None:
    """Send every parked wake-up that is due; seconds until the next one (None: none parked)."""
    due, next_ms = client.eval(_RELEASE, 1, PARKED, most)
    _publish(app, client, (json.loads(member) for member in due))
    if due:
        log.debug("wakeups_released", count=len(due))
    return None if int(next_ms) < 0 else int(next_ms) / 1000
