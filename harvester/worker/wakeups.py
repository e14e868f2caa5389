"""Wake-ups: the broker messages that tell a worker to run a unit of the ledger, and where they
wait until they are due.

The ledger (SQL) is the truth of the work; these are only its doorbells. A unit waits in one
of two places, never in a worker or the broker:

    parked   due at a known time (a booked token, a poll interval, a backoff): one Redis sorted
             set scored on Redis's clock, the clock the limiter books tokens on
    lined    its turn at a WB bucket (see `limiter`): the bucket's line, which the releaser
             admits from as tokens come within the horizon, booking each and parking it

Every worker node's releaser admits and releases; each wake-up leaves once (an atomic pop), as
one message, carrying its booking. So a unit costs one message per request it sends, at any
backlog depth. Members are unit ids; the message of each is in `hv:wakeups`.

Redis keys let the reconciler tell waiting from stalled: `hv:parked` and `hv:lined` (waiting
here), `hv:queued` (when each unit's wake-up was sent, noted once the broker has it, cleared
when a worker takes it), `hv:received` (the node that reserved it) and `hv:nodes` (each node's
last sign of life). A wake-up waiting in a queue is left alone; one reserved by a node that
died, or that the broker shows reserved by a node that never said so, or that is in no queue
and not reserved (popped by a node that died before the broker recorded it) is sent again (the
broker would give the first two back only after its visibility timeout, the last never). A
second wake-up of a unit is harmless: its claim turns away all but one. A note
older than the unit's due time is stale (a worker took that wake-up before the note was
written, and the unit has parked since), so it never hides a unit that needs waking. All are
lost with Redis, and so are the messages they describe; the reconciler then wakes every unit
the ledger says is due.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import redis
import structlog
from celery import Celery

from harvester.models import WorkUnit
from harvester.pipeline.limiter import PLACE, Limiter, Line
from harvester.pipeline.store.ledger import UnitRef
from harvester.worker.routing import TASK_QUEUES, route

log = structlog.get_logger(__name__)

PARKED = "hv:parked"
WAKEUPS = "hv:wakeups"
BOOKINGS = "hv:bookings"
LINED = "hv:lined"
LINE_BATCH = 500  # units a script call lines at most, so Redis is never held long
LINES = "hv:lines"
LINE_RATES = "hv:lines:rate"
QUEUED = "hv:queued"
RECEIVED = "hv:received"
NODES = "hv:nodes"
# The broker's record of messages reserved by a node and not yet acknowledged, and when each was
# reserved (kombu's Redis transport; celeryconfig keeps its default names).
BROKER_RESERVED = "unacked"
BROKER_RESERVED_AT = "unacked_index"

_CLOCKS_APART = 2.0  # seconds a host's clock (the unit's due time) may run ahead of Redis's
_NOW_MS = "local t = redis.call('TIME') return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)"

# KEYS: parked zset, wake-ups hash. ARGV: delay ms, a JSON array of unit and message of each
# and one command per key for them all (argument packing, then a command per unit, was most of a
# dispatch's Redis time). Due on Redis's own clock. At most `LINE_BATCH` units: Lua's unpack limit.
_PARK = """
local t = redis.call('TIME')
local due = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local units, scored = cjson.decode(ARGV[2]), {}
for i = 1, #units, 2 do
  table.insert(scored, due)
  table.insert(scored, units[i])
end
redis.call('HSET', KEYS[2], unpack(units))
redis.call('ZADD', KEYS[1], unpack(scored))
return 1
"""

# KEYS: wake-ups hash, lined hash, index of lines, line rates, then one key per line. ARGV: a
# JSON array with, per line, its name, its rate (JSON) and the unit, message and rank of each
# of its units. A unit keeps its place if it is in its line already. The place is rank × 10^13 +
# now (ms) (`limiter.PLACE`), written out whole so no digit is rounded away.
_LINE = PLACE + """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for k, at in ipairs(cjson.decode(ARGV[1])) do
  local name, units, messages, places, lined = at[1], at[3], {}, {'NX'}, {}
  for i = 1, #units, 3 do
    table.insert(messages, units[i])
    table.insert(messages, units[i + 1])
    table.insert(places, string.format('%.0f', place(units[i + 2], now)))
    table.insert(places, units[i])
    table.insert(lined, units[i])
    table.insert(lined, name)
  end
  redis.call('HSET', KEYS[1], unpack(messages))
  redis.call('ZADD', KEYS[4 + k], unpack(places))
  redis.call('HSET', KEYS[2], unpack(lined))
  redis.call('HSET', KEYS[4], name, at[2])
  redis.call('ZADD', KEYS[3], 'NX', now, name)
