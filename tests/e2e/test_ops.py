"""Ops commands end to end: `harvester run-once`, as cron would run it."""

from __future__ import annotations

import subprocess
import sys

from harvester.accounts import get_accounts
from harvester.status import status_rows
from harvester.store.db import get_engine

from .conftest import Harness


def test_run_once_harvests_everything_due_then_exits_0(harness: Harness) -> None:
    harness.add_wb_account("cron")
    done = subprocess.run([sys.executable, "-c", "from harvester.cli import main; main()", "run-once",
                           "--workdir", str(harness.tmp / "run"), "--timeout", "240"],
                          env=harness.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr + harness.logs()
    assert "all landed" in done.stdout
    rows = status_rows(get_engine(), get_accounts())
    assert rows and all(r["last_success"] and r["last_error"] is None for r in rows)
    again = subprocess.run([sys.executable, "-c", "from harvester.cli import main; main()", "run-once",
                            "--workdir", str(harness.tmp / "run"), "--timeout", "240"],
                           env=harness.env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0  # what is due now is only the look-back; re-runs change nothing else
