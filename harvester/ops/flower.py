"""Flower, the Celery web monitor, behind basic auth: `harvester flower` runs `run_flower`.

Flower is `celery -A harvester.worker.app flower`, started with the options ops want every time: no
state file (`--persistent=False`), loopback by default, offline workers purged. The login comes
from `HARVESTER_FLOWER_USER` / `HARVESTER_FLOWER_PASSWORD` and reaches Flower through its own
env var `FLOWER_BASIC_AUTH`, never the command line, so the password does not show in `ps`.
Without both variables Flower is not started, unless `HARVESTER_FLOWER_NO_AUTH=1` says that
running it open is intended (e.g. behind an authenticating proxy).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from types import FrameType

ENV_USER = "HARVESTER_FLOWER_USER"
ENV_PASSWORD = "HARVESTER_FLOWER_PASSWORD"
ENV_NO_AUTH = "HARVESTER_FLOWER_NO_AUTH"
FLOWER_AUTH = "FLOWER_BASIC_AUTH"
PURGE_OFFLINE_AFTER = 300  # seconds without a heartbeat before a stopped worker leaves the list


class FlowerConfigError(RuntimeError):
    """Flower cannot be started as configured; the message names the variables to fix."""


def flower_command(port: int, address: str = "127.0.0.1") -> list[str]:
    """The Flower command line; it holds no secret."""
    return [sys.executable, "-m", "celery", "-A", "harvester.worker.app", "flower",
            f"--address={address}", f"--port={port}", "--persistent=False",
            f"--purge_offline_workers={PURGE_OFFLINE_AFTER}"]


def _no_auth(environ: Mapping[str, str]) -> bool:
    return environ.get(ENV_NO_AUTH, "").strip().lower() in ("1", "true", "yes")


def flower_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment Flower runs with: `environ` with the login moved into FLOWER_BASIC_AUTH."""
    env = dict(environ)
    user, password = env.pop(ENV_USER, ""), env.pop(ENV_PASSWORD, "")
    if not (user or password) and _no_auth(environ):
        return env
    missing = [name for name, value in ((ENV_USER, user), (ENV_PASSWORD, password)) if not value]
    if missing:
        raise FlowerConfigError(
            f"Flower needs a login, and {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
            f"set both {ENV_USER} and {ENV_PASSWORD}, or {ENV_NO_AUTH}=1 to run Flower without authentication")
    # Flower splits FLOWER_BASIC_AUTH on "," (several logins) and compares "user:password".
    if ":" in user or "," in user:
        raise FlowerConfigError(f"{ENV_USER} must not contain ':' or ','")
    if "," in password:
        raise FlowerConfigError(f"{ENV_PASSWORD} must not contain ','")
    env[FLOWER_AUTH] = f"{user}:{password}"
    return env


def run_flower(port: int, address: str = "127.0.0.1") -> int:
    """Run Flower in the foreground until it exits or is stopped; returns its exit code (2: bad config)."""
    try:
        env = flower_env(os.environ)
    except FlowerConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if FLOWER_AUTH not in env:
        print(f"warning: {ENV_NO_AUTH} is set: Flower runs WITHOUT authentication on {address}:{port}",
              file=sys.stderr)
    proc = subprocess.Popen(flower_command(port, address), env=env)

    def forward(_signum: int, _frame: FrameType | None) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    # `docker stop` signals only this process: pass it on, so Flower shuts down cleanly.
    signals = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    main = threading.current_thread() is threading.main_thread()
    previous = [signal.signal(s, forward) for s in signals] if main else []
    try:
        return proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for s, handler in zip(signals, previous, strict=False):  # `previous` is empty off the main thread
            signal.signal(s, handler)