end
return 1
"""

# KEYS: parked zset, wake-ups hash, bookings hash, lined hash. ARGV: most to pop. The due
# wake-ups (removed), each as unit, message, booking (false: none), and ms until the next one.
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local out = {}
for _, unit in ipairs(due) do
  table.insert(out, unit)
  table.insert(out, redis.call('HGET', KEYS[2], unit))
  table.insert(out, redis.call('HGET', KEYS[3], unit))
end
if #due > 0 then
  redis.call('ZREM', KEYS[1], unpack(due))
  redis.call('HDEL', KEYS[2], unpack(due))
  redis.call('HDEL', KEYS[3], unpack(due))
  redis.call('HDEL', KEYS[4], unpack(due))
end
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if head[2] == nil then return {out, -1} end
return {out, math.max(0, tonumber(head[2]) - now)}
"""

# KEYS: index of lines, line rates. ARGV: most. The lines worth a look now, with their rates.
_DUE_LINES = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for _, line in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))) do
  table.insert(out, line)
  table.insert(out, redis.call('HGET', KEYS[2], line))
end
return out
"""


def message(unit: UnitRef) -> dict[str, Any]:
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


def _queue(wakeup: dict[str, Any]) -> str:
    """The broker queue a wake-up goes to."""
    return route(wakeup["task"], wakeup["args"], wakeup["kwargs"], {})["queue"]


def _publish(app: Celery, client: redis.Redis, wakeups: Iterable[dict[str, Any]]) -> list[int]:
    """Send each wake-up, then note its unit as in the broker (see the module's note on stale ones).

    One producer, its messages pipelined a thousand at a time (kombu's publish batch): a
    dispatch cycle sends tens of thousands, and one round trip each cost most of its time. The
    queues they go to are declared once for them all (declaring per message copied each queue
    per send; declaring all five, where a release mostly sends one wake-up to one queue, was a
    tenth of the releaser's time), and Flower's args and kwargs written here (Celery's own safe
    repr was a quarter of a send). Nothing to send takes no producer: the releaser calls this
    ten times a second, mostly empty."""
    wakeups = list(wakeups)
    if not wakeups:
        return []
    sent = []
    queues = {_queue(w) for w in wakeups}
    with app.producer_or_acquire() as producer, producer.batch():
        for queue in TASK_QUEUES:
            if queue.name in queues:
                producer.maybe_declare(queue)
        for wakeup in wakeups:
            args, kwargs = wakeup["args"], wakeup["kwargs"]
            app.send_task(wakeup["task"], args=args, kwargs=kwargs, producer=producer, declare=[],
                          argsrepr=repr(args), kwargsrepr=repr(kwargs))
            sent.append(wakeup["unit"])
    if sent:
        client.eval(_NOTE_SENT, 1, QUEUED, *sent)
    return sent


def send(app: Celery, client: redis.Redis, units: Iterable[UnitRef]) -> list[int]:
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


def park(client: redis.Redis, units: Iterable[UnitRef], seconds: float) -> None:
    """Hold the units' wake-ups until `seconds` from now: one script call per `LINE_BATCH` units,
    pipelined, so a dispatch cycle hands its thousands of wake-ups to the releasers at once."""
    args = [arg for unit in units for arg in (str(unit.id), json.dumps(message(unit)))]
    pipe, script = client.pipeline(transaction=False), client.register_script(_PARK)
    for i in range(0, len(args), 2 * LINE_BATCH):
        script(keys=[PARKED, WAKEUPS], args=[max(0, int(seconds * 1000)), json.dumps(args[i:i + 2 * LINE_BATCH])],
               client=pipe)
    pipe.execute()


def line(client: redis.Redis, waiting: Iterable[tuple[UnitRef, Line, int]]) -> None:
    """Put each unit's wake-up in its bucket's line at its rank (`schedule.rank`: lower goes
    first, and first come first served within a rank), to be admitted when a token is in sight.

    One script call per `LINE_BATCH` units, whatever lines they wait in, pipelined: a dispatch
    cycle lines tens of thousands of units in as many lines (an account × limit group each), and
    a call per line, let alone per unit, cost most of its time."""
    by_line: dict[str, tuple[Line, list[Any]]] = {}
    for unit, at, rank in waiting:
        by_line.setdefault(at.key, (at, []))[1].extend((str(unit.id), json.dumps(message(unit)), rank))
    batches: list[list[tuple[Line, list[Any]]]] = [[]]
    size = 0
    for at, args in by_line.values():
        for i in range(0, len(args), 3 * LINE_BATCH):
            chunk = args[i:i + 3 * LINE_BATCH]
            if size + len(chunk) > 3 * LINE_BATCH:
                batches.append([])
                size = 0
            batches[-1].append((at, chunk))
            size += len(chunk)
    pipe, script = client.pipeline(transaction=False), client.register_script(_LINE)  # EVALSHA: the script once
    for batch in filter(None, batches):
        keys = [WAKEUPS, LINED, LINES, LINE_RATES, *(at.key for at, _ in batch)]
        script(keys=keys, args=[json.dumps([[at.name, _rate(at), units] for at, units in batch])], client=pipe)
    pipe.execute()


def _rate(at: Line) -> str:
    """What the admitter needs of a line's bucket, kept beside the line."""
    return json.dumps({"name": at.name, "group": at.group, "burst": at.burst, "interval_ms": at.interval_ms})


def admit(client: redis.Redis, limiter: Limiter, most: int = 200) -> int:
    """Book tokens for the heads of every line worth a look now (see `Limiter.admit`); the
    number of wake-ups admitted to the parked set."""
    found = client.eval(_DUE_LINES, 2, LINES, LINE_RATES, most)
    admitted = 0
    for name, rate in zip(found[0::2], found[1::2], strict=True):
        if not rate:  # its rate was lost: nothing can admit it, and the reconciler wakes its units
            client.zrem(LINES, name)
            continue
        admitted += limiter.admit(Line(**json.loads(rate)), PARKED, BOOKINGS, LINES)
    return admitted


def _unit_of(raw: str | bytes, record: bool = False) -> str | None:
    """The unit a broker message wakes (None: not a wake-up of ours). kombu's Redis transport
    keeps a message as JSON, its body base64-encoded; its record of a reserved one as [message,
    exchange, routing key] (`record`)."""
    try:
        payload = json.loads(raw)[0] if record else json.loads(raw)
        body = payload["body"]
        if payload.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        unit = json.loads(body)[1].get("unit")
    except (ValueError, LookupError, TypeError, AttributeError):
        return None
    return None if unit is None else str(unit)


def _reserved(client: redis.Redis) -> dict[str, float]:
    """When each unit's wake-up was reserved by a node, read from the broker's own record of
    messages handed out and not yet acknowledged (kombu's Redis transport keeps it)."""
    reserved: list[tuple[Any, float]] = client.zrange(BROKER_RESERVED_AT, 0, -1, withscores=True)  # type: ignore[assignment]
    at = {str(tag): score for tag, score in reserved}
    found: dict[str, float] = {}
    for tag, raw in client.hgetall(BROKER_RESERVED).items():
        unit = _unit_of(raw, record=True)
        if unit is not None and str(tag) in at:
            found[unit] = at[str(tag)]
    return found


class Queues:
    """The units whose wake-ups wait in each broker queue, each queue read once, when first asked
    (a reconcile asks page after page of units), with the time it was read on Redis's clock.

    A queue is a Redis list (kombu's transport, no priorities), read a thousand messages at a
    time from its newest end: a message sent meanwhile shifts the rest along, so one may be read
    twice but none is missed."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._read: dict[str, tuple[int, set[str]]] = {}

    def read(self, queue: str) -> tuple[int, set[str]]:
        """When `queue` was read (ms) and the units waiting in it then."""
        if queue not in self._read:
            at, units, start = int(self._client.eval(_NOW_MS, 0)), set[str](), 0
            while chunk := self._client.lrange(queue, start, start + 999):
                units.update(filter(None, map(_unit_of, chunk)))
                start += len(chunk)
            self._read[queue] = (at, units)
        return self._read[queue]


def waiting(client: redis.Redis, units: list[WorkUnit], node_timeout: float,
            queues: Queues | None = None) -> list[bool]:
    """For each unit: is a wake-up of it parked, lined, or in the broker and not lost (so the unit
    is waiting, not stalled)? `queues` keeps the broker's queues read between calls.

    A wake-up is lost if a node silent for `node_timeout` seconds holds it, or if it has been out
    of every queue for that long with no node saying it holds it. A node that dies between
    reserving a wake-up and noting it (a few milliseconds) leaves no note, only the broker's
    record of it reserved; one that dies between popping it and the broker recording it (kombu
    pops, then records, in two steps) leaves neither, and the wake-up is in no queue. A live
    node notes what it reserves within `node_timeout`. A wake-up waiting in a queue behind a
    backlog, however long, is left alone."""
    pipe = client.pipeline()
    for unit in units:
        pipe.zscore(PARKED, str(unit.id))
        pipe.hexists(LINED, str(unit.id))
        pipe.zscore(QUEUED, str(unit.id))
        pipe.hget(RECEIVED, str(unit.id))
    pipe.hgetall(NODES)
    pipe.eval(_NOW_MS, 0)
    *answers, nodes, now = pipe.execute()
    alive = {node for node, seen in nodes.items() if now - int(seen) <= node_timeout * 1000}
    silent_ms = (node_timeout + _CLOCKS_APART) * 1000
    found, unnoted = [], []
    for unit, parked, lined, sent, node in zip(units, *(answers[i::4] for i in range(4)), strict=True):
        due = unit.due_at if unit.due_at.tzinfo else unit.due_at.replace(tzinfo=dt.UTC)  # SQLite: naive UTC
        current = sent is not None and sent / 1000 >= due.timestamp() - _CLOCKS_APART
        found.append(parked is not None or bool(lined) or (current and (node is None or node in alive)))
        if found[-1] and parked is None and not lined and node is None:
            unnoted.append((len(found) - 1, sent))
    if not unnoted:
        return found
    reserved, unqueued = _reserved(client), []
    for i, sent in unnoted:
        since = reserved.get(str(units[i].id))
        if since is None and now - sent > silent_ms:
            unqueued.append((i, sent))
        elif since is not None and now - since * 1000 > silent_ms:
            found[i] = False
    if unqueued:
        queues = queues or Queues(client)
        read = [(i, sent, queues.read(_queue(message(units[i])))) for i, sent in unqueued]
        reserved = _reserved(client)  # read after the queues: a wake-up popped meanwhile is in one of the two
        for i, sent, (at, queued) in read:
            unit_id = str(units[i].id)
            found[i] = not (sent < at and unit_id not in queued and unit_id not in reserved)
    return found


def release(app: Celery, client: redis.Redis, most: int = 500) -> float | None:
    """Send every parked wake-up that is due, with its booking; seconds until the next one
    (None: none parked)."""
    due, next_ms = client.eval(_RELEASE, 4, PARKED, WAKEUPS, BOOKINGS, LINED, most)
    found = []
    for message_, booking in zip(due[1::3], due[2::3], strict=True):
        if not message_:  # parked before wake-ups were kept by unit (an upgrade): the reconciler wakes it
            continue
        wakeup = json.loads(message_)
        if booking:
            wakeup["kwargs"]["booked"] = json.loads(booking)
        found.append(wakeup)
    _publish(app, client, found)
    if due:
        log.debug("wakeups_released", count=len(found))
    return None if int(next_ms) < 0 else int(next_ms) / 1000
