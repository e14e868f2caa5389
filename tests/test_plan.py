"""The planner's arithmetic against figures worked out by hand, and `harvester plan` itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from emulator import make_wb_token
from harvester.catalog import endpoints_for, get_endpoint
from harvester.catalog.model import Endpoint
from harvester.core.accounts import Account
from harvester.core.settings import get_settings
from harvester.models.ym import YmOfferCampaign
from harvester.ops.cli import app
from harvester.ops.plan import (
    GroupPlan,
    Size,
    duration,
    fair_shares,
    plan,
    priority_shares,
    selected,
    sizer,
    stored_size,
    windows_per_day,
)


@pytest.fixture
def wb(monkeypatch: pytest.MonkeyPatch) -> Account:
    """A personal-token WB account of seller "big"."""
    monkeypatch.setenv("HARVESTER_ENV_FILE", "/nonexistent")
    monkeypatch.setenv("BIG_TOKEN", make_wb_token("big", ["analytics", "promotion"]))
    return Account("big", "wb", token_env="BIG_TOKEN")


def _plan(accounts: list[Account], names: list[str] | None = None, products: int | None = 20_000,
          ) -> dict[tuple[str, str], GroupPlan]:
    """The plan by (owner, group); of only the named endpoints, or of each account's whole catalog."""
    def endpoints_of(account: Account) -> list[Endpoint]:
        return [get_endpoint(n) for n in names] if names else endpoints_for(account.marketplace, "current")
    return {(g.owner, g.group): g for g in plan(accounts, sizer(None, products), endpoints_of)}


def _group(groups: dict[tuple[str, str], GroupPlan], name: str) -> GroupPlan:
    (found,) = [g for (_, group), g in groups.items() if group == name]
    return found


def test_a_per_product_endpoint_alone_on_a_3_a_minute_bucket_covers_a_fifth_of_20000_products(wb: Account) -> None:
    g = _group(_plan([wb], ["wb.stocks_sizes"]), "wb.stocks_report")
    assert (g.budget, g.demand, g.over) == (4320, 20_000, True)  # 3 a minute all day; one request per product
    (line,) = g.lines
    assert line.coverage == pytest.approx(0.216)
    assert line.freshness == "each product every 4.6 days"  # 1 day / 0.216


def test_cheap_snapshots_on_the_same_bucket_get_all_they_ask_and_the_tail_the_rest(wb: Account) -> None:
    g = _group(_plan([wb]), "wb.stocks_report")
    by = {line.endpoint: line for line in g.lines}
    # hourly: 20 pages of 1,000 products, one call for groups, one for offices
    assert {n: line.demand for n, line in by.items()} == {
        "wb.stocks_products": 480, "wb.stocks_groups": 24, "wb.stocks_offices": 24, "wb.stocks_sizes": 20_000}
    assert by["wb.stocks_products"].coverage == 1 and by["wb.stocks_products"].freshness == "every 60 min"
    assert by["wb.stocks_sizes"].coverage == pytest.approx((4320 - 528) / 20_000)
    assert by["wb.stocks_sizes"].freshness == "each product every 5.3 days"


def test_a_snapshot_endpoint_is_read_every_tick(wb: Account) -> None:
    g = _group(_plan([wb], ["wb.adv.campaigns"]), "wb.adv.count")
    assert (g.budget, g.demand) == (5 * 86400, 24)
    assert g.lines[0].freshness == "every 60 min"


@pytest.mark.parametrize(("name", "windows"), [
    ("wb.adv.stat_words", 96),  # a snapshot every 15 minutes
    ("wb.funnel.products", 4),  # daily, one day a request: the new day and three of lookback
    ("wb.adv.normquery", 24),  # hourly, 7-day windows: the 3 lookback days each hour
    ("wb.antifraud_details", 3 / 7),  # weekly, 7-day windows: the new week and two of lookback
    ("wb.paid_storage", 1),  # daily, 8-day windows: the new day and one of lookback fit one
])
def test_windows_a_day_follow_cadence_and_window_rule(name: str, windows: float) -> None:
    assert windows_per_day(get_endpoint(name)) == pytest.approx(windows)


def test_a_yandex_market_endpoint_charged_per_item_spends_its_items_not_its_requests() -> None:
    shop = Account("cab", "ym", token_env="UNUSED", ym_business_id=7)
    g = _group(_plan([shop], ["ym.stats_skus"]), "ym.stats_skus")
    # hourly, every SKU once: 20,000 × 24 products against 2,000 a minute
    assert (g.owner, g.budget, g.demand, g.per_entity) == ("business:7", 2000 * 1440, 480_000, True)
    assert g.utilization == pytest.approx(1 / 6) and g.lines[0].freshness == "every 60 min"
    medium = Account("cab", "ym", token_env="UNUSED", ym_business_id=7, ym_subscription="medium")
    assert _group(_plan([medium], ["ym.stats_skus"]), "ym.stats_skus").budget == 5000 * 1440


def test_report_flows_count_each_step_on_its_own_group_and_the_csv_quota(wb: Account) -> None:
    groups = _plan([wb], ["wb.paid_storage", "wb.csv.stock_daily"])
    # one report a day; status polled for the assumed minute every 10 s
    assert [_group(groups, f"wb.paid_storage.{s}").demand for s in ("create", "status", "download")] == [1, 6, 1]
    assert _group(groups, "wb.nm_report_downloads").demand == 5  # create, 3 list polls (every 20 s), file
    quota = _group(groups, "wb_csv_report.daily_quota")
    assert (quota.budget, quota.demand) == (20, 1)


