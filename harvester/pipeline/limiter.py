"""The rate limiter every worker shares: WB token buckets in Redis, one per (marketplace, account, group).

A bucket holds at most Burst tokens and gains one every Interval (reference/wb-api.md §3.3),
the model WB's gateway enforces. Scripts run atomically on Redis's own clock, so workers on
several hosts agree without synchronised clocks.

Why our bucket never runs ahead of WB's: a request is *in flight* from the moment it takes a
token until its answer is back, and meanwhile WB's bucket may sit at Burst, gaining nothing,
while ours would keep refilling. So each taken token is also a ticket in a sorted set; our
bucket's cap is Burst minus the tickets out, and a ticket is released only after the answer,
with the refill up to that moment settled under the old cap. A ticket whose worker died
expires after `in_flight_ttl`.

The answer is immediate: go now, or wait N seconds. When the next token is due within the
reserve horizon the script books it (the level goes negative, like GCRA's theoretical arrival
time) and hands back the ticket and its due time; the caller re-queues itself with that
countdown and presents the booking, which is honoured once it is due on Redis's clock. Queued
work thus drains at exactly the bucket's rate instead of every waiting task waking at once;
far-off waits are not booked, so a huge backlog never holds reservations hours ahead.

Bookings sit in a set of their own and, like tickets, lower the cap, so our level plus the
bookings not yet sent never exceeds what the API's bucket holds. A booking goes only while
that sum covers it: tasks a busy worker runs late, their bookings all due at once, leave one
by one at the bucket's pace instead of together (WB's bucket, idle meanwhile, filled to Burst
and no further). A booking is good for one request: presented again (a second acquire in one
step, a task message delivered twice) it is an ordinary request.

Work that cannot be booked yet waits in the bucket's *line* (a sorted set of unit ids, first
come first served) instead of in a worker or the broker. `admit` books the line's head tokens
as the horizon allows, under the same rule as `acquire`, and moves each admitted unit to the
parked set with its booking, due when its token is: a unit that waited its turn reaches a
worker once, when it can go. A line longer than the tokens in hand is paced: its first unit
goes at once, the rest evenly until its last would go anyway, so the line ends no later than
if its burst were spent at the start, while a bucket at Burst (losing its refill) is never
kept waiting behind other buckets' bursts: when many buckets fill up together (a backfill of
many accounts, a worker restart) every one gets its first request before any spends its burst.
The index of lines says when each is next worth a look (a token entering the horizon, a pause
ending), so admitting costs nothing while nothing can move.

A unit between two pages is in no line: it has just used a token and is loading what it
fetched. Booked a whole horizon ahead, the next token would go to whoever waits in the line,
whatever its rank, and a snapshot needing every token of its bucket would alternate with a
per-product tail, half the bucket each. So the bucket keeps the best-ranked unit in the middle of
its work (taken when it is granted a token, or admitted from the line with one: a snapshot that
starts while the tail holds the bucket comes in through the line, and admission alone would
book the tail a horizon ahead during each of its pages), and until a request's in-flight time
(`in_flight_ttl`) after its last token a unit ranking after it (lined, or asking itself) is
booked no token ahead: it gets one only once the token is in hand and the snapshot has not
asked for it, which it does, booking ahead, whenever its page's round trip is shorter than an
interval. Nothing is held back: a token the snapshot leaves goes to the tail, at most a
releaser's tick late.

A 429 sets a shared pause (from `X-Ratelimit-Retry`) and empties the bucket, bookings
included (the API holds nothing then): every worker waits, bookings too.

Yandex Market counts differently (yandex-market-api.md §2.4): at most N units (requests, or
items of the answer) in a window, per entity of the URL, and at most 4 requests in flight per
entity. `acquire_window` keeps a log of charges in Redis and admits a request only if the
last `period` holds room for its cost; a charge is dated when its answer is back, after the
API counted it, so the log never lets a window of the API's own overflow. `take_slot` is the
in-flight cap. A 420 pauses the resource until its `X-RateLimit-Resource-Until`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import redis

from harvester.catalog.model import LimitGroup
from harvester.core.settings import Settings

# KEYS: bucket hash, pause key, in-flight ticket zset, booking zset (both ticket -> expiry).
# Settles refill up to now under the current cap.
_SETTLE = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function settle(capacity, interval, now)
  local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
  local tokens = tonumber(state[1]) or capacity
  local ts = tonumber(state[2]) or now
  local out = redis.call('ZCARD', KEYS[3]) + redis.call('ZCARD', KEYS[4])
  return math.min(capacity - out, tokens + math.max(0, now - ts) / interval)
end
"""

