"""Per-process singletons a worker needs: settings, Redis, the limiter and the HTTP client."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import redis

from harvester.core.settings import Settings, SettingsError, get_settings
from harvester.pipeline.client import Client
from harvester.pipeline.gate import Gate
from harvester.pipeline.limiter import Limiter


def redis_url(broker_url: str) -> str:
    """The redis-py URL of a Celery broker URL (`redis+socket://` is kombu's unix socket form)."""
    return broker_url.replace("redis+socket://", "unix://", 1)


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    redis: redis.Redis
    limiter: Limiter
    client: Client

    def gate(self, rank: int | None = None) -> Gate:
        """A fresh gate for one task run (of a unit of this `rank` in its buckets' lines)."""
        return Gate(self.limiter, self.client, self.redis, self.settings, rank)


@lru_cache(maxsize=1)
def get_runtime() -> Runtime:
    """Built once per process, after the fork, so connections are never shared across workers."""
    settings = get_settings()
    if not settings.broker_url:
        raise SettingsError(
            "HARVESTER_BROKER_URL is not set; set it to a Redis URL (redis://host:6379/0), "
            "or run `harvester demo`, which starts an embedded Redis"
        )
    client = redis.Redis.from_url(redis_url(settings.broker_url), decode_responses=True)
    return Runtime(settings, client, Limiter(client, settings), Client(settings))