def test_two_entries_of_one_seller_share_one_budget(wb: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTHER_TOKEN", make_wb_token("other", ["analytics"]))
    twin = Account("big-2", "wb", token_env="BIG_TOKEN")
    other = Account("other", "wb", token_env="OTHER_TOKEN")
    groups = [g for g in _plan([wb, twin, other]).values() if g.group == "wb.stocks_report"]
    shared, alone = sorted(groups, key=lambda g: -len(g.lines))
    assert {line.account for line in shared.lines} == {"big", "big-2"} and len(alone.lines) == 4
    assert (shared.budget, shared.demand) == (4320, 2 * 20_528)
    sizes = [line for line in shared.lines if line.endpoint == "wb.stocks_sizes"]
    assert [line.coverage for line in sizes] == pytest.approx([(4320 - 2 * 528) / 2 / 20_000] * 2)
    assert alone.lines[2].coverage == pytest.approx((4320 - 528) / 20_000)


def test_one_account_is_planned_with_every_entry_sharing_its_budget(wb: Account,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTHER_TOKEN", make_wb_token("other", ["analytics"]))
    monkeypatch.setenv("BROKEN_TOKEN", "not-a-jwt")
    entries = [wb, Account("big-2", "wb", token_env="BIG_TOKEN"), Account("other", "wb", token_env="OTHER_TOKEN"),
               Account("broken", "wb", token_env="BROKEN_TOKEN")]
    chosen, problems = selected({a.id: a for a in entries}, "big-2")
    assert [a.id for a in chosen] == ["big", "big-2"]
    assert problems == ["account broken: WB token is not a JWT (three base64url parts, a JSON object payload)"]


def test_a_base_token_has_the_base_rows_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARVESTER_ENV_FILE", "/nonexistent")
    monkeypatch.setenv("BASE_TOKEN", make_wb_token("b", ["analytics"], "base"))
    g = _group(_plan([Account("b", "wb", token_env="BASE_TOKEN")], ["wb.stocks_sizes"]), "wb.stocks_report")
    assert g.budget == 48 and g.lines[0].freshness == "each product every 416.7 days"  # 2 an hour


def test_ids_the_store_does_not_hold_yet_are_unknown_until_their_source_is_harvested(wb: Account) -> None:
    groups = _plan([wb], ["wb.stocks_sizes", "wb.adv.fullstats"], products=None)
    for group, source in (("wb.stocks_report", "wb.stocks_products"), ("wb.adv.fullstats", "wb.adv.campaigns")):
        (line,) = _group(groups, group).lines
        assert (line.demand, line.coverage) == (None, None)
        assert line.freshness == f"unknown until {source} is harvested"
    # a catalogue size says nothing of campaigns
    assert _group(_plan([wb], ["wb.adv.fullstats"]), "wb.adv.fullstats").lines[0].demand is None


def test_stored_ids_give_the_chunks_each_window_asks_for(engine: Engine) -> None:
    shop = Account("cab", "ym", token_env="UNUSED", ym_business_id=7)
    with Session(engine) as session:
        session.add_all(YmOfferCampaign(account_id="cab", business_id=7, shop_sku=f"s{i}", campaign_id=campaign)
                        for campaign, n in ((1, 600), (2, 10)) for i in range(n))
        session.commit()
        # 500 SKUs a request, never two stores in one: 2 + 1 requests, 610 products charged
        assert stored_size(session, shop, get_endpoint("ym.stats_skus")) == Size(3, 610)
        assert stored_size(session, shop, get_endpoint("ym.campaigns")) == Size(1, 1)


def test_fair_shares_give_the_small_all_and_split_the_rest() -> None:
    assert fair_shares(4320, {"a": 100, "b": 5000, "c": 5000}) == {"a": 100, "b": 2110, "c": 2110}


def test_priority_shares_serve_lower_priorities_first_and_split_within_one_fairly() -> None:
    """As the lines do: a priority-90 snapshot waits behind two priority-50 tails, whatever it asks."""
    demands = {"snapshot": (90, 100), "tail": (50, 3000), "other tail": (50, 1500), "cheap": (10, 320)}
    assert priority_shares(4320, demands) == {"cheap": 320, "other tail": 1500, "tail": 2500, "snapshot": 0}


@pytest.mark.parametrize(("seconds", "text"), [(900, "15 min"), (86400, "24 h"), (5400, "90 min"),
                                               (4.63 * 86400, "4.6 days")])
def test_durations_read_at_a_glance(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_plan_command_prints_demand_budget_and_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    accounts = tmp_path / "accounts.toml"
    accounts.write_text('[[accounts]]\nid = "big"\nmarketplace = "wb"\ntoken_env = "BIG_TOKEN"\n')
    monkeypatch.setenv("HARVESTER_ACCOUNTS_FILE", str(accounts))
    monkeypatch.setenv("HARVESTER_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    monkeypatch.setenv("HARVESTER_ENV_FILE", "/nonexistent")
    monkeypatch.setenv("BIG_TOKEN", make_wb_token("big", ["analytics"]))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["plan", "--json", "--products", "20000"])
        table = CliRunner().invoke(app, ["plan", "--account", "big", "--products", "20000"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    rows = {r["group"]: r for r in map(json.loads, (t for t in result.output.splitlines() if t.startswith("{")))}
    stocks = rows["wb.stocks_report"]
    assert (stocks["budget_per_day"], stocks["demand_per_day"], stocks["over_budget"]) == (4320, 20528, True)
    sizes = next(e for e in stocks["endpoints"] if e["endpoint"] == "wb.stocks_sizes")
    assert (sizes["coverage"], sizes["freshness"]) == (0.1896, "each product every 5.3 days")
    assert "warning: seller:" in result.output and "wb.stocks_report: demand 20,528/day exceeds" in result.output
    assert table.exit_code == 0, table.output
    assert "wb.stocks_sizes" in table.output and "coverage  19.0%  each product every 5.3 days" in table.output
