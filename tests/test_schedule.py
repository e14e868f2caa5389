"""due_windows: which legal windows a harvest covers, from the watermark to the newest day."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harvester.catalog import check_overrides, get_endpoint, tuned
from harvester.catalog.model import Window
from harvester.core.accounts import Account
from harvester.core.errors import HarvestError
from harvester.core.settings import Settings, SettingsError
from harvester.pipeline import harvest
from harvester.pipeline.harvest import Progress, harvest_window
from harvester.pipeline.schedule import backfill_windows, due_windows, rank

ON = dt.date(2024, 3, 31)


def d(day: int, month: int = 3) -> dt.date:
    return dt.date(2024, month, day)


@pytest.mark.parametrize(
    ("window", "complete_until", "initial_days", "expected"),
    [
        pytest.param(Window(max_days=1), None, 3, [(d(29), d(29)), (d(30), d(30)), (d(31), d(31))], id="first-run"),
        pytest.param(Window(max_days=8), None, 0, [(ON, ON)], id="first-run-initial-0-is-one-day"),
        pytest.param(Window(max_days=8, lag_days=1), None, 3, [(d(28), d(30))], id="lag"),
        pytest.param(Window(max_days=8, lookback_days=2), d(29), 30, [(d(28), d(31))], id="lookback"),
        pytest.param(Window(max_days=4), None, 10, [(d(22), d(25)), (d(26), d(29)), (d(30), d(31))], id="max-days"),
        pytest.param(Window(max_days=8, history_days=5), None, 100, [(d(26), d(31))], id="history-cap-first-run"),
        pytest.param(Window(max_days=2, history_days=3), dt.date(2023, 1, 1), 30,
                     [(d(28), d(29)), (d(30), d(31))], id="history-cap-old-watermark"),
        pytest.param(Window(history_days=0), None, 30, [(ON, ON)], id="snapshot-first-run"),
        pytest.param(Window(history_days=0), ON, 30, [(ON, ON)], id="snapshot-already-done-today"),
        pytest.param(Window(max_days=8), ON, 30, [], id="nothing-due"),
        pytest.param(Window(max_days=8, lag_days=2), d(30), 30, [], id="watermark-past-newest"),
        pytest.param(Window(max_days=8, history_days=365, lookback_days=1, lag_days=1), d(29), 30,
                     [(d(29), d(30))], id="paid-storage-daily"),
        pytest.param(Window(max_days=8, history_days=2, lag_days=3), None, 30, [], id="lag-beyond-history"),
    ],
)
def test_due_windows(
    window: Window, complete_until: dt.date | None, initial_days: int, expected: list[tuple[dt.date, dt.date]]
) -> None:
    assert due_windows(window, complete_until, ON, initial_days) == expected


def test_max_days_splits_a_long_backfill_into_consecutive_windows_covering_it_exactly() -> None:
    windows = due_windows(Window(max_days=8, history_days=365), None, ON, 100)
    days = [w[0] + dt.timedelta(days=i) for w in windows for i in range((w[1] - w[0]).days + 1)]
    assert days == [ON - dt.timedelta(days=99 - i) for i in range(100)]
    assert all((end - start).days + 1 <= 8 for start, end in windows)


@given(
    max_days=st.integers(1, 10),
    history_days=st.integers(1, 400),
    lookback_days=st.integers(0, 5),
    lag_days=st.integers(0, 5),
    watermark_age=st.none() | st.integers(-3, 500),
    initial_days=st.integers(0, 400),
    on=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
)
def test_windows_are_contiguous_bounded_and_end_at_the_newest_day(
    max_days: int, history_days: int, lookback_days: int, lag_days: int,
    watermark_age: int | None, initial_days: int, on: dt.date,
) -> None:
    window = Window(max_days=max_days, history_days=history_days, lookback_days=lookback_days, lag_days=lag_days)
    watermark = None if watermark_age is None else on - dt.timedelta(days=watermark_age)
    windows = due_windows(window, watermark, on, initial_days)
    newest = on - dt.timedelta(days=lag_days)
    for (_, end), (next_start, _) in itertools.pairwise(windows):
        assert next_start == end + dt.timedelta(days=1)
    for start, end in windows:
        assert start <= end <= newest
        assert (end - start).days + 1 <= max_days
        assert start >= on - dt.timedelta(days=history_days)
    if windows:
        assert windows[-1][1] == newest
    if watermark is not None and windows:
        assert windows[0][0] >= watermark + dt.timedelta(days=1 - lookback_days)


@pytest.mark.parametrize("rule", [dict(max_days=0), dict(history_days=-1), dict(lookback_days=-1), dict(lag_days=-2)])
def test_an_impossible_window_rule_fails_at_import_not_in_a_loop(rule: dict) -> None:
    with pytest.raises(ValueError, match="bad window rule"):
        Window(**rule)


ASKED_ON = dt.date(2026, 12, 4)
WB_SHOP = Account(id="wb-shop", marketplace="wb", token_env="UNUSED")
YM_SHOP = Account(id="ym-x", marketplace="ym", token_env="UNUSED")


@pytest.mark.parametrize(("account", "endpoint", "since", "until", "message"), [
    (YM_SHOP, "wb.funnel.products", "2026-11-20", "2026-11-30", "is a Wildberries endpoint and account ym-x"),
    (WB_SHOP, "wb.funnel.products.seed", "2026-11-20", "2026-11-30", "generation current, which wb.funnel."
                                                                         "products.seed is not part of: use wb."
                                                                         "funnel.products"),
    (WB_SHOP, "wb.funnel.product_history", "2026-11-20", "2026-11-30", "serves 7 days of history: start on "
                                                                           "2026-11-27"),
    (WB_SHOP, "wb.stocks_products", "2026-11-20", "2026-11-30", "is a snapshot of the present"),
    (WB_SHOP, "wb.funnel.products", "2026-11-30", "2026-11-20", "ends (2026-11-20) before it starts"),
    (WB_SHOP, "wb.funnel.products", "2026-11-30", "2026-12-05", "ends in the future"),
])
def test_a_backfill_the_api_must_refuse_is_refused_before_anything_is_queued(
        account: Account, endpoint: str, since: str, until: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        backfill_windows(account, get_endpoint(endpoint), dt.date.fromisoformat(since), dt.date.fromisoformat(until),
                         ASKED_ON)


def test_the_next_cycle_before_a_first_success_asks_the_first_cycles_windows_not_a_lookback_before_them() -> None:
    window = Window(max_days=1, lookback_days=7)
    first = due_windows(window, None, ON, 3)
    anchor = first[0][0] - dt.timedelta(days=1)  # what dispatch pins the watermark to
    assert due_windows(window, anchor, ON, 3, read=False) == first  # all queued already: nothing new
    assert due_windows(window, anchor, ON, 3)[0][0] == anchor - dt.timedelta(days=6)  # once read, looked back on


class NoCalls:
    def fetch(self, *args: object) -> None:
        raise AssertionError("a request was sent")


def test_a_window_that_aged_out_of_the_apis_history_while_waiting_fails_before_a_request(
        monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = get_endpoint("wb.excise_report")  # 365 days of history
    window = (ON - dt.timedelta(days=365), ON - dt.timedelta(days=360))  # legal when it was queued, on ON
    monkeypatch.setattr(harvest, "today", lambda: ON + dt.timedelta(days=1))
    with pytest.raises(HarvestError, match=r"serves 365 days of history .* its oldest day is now 2023-04-02"):
        harvest_window(NoCalls(), Account(id="a1", marketplace="wb", token_env="T"), endpoint, window,  # type: ignore[arg-type]
                       Progress())


def test_a_legal_backfill_is_split_into_the_endpoints_windows() -> None:
    windows = backfill_windows(WB_SHOP, get_endpoint("wb.paid_storage"), dt.date(2026, 11, 1), dt.date(2026, 11, 10),
                               ASKED_ON)
    assert windows == [(dt.date(2026, 11, 1), dt.date(2026, 11, 8)), (dt.date(2026, 11, 9), dt.date(2026, 11, 10))]
    assert backfill_windows(WB_SHOP, get_endpoint("wb.stocks_products"), ASKED_ON, ASKED_ON, ASKED_ON) == [
        (ASKED_ON, ASKED_ON)]


TODAY = dt.date(2026, 12, 5)

@pytest.mark.parametrize(("endpoint", "window_end", "expected"), [
    ("wb.stocks_products", TODAY, 10),  # a snapshot: one request a window
    ("wb.stocks_sizes", TODAY, 50),  # one request a product
    ("wb.funnel.products", TODAY - dt.timedelta(days=1), 10),  # a paged list; yesterday is its newest day
    ("wb.funnel.products", TODAY - dt.timedelta(days=5), 110),  # lookback or backfill: after every fresh one
    ("wb.paid_storage", TODAY - dt.timedelta(days=30), 0),  # a report flow: its report expires if it waits
])
def test_a_windows_rank_puts_fresh_before_catch_up_and_cheap_snapshots_before_tails(
        endpoint: str, window_end: dt.date, expected: int) -> None:
    assert rank(get_endpoint(endpoint), window_end, TODAY) == expected


def test_a_deployment_overrides_an_endpoints_priority_within_bounds() -> None:
    settings = Settings(_env_file=None, priorities={"wb.stocks_sizes": 90})  # type: ignore[call-arg]
    check_overrides(settings)
    assert rank(tuned(get_endpoint("wb.stocks_sizes"), settings), TODAY, TODAY) == 90
    with pytest.raises(SettingsError, match=re.escape("wb.stocks_sizes = 100 is not within 0-99")):
        check_overrides(Settings(_env_file=None, priorities={"wb.stocks_sizes": 100}))  # type: ignore[call-arg]
    with pytest.raises(SettingsError, match=re.escape("unknown endpoint 'wb.nope'")):
        check_overrides(Settings(_env_file=None, priorities={"wb.nope": 1}))  # type: ignore[call-arg]