# A unit's place in a line: by rank, then first come first served (`now` in ms; an exact
# integer below 2^53 for ranks below 900), and the rank a place holds. Lining (`wakeups`), the
# yield rule and admission use them.
PLACE = """
local function place(rank, now) return rank * 1e13 + now end
local function rank_of(at) return math.floor(at / 1e13) end
"""

# KEYS[1]: the bucket hash, which keeps the best-ranked unit in the middle of its work (`mid`)
# and when its token was due (`mid_due`); see the module's note. `outranked`: may one that ranks
# before `rank` still ask for the next token (within a request's in-flight time, `ttl`, of its
# last)? `take_turn`: a unit granted a token due at `due` that nobody outranks is now that unit,
# however it came by the token (asked for it, or admitted from the line).
_MID = """
local function outranked(rank, now, ttl)
  local mid = redis.call('HMGET', KEYS[1], 'mid', 'mid_due')
  return mid[1] and tonumber(mid[1]) < rank and now < (tonumber(mid[2]) or 0) + ttl
end
local function take_turn(rank, due) redis.call('HSET', KEYS[1], 'mid', rank, 'mid_due', tostring(due)) end
"""

# KEYS: the bucket's four keys, its line. ARGV: burst, interval ms, cost, horizon ms, booked due
# (0: none), ttl ms, ticket, the caller's rank ('' : none).
_ACQUIRE = _SETTLE + PLACE + _MID + """
local now = now_ms()
local capacity, interval = tonumber(ARGV[1]), tonumber(ARGV[2])
local cost, horizon, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local ticket, due = ARGV[7], tonumber(ARGV[5])
local booked = due > 0 and tonumber(redis.call('ZSCORE', KEYS[4], ticket) or 0) > now  -- used or lapsed: none
local pause = redis.call('PTTL', KEYS[2])
if pause > 0 then
  if booked then return {2, pause, due} end  -- a booking outlives a pause
  return {0, pause, 0}
end
if booked and now < due then return {2, math.ceil(due - now), due} end
local tokens = settle(capacity, interval, now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local keep = math.ceil((capacity - tokens) * interval) + ttl + 1000
if booked then
  -- The API holds at least our level plus the bookings not yet sent: both cap at Burst. A
  -- booking goes while that sum covers it, so late bookings (a busy worker) arriving together
  -- never outnumber what the API's bucket holds; the rest wait here, still booked.
  local banked = tokens + redis.call('ZCARD', KEYS[4])
  if banked < cost then
    local wait = math.ceil((cost - banked) * interval)
    redis.call('ZADD', KEYS[4], now + wait + ttl, ticket)
    redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
    return {2, wait, math.ceil(now + wait)}
  end
  redis.call('ZREM', KEYS[4], ticket)
  redis.call('ZADD', KEYS[3], now + ttl, ticket)
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
  for _, i in ipairs({1, 3, 4}) do redis.call('PEXPIRE', KEYS[i], keep) end
  return {1, 0, 0}
end
local rank = tonumber(ARGV[8])
if rank then
  -- A unit in the middle of its work (its next page or id) yields to a better-ranked one
  -- waiting in the line, and waits there itself: a tail booking token after token would
  -- otherwise keep a snapshot from its turn for as long as the tail lasts.
  local head = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
  if head[2] and tonumber(head[2]) < place(rank, now) then
    redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
    return {0, math.max(1, math.ceil((cost - tokens) * interval)), 0}
  end
end
local granted, wait = 1, 0
local held = rank and outranked(rank, now, ttl)
if tokens < cost then
  wait = math.ceil((cost - tokens) * interval)
  if held or wait > horizon then
    redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
    return {0, wait, 0}
  end
  granted = 2
end
tokens = tokens - cost
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
if rank and not held then take_turn(rank, math.ceil(now + wait)) end  -- none mid-work ranks before it
redis.call('ZADD', KEYS[granted == 2 and 4 or 3], now + wait + ttl, ticket)
keep = math.ceil((capacity - tokens) * interval) + wait + ttl + 1000
for _, i in ipairs({1, 3, 4}) do redis.call('PEXPIRE', KEYS[i], keep) end
return {granted, wait, math.ceil(now + wait)}
"""

