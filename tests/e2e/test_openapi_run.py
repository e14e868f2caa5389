"""Every request of a whole run keeps to the marketplaces' OpenAPI files.

A run like `harvester demo` (WB sellers on both API generations and a Yandex Market cabinet,
every endpoint, report flows included) is recorded by the emulator; each request the
harvester sent, whatever the answer, is validated against the vendored spec of its operation.
Answers are checked in the endpoint and YM tests; here it is what we send.
"""

from __future__ import annotations

import json

from emulator.wb.data import seller as data
from harvester.models.state import utcnow
from harvester.ops.local import due_targets, wait_settled
from harvester.worker.tasks import dispatch
from tests.openapi import check_exchange, spec_for

from .conftest import Harness

# Methods newer than every vendored file (see tests/openapi.py); everything else must be described.
UNDESCRIBED_AT_MOST = 6
# Report types WB added in 2026, after the vendored 2025-12 files (reference/wb-api.md §8.1).
NEWER_REPORT_TYPES = {"STOCK_HISTORY_DAILY_CSV"}


def test_every_request_of_a_whole_run_validates_against_the_openapi_files(harness: Harness) -> None:
    harness.emulator.record = True
    current, seed = data.small_sellers(11, "openapi", 2)
    harness.add_wb_account(current, scopes=("analytics", "promotion"))
    harness.add_wb_account(seed, scopes=("analytics", "promotion"), generation="seed")
    harness.add_ym_account("ym-openapi", campaigns=2, skus=60)
    harness.start_worker(concurrency=4)
    targets, since = due_targets(), utcnow()
    dispatch.delay()
    # a first harvest of every endpoint for three accounts: 4-5 minutes on this 2-core machine today
    settled, _ = wait_settled(targets, since, 480)
    assert settled, "the run did not settle"

    invalid, undescribed, checked = [], set(), 0
    for exchange in harness.emulator.exchanges:
        if spec_for(exchange.route) is None:
            undescribed.add(exchange.route)
            continue
        body = json.loads(exchange.request.body or b"null")
        if isinstance(body, dict) and body.get("reportType") in NEWER_REPORT_TYPES:
            continue
        try:
            check_exchange(exchange, response=False)
            checked += 1
        except Exception as exc:  # openapi-core raises one class per kind of mismatch
            invalid.append(f"{exchange.route}: {type(exc).__name__}: {str(exc)[:300]}")
    assert not invalid, "\n".join(invalid[:20])
    assert checked > 100 and len(undescribed) <= UNDESCRIBED_AT_MOST, undescribed
