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

A 429 sets a shared pause (from `X-Ratelimit-Retry`) and empties the bucket: every worker
then waits, including those holding a booking.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import redis

from harvester.catalog.model import LimitGroup, TokenType
from harvester.settings import Settings

# KEYS: bucket hash, pause key, ticket zset. Settles refill up to now under the current cap.
_SETTLE = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function settle(capacity, interval, now)
  local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
  local tokens = tonumber(state[1]) or capacity
  local ts = tonumber(state[2]) or now
  local out = redis.call('ZCARD', KEYS[3])
  return math.min(capacity - out, tokens + math.max(0, now - ts) / interval)
end
"""

_ACQUIRE = _SETTLE + """
local now = now_ms()
local capacity, interval = tonumber(ARGV[1]), tonumber(ARGV[2])
local cost, horizon, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local ticket, due = ARGV[7], tonumber(ARGV[5])
local pause = redis.call('PTTL', KEYS[2])
if pause > 0 then
  if due > 0 then return {2, pause, due} end  -- a booking outlives a pause
  return {0, pause, 0}
end
if due > 0 then
  if now >= due then
    redis.call('ZADD', KEYS[3], now + ttl, ticket)
    return {1, 0, 0}
  end
  return {2, math.ceil(due - now), due}
end
local tokens = settle(capacity, interval, now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local granted, wait = 1, 0
if tokens < cost then
  wait = math.ceil((cost - tokens) * interval)
  if wait > horizon then
    redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
    return {0, wait, 0}
  end
  granted = 2
end
tokens = tokens - cost
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('ZADD', KEYS[3], now + wait + ttl, ticket)
local keep = math.ceil((capacity - tokens) * interval) + wait + ttl + 1000
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('PEXPIRE', KEYS[3], keep)
return {granted, wait, math.ceil(now + wait)}
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

_PAUSE = """
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[2]) < ms then redis.call('SET', KEYS[2], '1', 'PX', ms) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens')) or 0
redis.call('HSET', KEYS[1], 'tokens', tostring(math.min(tokens, 0)), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], ms + 3600000)
return 1
"""


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

    @staticmethod
    def keys(marketplace: str, account_id: str, group: str) -> list[str]:
        base = f"hv:rl:{marketplace}:{account_id}:{group}"
        return [base, base + ":pause", base + ":tickets"]

    def _rate(self, group: LimitGroup, token_type: TokenType) -> tuple[int, float]:
        rate = group.rate(token_type)
        return rate.burst, self._settings.scaled(rate.interval) * 1000

    def acquire(self, marketplace: str, account_id: str, group: LimitGroup, token_type: TokenType,
                cost: int = 1, ticket: str = "", due: int = 0) -> Decision:
        """Take `cost` tokens now (or the booked ones), book them for later, or say how long to wait."""
        burst, interval_ms = self._rate(group, token_type)
        horizon_ms = self._settings.scaled(self._settings.reserve_horizon) * 1000
        ticket = ticket or uuid.uuid4().hex
        code, wait_ms, due_ms = self._acquire(
            keys=self.keys(marketplace, account_id, group.name),
            args=[burst, interval_ms, cost, horizon_ms, due, self._settings.in_flight_ttl * 1000, ticket],
        )
        if code == 1:
            return Decision(go=True, ticket=ticket)
        return Decision(go=False, wait=int(wait_ms) / 1000, ticket=ticket if code == 2 else "", due=int(due_ms))

    def release(self, marketplace: str, account_id: str, group: LimitGroup, token_type: TokenType, ticket: str) -> None:
        """The request holding `ticket` has its answer: its token no longer caps the bucket."""
        burst, interval_ms = self._rate(group, token_type)
        self._release(keys=self.keys(marketplace, account_id, group.name), args=[burst, interval_ms, ticket])

    def pause(self, marketplace: str, account_id: str, group: LimitGroup, api_seconds: float) -> None:
        """Stop every worker using this bucket for `api_seconds` (a 429's Retry header)."""
        ms = max(1, int(self._settings.scaled(api_seconds) * 1000))
        self._pause(keys=self.keys(marketplace, account_id, group.name), args=[ms])
