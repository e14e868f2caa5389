"""Ops commands end to end: `harvester run-once`, as cron would run it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

import pytest

from emulator.wb.data import seller as data
from harvester.catalog import endpoints_for
from harvester.core.accounts import get_accounts
from harvester.models import HarvestRun
from harvester.ops.status import status_rows
from harvester.pipeline.store.db import get_engine

from .conftest import Harness


def test_run_once_harvests_everything_due_then_exits_0(harness: Harness) -> None:
    harness.add_wb_account(data.small_sellers(7, "cron", 1)[0], scopes=("analytics", "promotion"))
    done = subprocess.run([sys.executable, "-c", "from harvester.ops.cli import main; main()", "run-once",
                           "--workdir", str(harness.tmp / "run"), "--timeout", "240"],
                          env=harness.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr + harness.logs()
    assert "all landed" in done.stdout
    rows = status_rows(get_engine(), get_accounts())
    assert rows and all(r["last_success"] and r["last_error"] is None for r in rows)
    again = subprocess.run([sys.executable, "-c", "from harvester.ops.cli import main; main()", "run-once",
                            "--workdir", str(harness.tmp / "run"), "--timeout", "240"],
                           env=harness.env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0  # what is due now is only the look-back; re-runs change nothing else


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl_c", "sigterm"])
def test_up_runs_worker_and_beat_on_an_embedded_redis_and_stops_on_ctrl_c_or_sigterm(
        harness: Harness, stop: signal.Signals) -> None:
    """A first start harvests at once, daily endpoints too, without waiting for their next tick;
    Ctrl-C stops it even when its shell ignored SIGINT (a background job), and so does SIGTERM."""
    harness.add_wb_account("daemon")
    env = {k: v for k, v in harness.env.items() if k != "HARVESTER_BROKER_URL"}  # nothing configured: embedded
    env["HARVESTER_DISPATCH_AT_START"] = "true"
    daily = {e.name for e in endpoints_for("wb", "current") if e.cadence == "daily" and e.ids is None}
    workdir = harness.tmp / "up"
    proc = subprocess.Popen([sys.executable, "-c", "from harvester.ops.cli import main; main()", "up",
                             "--workdir", str(workdir), "--concurrency", "1"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        log = workdir / "worker.log"
        harness.wait_for(lambda: log.exists() and "ready" in log.read_text(), 60, "the worker to be ready")
        harness.wait_for(lambda: "beat: Starting" in log.read_text(), 30, "beat")
        harness.wait_for(lambda: daily & {r.endpoint for r in harness.all(HarvestRun) if r.status == "ok"}, 60,
                         "a daily endpoint harvested at start")
    finally:
        proc.send_signal(stop)
        try:
            out, _ = proc.communicate(timeout=120)  # a busy worker stops warmly, killed after 30 s at worst
        finally:  # never left running: it would harvest into the next tests' store
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, out
    assert "stopping" in out
