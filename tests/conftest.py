"""Shared fixtures: Redis and the database, real when the env names them, embedded otherwise.

`HARVESTER_TEST_REDIS_URL` / `HARVESTER_TEST_DATABASE_URL` (set by .ci/run) make the tests
use the real servers and fail if they are missing; without them, unit tests use fakeredis and
SQLite, and tests that need a Redis shared between processes use the embedded redis-server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import fakeredis
import pytest
import redis
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from harvester.core.settings import Settings, get_settings
from harvester.ops.embedded import embedded_redis
from harvester.pipeline.store.db import get_engine, make_engine, reset_engines
from harvester.pipeline.store.views import drop_views
from harvester.worker.runtime import redis_url

REAL_REDIS = os.environ.get("HARVESTER_TEST_REDIS_URL")
REAL_DATABASE = os.environ.get("HARVESTER_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def shared_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis URL several processes can share: the CI server, or an embedded one."""
    if REAL_REDIS:
        yield REAL_REDIS
        return
    with embedded_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["fake", "real"] if REAL_REDIS else ["fake"])
def redis_client(request: pytest.FixtureRequest) -> Iterator[redis.Redis]:
    """fakeredis always; the real server too when HARVESTER_TEST_REDIS_URL is set."""
    if request.param == "fake":
        client = fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
    else:
        client = redis.Redis.from_url(redis_url(REAL_REDIS), decode_responses=True)  # type: ignore[arg-type]
        client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """An empty store: the CI PostgreSQL (tables recreated), or a fresh SQLite file."""
    import harvester.models  # noqa: F401

    if REAL_DATABASE:
        engine = make_engine(REAL_DATABASE)
        with engine.begin() as conn:
            drop_views(conn)  # they hold on to the tables under them
            SQLModel.metadata.drop_all(conn)
            # tables made by create_all, with no revision: adopted at head, whichever head a
            # previous run (of an older checkout) left stamped
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        SQLModel.metadata.create_all(engine)
        engine.dispose()
        reset_engines()  # their pooled connections hold plans of the tables just dropped
        yield REAL_DATABASE
    else:
        yield f"sqlite:///{tmp_path / 'harvester.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, time_scale=1.0)  # type: ignore[call-arg]


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The harvester's own store (`session_scope`, `get_engine`) on the test database, no env file."""
    monkeypatch.setenv("HARVESTER_DATABASE_URL", database_url)
    monkeypatch.setenv("HARVESTER_ENV_FILE", "/nonexistent")
    get_settings.cache_clear()
    get_engine()
    yield
    get_settings.cache_clear()
