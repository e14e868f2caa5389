"""The private servers of tests/servers.py: own ports, restarts as advertised, nothing left behind.

None of these tests touches the machine's shared Redis (6379) or PostgreSQL (5432).
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest
import redis
from sqlalchemy import create_engine, text

from tests.servers import (
    SHARED_PORTS,
    PrivatePostgres,
    PrivateRedis,
    pid_running,
    private_postgres,
    private_redis,
)


def assert_gone(pids: list[int]) -> None:
    assert pids
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_private_redis_keeps_keys_until_a_restart_on_the_same_port() -> None:
    with private_redis() as server:
        assert server.port not in SHARED_PORTS
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        client = redis.Redis.from_url(server.url, socket_timeout=5)
        client.set("job:1", "queued")
        assert redis.Redis.from_url(server.url).get("job:1") == b"queued"
        assert server.client().config_get("save") == {"save": ""}
        first_pids = server.pids

        server.restart()

        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        assert_gone(first_pids)
        assert client.get("job:1") is None  # same client: it reconnects to the same port, finds nothing
        assert client.dbsize() == 0


def test_private_redis_stop_and_kill_make_it_unreachable() -> None:
    with private_redis() as server:
        client = server.client(socket_connect_timeout=1)
        server.stop()
        with pytest.raises(redis.ConnectionError):
            client.ping()
        server.start()
        assert client.ping()
        server.kill()
        with pytest.raises(redis.ConnectionError):
            client.ping()
        server.start()
        assert client.ping()


def test_private_postgres_stop_fails_connects_and_start_keeps_the_data() -> None:
    with private_postgres() as pg:
        assert pg.port not in SHARED_PORTS
        assert pg.url == f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/test"
        with psycopg.connect(pg.dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (id int PRIMARY KEY, name text)")
            conn.execute("INSERT INTO kept VALUES (1, 'before the restart')")

        pg.stop()
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(pg.dsn, connect_timeout=2)

        pg.start()
        engine = create_engine(pg.url)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT id, name FROM kept")).all() == [(1, "before the restart")]
        finally:
            engine.dispose()


def test_private_postgres_survives_a_killed_postmaster_with_committed_rows() -> None:
    with private_postgres() as pg:
        with pg.connect(autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (id int PRIMARY KEY)")
            conn.execute("INSERT INTO kept VALUES (7)")
        postmaster = pg.postmaster_pid
        assert postmaster is not None

        pg.kill()

        assert not pid_running(postmaster)
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(pg.dsn, connect_timeout=2)
        pg.restart()  # crash recovery, then a clean stop/start
        with pg.connect() as conn:
            assert conn.execute("SELECT id FROM kept").fetchall() == [(7,)]


def test_context_exit_leaves_no_process_and_no_temp_dir() -> None:
    with private_redis() as server:
        redis_pids, redis_dir = server.pids, server.dir
    with private_postgres() as pg:
        postgres_pids, postgres_dir = pg.pids, pg.dir
        assert pg.postmaster_pid in postgres_pids

    assert_gone(redis_pids)
    assert_gone(postgres_pids)
    assert not redis_dir.exists()
    assert not postgres_dir.exists()


def test_a_failing_test_body_still_cleans_up() -> None:
    with pytest.raises(ZeroDivisionError), private_postgres() as pg:
        pids = pg.pids
        raise ZeroDivisionError("the test body failed")
    assert_gone(pids)


def test_the_shared_ports_are_refused() -> None:
    for port in SHARED_PORTS:
        with pytest.raises(ValueError, match="shared server"):
            PrivateRedis(port=port)
        with pytest.raises(ValueError, match="shared server"):
            PrivatePostgres(port=port)


def test_a_missing_binary_skips_locally_and_fails_on_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    absent = str(tmp_path / "redis-server")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        PrivateRedis(binary=absent)
    with pytest.raises(pytest.skip.Exception):
        PrivatePostgres(bindir=tmp_path)

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        PrivateRedis(binary=absent)
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        PrivatePostgres(bindir=tmp_path)