# KEYS: the bucket's four keys, its line (unit → order), the parked set (unit → due ms), the
# bookings hash (unit → booking JSON) and the index of lines (line → ms to look again).
# ARGV: burst, interval ms, horizon ms, ttl ms, line name, group, most to admit.
_ADMIT = _SETTLE + PLACE + _MID + """
local now = now_ms()
local capacity, interval = tonumber(ARGV[1]), tonumber(ARGV[2])
local horizon, ttl, line, most = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[7])
local pause = redis.call('PTTL', KEYS[2])
if pause > 0 then
  redis.call('ZADD', KEYS[8], now + pause, line)
  return 0
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local tokens = settle(capacity, interval, now)
local admitted = 0
-- Paced (see the module's note): the next unit is due a share of the time left until the
-- line's last would go anyway; the first of a line not paced within an interval goes now.
local paced = tonumber(redis.call('HGET', KEYS[1], 'paced')) or 0
local waiting = redis.call('ZCARD', KEYS[5])
local finish = now + (waiting - tokens) * interval
while true do
  local top = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
  local head = top[1]
  if not head then
    redis.call('ZREM', KEYS[8], line)
    break
  end
  local wait = 0
  if paced + interval > now then wait = math.max(0, math.ceil(paced + (finish - paced) / waiting - now)) end
  if tokens < 1 then wait = math.max(wait, math.ceil((1 - tokens) * interval)) end
  local rank = rank_of(tonumber(top[2]))
  local held = outranked(rank, now, ttl)
  local limit = held and 0 or horizon
  if wait > limit or admitted >= most then
    redis.call('ZADD', KEYS[8], now + math.max(0, wait - limit), line)
    break
  end
  tokens = tokens - 1
  local due = math.floor(now + wait)  -- whole ms, never after the token (the skew margin covers the rest)
  local ticket = head .. '@' .. due
  redis.call('ZADD', KEYS[4], now + wait + ttl, ticket)
  redis.call('ZREM', KEYS[5], head)
  redis.call('ZADD', KEYS[6], due, head)
  redis.call('HSET', KEYS[7], head, cjson.encode({group = ARGV[6], ticket = ticket, due = due}))
  if not held then take_turn(rank, due) end  -- as in acquire
  admitted = admitted + 1
  waiting = waiting - 1
  paced = now + wait
end
if admitted > 0 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now), 'paced', tostring(paced))
  local keep = math.ceil((capacity - tokens) * interval) + ttl + 1000
  for _, i in ipairs({1, 3, 4}) do redis.call('PEXPIRE', KEYS[i], keep) end
end
return admitted
"""

_RELEASE = _SETTLE + """
local now = now_ms()
if redis.call('ZSCORE', KEYS[3], ARGV[3]) then
  local tokens = settle(tonumber(ARGV[1]), tonumber(ARGV[2]), now)
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
  redis.call('ZREM', KEYS[3], ARGV[3])
end
return 1
"""

# Our level plus the bookings out is what we count on the API holding: after a 429 it holds nothing.
_PAUSE = """
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[2]) < ms then redis.call('SET', KEYS[2], '1', 'PX', ms) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens')) or 0
local floor = -redis.call('ZCARD', KEYS[4])
redis.call('HSET', KEYS[1], 'tokens', tostring(math.min(tokens, floor)), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], ms + 3600000)
return 1
"""


# KEYS: done zset (ticket → answered at), cost hash (ticket → units), in-flight zset
# (ticket → expiry), pause key. ARGV: limit, period ms, cost, ttl ms, ticket.
_WINDOW_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local limit, period, cost, ttl, ticket =
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local pause = redis.call('PTTL', KEYS[4])
if pause > 0 then return {0, pause} end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do  -- its worker died: answered now
  redis.call('ZREM', KEYS[3], m)
  redis.call('ZADD', KEYS[1], now, m)
end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - period)) do
  redis.call('HDEL', KEYS[2], m)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
local used = 0
for _, c in ipairs(redis.call('HVALS', KEYS[2])) do used = used + tonumber(c) end
if used + cost <= limit then
  redis.call('HSET', KEYS[2], ticket, cost)
  redis.call('ZADD', KEYS[3], now + ttl, ticket)
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], period + ttl + 1000) end
  return {1, 0}
