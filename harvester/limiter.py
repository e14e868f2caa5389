"""The rate limiter every worker shares: WB token buckets in Redis, one per (marketplace, account, group).

A bucket holds at most Burst tokens and gains one every Interval (reference/wb-api.md §3.3),
the same model WB's gateway enforces, so a harvester that never overdraws its bucket never
sees a 429. One Lua script decides atomically on Redis's own clock, so workers on several
hosts agree without synchronised clocks.

The answer is immediate: go now, or wait N seconds. When the next token is due within the
reserve horizon the script books it for the caller (the level goes negative, like GCRA's
theoretical arrival time); the caller re-queues itself with that countdown and hands the
booking back, which the script honours once it is due on Redis's clock (an early wake-up
waits the remainder). Queued work therefore drains at exactly the bucket's rate instead of
every waiting task waking at once to fight for the same token. Longer waits are not booked,
so a huge backlog never holds reservations hours ahead.

The API's bucket, drained from full, starts refilling when our request arrives, one
network latency after we took the token; ours waits `limiter_guard` seconds before it
refills from full, so it never runs ahead of the API's.

A 429 sets a shared pause (from `X-Ratelimit-Retry`) and empties the bucket: every worker
then waits, including those holding a booking.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from harvester.catalog.model import LimitGroup, TokenType
from harvester.settings import Settings

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local pause = redis.call('PTTL', KEYS[2])
if pause > 0 then return {0, pause, 0} end
local booked = tonumber(ARGV[5])
if booked > 0 then
  if now >= booked then return {1, 0, 0} end
  return {2, math.ceil(booked - now), booked}
end
local capacity, interval = tonumber(ARGV[1]), tonumber(ARGV[2])
local cost, horizon, guard = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) / interval)
-- Refill resumes at `start`; a full bucket resumes when our request reaches the API.
local start = math.max(ts, now)
if tokens >= capacity then start = now + guard end
local granted, wait = 1, 0
if tokens < cost then
  wait = math.ceil((cost - tokens) * interval + start - now)
  if wait > horizon then return {0, wait, 0} end
  granted = 2
end
tokens = tokens - cost
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(start))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) * interval + start - now) + 1000)
return {granted, wait, math.ceil(now + wait)}
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
    """Go now, or come back after `wait` seconds.

    `booked` is non-zero when a token is reserved for the caller: the Redis-clock millisecond
    it becomes valid, handed back on the next `acquire` to use it (never before it is due).
    """

    go: bool
    wait: float = 0.0
    booked: int = 0


class Limiter:
    """Token buckets and pauses shared through Redis."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._redis = client
        self._settings = settings
        self._acquire = client.register_script(_ACQUIRE)
        self._pause = client.register_script(_PAUSE)

    @staticmethod
    def keys(marketplace: str, account_id: str, group: str) -> list[str]:
        base = f"hv:rl:{marketplace}:{account_id}:{group}"
        return [base, base + ":pause"]

    def acquire(
        self,
        marketplace: str,
        account_id: str,
        group: LimitGroup,
        token_type: TokenType,
        cost: int = 1,
        booked: int = 0,
    ) -> Decision:
        """Take `cost` tokens now (or the booked ones), book them for later, or say how long to wait."""
        rate = group.rate(token_type)
        interval_ms = self._settings.scaled(rate.interval) * 1000
        horizon_ms = self._settings.scaled(self._settings.reserve_horizon) * 1000
        code, wait_ms, at_ms = self._acquire(
            keys=self.keys(marketplace, account_id, group.name),
            args=[rate.burst, interval_ms, cost, horizon_ms, booked, self._settings.limiter_guard * 1000],
        )
        if code == 1:
            return Decision(go=True)
        return Decision(go=False, wait=int(wait_ms) / 1000, booked=int(at_ms))

    def pause(self, marketplace: str, account_id: str, group: LimitGroup, api_seconds: float) -> None:
        """Stop every worker using this bucket for `api_seconds` (a 429's Retry header)."""
        ms = max(1, int(self._settings.scaled(api_seconds) * 1000))
        self._pause(keys=self.keys(marketplace, account_id, group.name), args=[ms])
