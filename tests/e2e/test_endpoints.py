"""Every synchronous endpoint of the catalog, end to end through Celery against the emulator.

For each generation (seed, current) one seller is harvested from beat's dispatch onward,
dependent fetches included. Then, per table, the rows in the store are compared with the
rows the emulator's recorded answers hold, every exchange is checked against the
marketplace's OpenAPI file (the harvester's request and the emulator's answer), and the same
requests once more change nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.wb.data import seller as data
from harvester.catalog import endpoints, endpoints_for
from harvester.catalog.model import Endpoint
from harvester.core.accounts import get_account
from harvester.models import AccountState, EndpointBlock, HarvestRun, Watermark
from harvester.worker.tasks import dispatch, harvest
from tests.openapi import check_exchange, spec_for

from . import rows
from .conftest import Harness

SEED = 7  # the harness's emulator seed


def _sync(generation: str) -> list[Endpoint]:
    return [e for e in endpoints_for("wb", generation) if e.flow is None]


def _missing(h: Harness, account: str, generation: str) -> list[str]:
    """Sync endpoints of the account with no successful harvest yet."""
    with h.session() as session:
        return [e.name for e in _sync(generation)
                if (mark := session.get(Watermark, (account, e.name))) is None or mark.last_success_at is None]


@pytest.mark.parametrize("generation", ["seed", "current"])
def test_every_sync_endpoint_lands_what_the_emulator_served_and_both_sides_keep_to_the_openapi(
    harness: Harness, generation: str
) -> None:
    harness.emulator.record = True
    account = data.small_sellers(SEED, f"shop-{generation}", 1)[0]
    sid = harness.add_wb_account(account, scopes=("analytics", "promotion"), generation=generation)
    harness.start_worker(concurrency=4)
    dispatch.delay()
    try:
        harness.wait_for(lambda: not _missing(harness, account, generation), 240, f"every {generation} endpoint")
    except AssertionError:
        failed = {(r.endpoint, r.error) for r in harness.all(HarvestRun) if r.status != "ok"}
        raise AssertionError(f"not harvested: {_missing(harness, account, generation)}; failed: {failed}") from None
    rows.wait_settled(harness)  # other windows (lookbacks, later pages) may still be loading
    failed = [r for r in harness.all(HarvestRun) if r.status != "ok"]
    assert not failed, [(r.endpoint, r.error) for r in failed]

    candidates = _sync(generation)
    served = rows.served(harness.emulator.exchanges, {sid: get_account(account)}, candidates)
    stored = rows.stored(harness, candidates)
    for endpoint in candidates:
        for table in endpoint.tables:
            key = (account, table.name)
            assert stored.get(key, set()) == served.get(key, set()), f"{endpoint.name}: {table.name}"
    answered = {e.name for x in harness.emulator.exchanges if x.response.status == 200
                and (e := rows.endpoint_of(x, candidates)) is not None}
    assert answered == {e.name for e in candidates}  # every endpoint was asked and answered
    assert sum(bool(stored.get((account, e.model.__table__.name))) for e in candidates) >= len(candidates) - 3

    routes = {f"{e.fetch.method} {e.fetch.path}" for e in candidates if e.fetch is not None}
    checked = set()
    for exchange in harness.emulator.exchanges:
        if exchange.route in routes and spec_for(exchange.route) is not None:
            check_exchange(exchange)
            checked.add(exchange.route)
    unchecked = {r for r in routes if spec_for(r) is None}
    assert checked == routes - unchecked
    assert len(unchecked) <= 4, unchecked  # 2026 methods newer than every vendored file (see tests/openapi.py)
    assert harness.stats(sid)["429"] == 0

    before, runs = rows.snapshot(harness, candidates), harness.all(HarvestRun)
    for window in {(r.endpoint, r.window_start.isoformat(), r.window_end.isoformat()) for r in runs}:
        harvest.delay(account, *window)  # the very same requests once more
    harness.wait_for(lambda: len(harness.all(HarvestRun)) > len(runs), 60, "a second run")
    rows.wait_settled(harness)
    assert rows.snapshot(harness, candidates) == before


def test_jam_only_endpoints_are_blocked_once_without_the_subscription_until_the_account_changes(
    harness: Harness,
) -> None:
    name = data.small_sellers(SEED, "no-jam", 1)[0]
    sid = harness.add_wb_account(name, scopes=("analytics",))
    harness.emulator_post("/__emulator/sellers", {"seller": name, "jam": False})
    jam_endpoints = [e for e in endpoints().values() if e.requires == "jam" and e.flow is None]
    assert jam_endpoints
    harness.start_worker(concurrency=2)
    for endpoint in jam_endpoints:
        dispatch.delay(account_id=name, endpoint=endpoint.name)
    harness.wait_for(lambda: harness.all(EndpointBlock), 60, "the Jam block")
    rows.wait_settled(harness)  # tasks queued before the block answered 403 too; each recorded once
    assert all(r.status == "failed" and "403" in r.error for r in harness.all(HarvestRun))
    def jam_requests() -> int:
        return sum(n for route, n in harness.stats(sid)["by_route"].items() if "search-report" in route)

    refused = jam_requests()
    assert [b.feature for b in harness.all(EndpointBlock)] == ["jam"]

    for endpoint in jam_endpoints:  # next cycles: nothing is asked
        dispatch.delay(account_id=name, endpoint=endpoint.name)
    dispatch.delay(account_id=name, endpoint="wb.stocks_products")  # a marker that the queue moved on
    harness.wait_for(lambda: any(r.endpoint == "wb.stocks_products" for r in harness.all(HarvestRun)), 60, "marker")
    assert jam_requests() == refused  # blocked: not one more search-report request
    reason = harness.all(EndpointBlock)[0].reason or ""
    assert "Jam" in reason or "403" in reason

    harness.emulator_post("/__emulator/sellers", {"seller": name, "jam": True})
    accounts = Path(harness.env["HARVESTER_ACCOUNTS_FILE"])
    accounts.write_text(accounts.read_text().replace(f'id = "{name}"', f'id = "{name}"\nname = "now with Jam"'))
    dispatch.delay(account_id=name, endpoint=jam_endpoints[0].name)
    harness.wait_for(lambda: not harness.all(EndpointBlock), 60, "the block lifted by the settings change")


def test_a_token_without_a_category_blocks_that_category_not_the_account(harness: Harness) -> None:
    name = data.small_sellers(SEED, "no-promo", 1)[0]
    harness.add_wb_account(name, scopes=("analytics",))
    harness.start_worker(concurrency=2)
    dispatch.delay(account_id=name, endpoint="wb.adv.campaigns")
    harness.wait_for(lambda: harness.all(EndpointBlock), 60, "the block")
    assert [b.feature for b in harness.all(EndpointBlock)] == ["scope:promotion"]
    assert not [s for s in harness.all(AccountState) if s.token_invalid_at]  # the token still works elsewhere
    dispatch.delay(account_id=name, endpoint="wb.stocks_products")
    harness.wait_for(lambda: any(r.endpoint == "wb.stocks_products" and r.status == "ok"
                                 for r in harness.all(HarvestRun)), 60, "an analytics harvest")