end
local need, freed = used + cost - limit, 0
local done = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #done, 2 do
  freed = freed + tonumber(redis.call('HGET', KEYS[2], done[i]) or 0)
  if freed >= need then return {0, math.ceil(tonumber(done[i + 1]) + period - now)} end
end
return {0, -1}
"""

_WINDOW_RELEASE = """
if redis.call('ZREM', KEYS[3], ARGV[1]) == 1 then
  local t = redis.call('TIME')
  redis.call('ZADD', KEYS[1], tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000, ARGV[1])
end
return 1
"""

# KEYS: slot zset (ticket → expiry). ARGV: cap, ttl ms, ticket.
_SLOT_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""

_PAUSE_ONLY = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1
"""


# Our bucket runs on Redis's clock, the API's on its own: a margin for the two, 0.01 % of a
# 20-second interval at real speed. (The CI 429 it was added for turned out to be late
# bookings honoured together; see the booking rule above.)
_SKEW_MS = 2.0
LINE_SUFFIX = ":line"  # a bucket's line: its key beside the bucket's own


@dataclass(frozen=True)
class Line:
    """Where work waits its turn at one WB bucket: the bucket's name, group and rate, all the
    releaser needs to admit it (see `Limiter.admit`)."""

    name: str
    group: str
    burst: int
    interval_ms: float

    @property
    def key(self) -> str:
        return self.name + LINE_SUFFIX


@dataclass(frozen=True)
class Decision:
    """Go now (holding `ticket`), or come back after `wait` seconds.

    `due` is non-zero when a token is booked for the caller: the Redis-clock millisecond it
    becomes valid. Present `ticket` and `due` on the next `acquire` to use it.
    """

    go: bool
    wait: float = 0.0
    ticket: str = ""
    due: int = 0


