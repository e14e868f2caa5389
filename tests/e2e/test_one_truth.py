"""One synthetic truth per seller, end to end (issue 15): the funnel's v3 products report and
the CSV detail-history report, harvested by real workers, join on (account, product, day) with
equal orders, as they do at WB."""

from __future__ import annotations

from sqlalchemy import text

from emulator.wb.data import seller as data
from harvester.models import JobStatus
from harvester.models.wb_funnel import WbFunnelProduct
from harvester.worker.tasks import dispatch

from .conftest import Harness

SEED = 7  # the harness's emulator seed
JOIN = text("""
    SELECT f.nm_id, f.date, f.order_count, c.order_count
    FROM wb_funnel_products f JOIN wb_csv_detail_history c
      ON c.account_id = f.account_id AND c.nm_id = f.nm_id AND c.date = f.date
    WHERE f.account_id = :account
""")


def test_funnel_products_and_csv_detail_history_join_with_equal_orders(harness: Harness) -> None:
    account = data.small_sellers(SEED, "truth", 1)[0]
    harness.add_wb_account(account)
    harness.start_worker(concurrency=2)
    dispatch.delay(endpoint="wb.csv.detail_history")
    dispatch.delay(endpoint="wb.funnel.products")
    harness.wait_for(lambda: harness.jobs() and all(j.status.terminal for j in harness.jobs()), 120, "the CSV report")
    (job,) = harness.jobs()
    assert job.status == JobStatus.DONE, job.last_error
    window = {job.window_start.toordinal() + i for i in range((job.window_end - job.window_start).days + 1)}
    harness.wait_for(lambda: window <= {r.date.toordinal() for r in harness.all(WbFunnelProduct)}, 120,
                     "the funnel's days")

    with harness.session() as session:
        joined = session.execute(JOIN, {"account": account}).all()
    assert joined and all(funnel == csv for _, _, funnel, csv in joined), [r for r in joined if r[2] != r[3]]
    in_window = [r for r in harness.all(WbFunnelProduct) if r.date.toordinal() in window]
    assert sum(r.order_count for r in in_window) == sum(r[3] for r in joined) > 0
