"""Redis locks that keep two copies of one harvest or one flow step from running at once.

A lock survives the re-queues of its task (the token travels in the task's kwargs), and
expires by itself if its worker dies.
"""

from __future__ import annotations

import uuid

import redis

_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


def hold(client: redis.Redis, key: str, token: str | None, ttl: int) -> str | None:
    """Keep (or take) the lock at `key`; None when another holder has it."""
    if token is not None and client.get(key) == token:
        client.expire(key, ttl)
        return token
    new = token or uuid.uuid4().hex
    return new if client.set(key, new, nx=True, ex=ttl) else None


def release(client: redis.Redis, key: str, token: str) -> None:
    """Drop the lock only if we still hold it."""
    client.eval(_RELEASE, 1, key, token)