class Limiter:
    """Token buckets, in-flight tickets and pauses shared through Redis."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._redis = client
        self._settings = settings
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._pause = client.register_script(_PAUSE)
        self._window_acquire = client.register_script(_WINDOW_ACQUIRE)
        self._window_release = client.register_script(_WINDOW_RELEASE)
        self._slot_take = client.register_script(_SLOT_TAKE)
        self._pause_only = client.register_script(_PAUSE_ONLY)
        self._admit = client.register_script(_ADMIT)

    @staticmethod
    def keys(marketplace: str, account_id: str, group: str) -> list[str]:
        base = f"hv:rl:{marketplace}:{account_id}:{group}"
        return [base, base + ":pause", base + ":tickets", base + ":booked"]

    @staticmethod
    def window_keys(marketplace: str, account_id: str, group: str, entity: str) -> list[str]:
        base = f"hv:rw:{marketplace}:{account_id}:{group}:{entity}"
        return [base + ":done", base + ":cost", base + ":flight", base + ":pause"]

    def acquire_window(self, marketplace: str, account_id: str, group: LimitGroup, tier: str, entity: str,
                       cost: int) -> Decision:
        """Charge `cost` units to the entity's window now, or say how long until there is room."""
        rate = group.rate(tier)
        if cost > rate.limit:
            raise ValueError(f"{group.name}: a request costing {cost} can never fit a budget of {rate.limit}")
        ticket = uuid.uuid4().hex
        code, wait_ms = self._window_acquire(
            keys=self.window_keys(marketplace, account_id, group.name, entity),
            args=[rate.limit, self._settings.scaled(rate.period) * 1000, cost, self._settings.in_flight_ttl * 1000,
                  ticket],
        )
        if code == 1:
            return Decision(go=True, ticket=ticket)
        # -1: requests in flight hold the budget; their answers free it, so look again shortly
        wait = int(wait_ms) / 1000 if int(wait_ms) >= 0 else self._settings.scaled(1.0)
        return Decision(go=False, wait=max(wait, 0.001))

    def release_window(self, marketplace: str, account_id: str, group: LimitGroup, entity: str, ticket: str) -> None:
        """The answer is back: the charge counts from now until it leaves the window."""
        self._window_release(keys=self.window_keys(marketplace, account_id, group.name, entity), args=[ticket])

    def refund_window(self, marketplace: str, account_id: str, group: LimitGroup, entity: str, ticket: str) -> None:
        """Take back a charge the API did not make (YM charges no 5xx answer)."""
        keys = self.window_keys(marketplace, account_id, group.name, entity)
        pipe = self._redis.pipeline()
        pipe.zrem(keys[2], ticket)
        pipe.hdel(keys[1], ticket)
        pipe.execute()

    def pause_window(self, marketplace: str, account_id: str, group: LimitGroup, entity: str,
                     api_seconds: float) -> None:
        """Stop every worker using this resource for `api_seconds` (until a 420's Until time)."""
        ms = max(1, int(self._settings.scaled(api_seconds) * 1000))
        self._pause_only(keys=self.window_keys(marketplace, account_id, group.name, entity)[3:], args=[ms])

    def take_slot(self, marketplace: str, account_id: str, entity: str, cap: int) -> str:
        """One of the entity's `cap` in-flight slots (its ticket), or "" when all are taken."""
        ticket = uuid.uuid4().hex
        key = f"hv:slots:{marketplace}:{account_id}:{entity}"
        taken = self._slot_take(keys=[key], args=[cap, self._settings.in_flight_ttl * 1000, ticket])
        return ticket if taken else ""

    def release_slot(self, marketplace: str, account_id: str, entity: str, ticket: str) -> None:
        self._redis.zrem(f"hv:slots:{marketplace}:{account_id}:{entity}", ticket)

    def _rate(self, group: LimitGroup, tier: str) -> tuple[int, float]:
        """Burst, and the interval in real milliseconds with `_SKEW_MS` added: our clock (Redis)
        and the API's are read in different processes, and a grant a millisecond early is a 429."""
        rate = group.rate(tier)
        return rate.burst, self._settings.scaled(rate.interval) * 1000 + _SKEW_MS

    def acquire(self, marketplace: str, account_id: str, group: LimitGroup, tier: str,
                cost: int = 1, ticket: str = "", due: int = 0, rank: int | None = None) -> Decision:
        """Take `cost` tokens now (or the booked ones), book them for later, or say how long to wait.

        A caller with a `rank` (its unit's place in the bucket's line, see `schedule.rank`) and
        no booking waits, unbooked, while a unit that ranks before it waits in the line."""
        burst, interval_ms = self._rate(group, tier)
        horizon_ms = self._settings.scaled(self._settings.reserve_horizon) * 1000
        ticket = ticket or uuid.uuid4().hex
        keys = self.keys(marketplace, account_id, group.name)
        code, wait_ms, due_ms = self._acquire(
            keys=[*keys, keys[0] + LINE_SUFFIX],
            args=[burst, interval_ms, cost, horizon_ms, due, self._settings.in_flight_ttl * 1000, ticket,
                  "" if rank is None else rank],
        )
        if code == 1:
            return Decision(go=True, ticket=ticket)
        return Decision(go=False, wait=int(wait_ms) / 1000, ticket=ticket if code == 2 else "", due=int(due_ms))

    def release(self, marketplace: str, account_id: str, group: LimitGroup, tier: str, ticket: str) -> None:
        """The request holding `ticket` has its answer: its token no longer caps the bucket."""
        burst, interval_ms = self._rate(group, tier)
        self._release(keys=self.keys(marketplace, account_id, group.name), args=[burst, interval_ms, ticket])

    def pause(self, marketplace: str, account_id: str, group: LimitGroup, api_seconds: float) -> None:
        """Stop every worker using this bucket for `api_seconds` (a 429's Retry header)."""
        ms = max(1, int(self._settings.scaled(api_seconds) * 1000))
        self._pause(keys=self.keys(marketplace, account_id, group.name), args=[ms])

    def line(self, marketplace: str, account_id: str, group: LimitGroup, tier: str) -> Line:
        burst, interval_ms = self._rate(group, tier)
        return Line(self.keys(marketplace, account_id, group.name)[0], group.name, burst, interval_ms)

    def admit(self, line: Line, parked: str, bookings: str, lines: str, most: int = 100) -> int:
        """Book tokens for the head of `line` as far as the reserve horizon allows; each admitted
        unit moves to `parked`, due with its token, its booking in `bookings`. `lines` (line →
        when to look again) is kept current. The number admitted."""
        horizon_ms = self._settings.scaled(self._settings.reserve_horizon) * 1000
        bucket = [line.name, line.name + ":pause", line.name + ":tickets", line.name + ":booked"]
        return int(self._admit(keys=[*bucket, line.key, parked, bookings, lines],
                               args=[line.burst, line.interval_ms, horizon_ms, self._settings.in_flight_ttl * 1000,
                                     line.name, line.group, most]))


class Budget(Protocol):
    """One budget a call draws on, as the gate uses it, whatever the model behind it:
    a WB token bucket, a YM item window, or YM's in-flight slots."""

    @property
    def name(self) -> str:
        """The limit group, as logs and bookings name it."""

    def take(self, booking: dict[str, Any] | None) -> Decision:
        """Go now (holding a ticket), or wait; a bucket may book a token for the caller."""

    def release(self, ticket: str) -> None:
        """The answer is back (or the call was never sent)."""

    def refund(self, ticket: str) -> None:
        """Take back a charge the API did not make (YM charges no 5xx answer)."""

    def pause(self, api_seconds: float) -> None:
        """The API said stop: every worker waits `api_seconds` (429's Retry, 420's Until)."""

    def line(self) -> Line | None:
        """Where work may wait its turn for this budget, when it has a line (WB buckets)."""


@dataclass(frozen=True)
class Bucket:
    """WB: a token bucket per (account, limit group)."""

    limiter: Limiter
    marketplace: str
    account_id: str
    group: LimitGroup
    tier: str
    rank: int | None = None  # the caller's unit's place in the bucket's line (see `Limiter.acquire`)

    @property
    def name(self) -> str:
        return self.group.name

    def take(self, booking: dict[str, Any] | None) -> Decision:
        mine = booking if booking and booking.get("group") == self.group.name else {}
        return self.limiter.acquire(self.marketplace, self.account_id, self.group, self.tier,
                                    ticket=mine.get("ticket", ""), due=mine.get("due", 0), rank=self.rank)

    def release(self, ticket: str) -> None:
        self.limiter.release(self.marketplace, self.account_id, self.group, self.tier, ticket)

    def refund(self, ticket: str) -> None:
        """WB counts every request it answered: nothing to take back."""

    def pause(self, api_seconds: float) -> None:
        self.limiter.pause(self.marketplace, self.account_id, self.group, api_seconds)

    def line(self) -> Line | None:
        return self.limiter.line(self.marketplace, self.account_id, self.group, self.tier)


@dataclass(frozen=True)
class Window:
    """YM: `cost` items charged to a sliding window per (account, group, URL entity)."""

    limiter: Limiter
    marketplace: str
    account_id: str
    group: LimitGroup
    tier: str
    entity: str
    cost: int

    @property
    def name(self) -> str:
        return self.group.name

    def take(self, booking: dict[str, Any] | None) -> Decision:
        return self.limiter.acquire_window(self.marketplace, self.account_id, self.group, self.tier, self.entity,
                                           self.cost)

    def release(self, ticket: str) -> None:
        self.limiter.release_window(self.marketplace, self.account_id, self.group, self.entity, ticket)

    def refund(self, ticket: str) -> None:
        self.limiter.refund_window(self.marketplace, self.account_id, self.group, self.entity, ticket)

    def pause(self, api_seconds: float) -> None:
        self.limiter.pause_window(self.marketplace, self.account_id, self.group, self.entity, api_seconds)

    def line(self) -> Line | None:
        """A window has no line: what waits for it is parked until the window has room."""
        return None


@dataclass(frozen=True)
class Slots:
    """YM: at most `cap` requests in flight per URL entity."""

    limiter: Limiter
    marketplace: str
    account_id: str
    entity: str
    cap: int
    retry_after: float  # real seconds until a slot is worth asking for again

    @property
    def name(self) -> str:
        return "in-flight slots"

    def take(self, booking: dict[str, Any] | None) -> Decision:
        ticket = self.limiter.take_slot(self.marketplace, self.account_id, self.entity, self.cap)
        return Decision(go=True, ticket=ticket) if ticket else Decision(go=False, wait=self.retry_after)

    def release(self, ticket: str) -> None:
        self.limiter.release_slot(self.marketplace, self.account_id, self.entity, ticket)

    def refund(self, ticket: str) -> None:
        """A slot is not a charge."""

    def pause(self, api_seconds: float) -> None:
        """Slots are never paused; the window or bucket beside them is."""

    def line(self) -> Line | None:
        return None
