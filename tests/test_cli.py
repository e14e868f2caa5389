"""The `harvester` command's status and token output, and its errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import requests
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from harvester.catalog import endpoints_for
from harvester.core.accounts import wb_claims
from harvester.core.settings import get_settings
from harvester.models import HarvestRun, Watermark
from harvester.ops.cli import app
from harvester.pipeline.store.db import get_engine

runner = CliRunner()


@pytest.fixture
def configured(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    accounts = tmp_path / "accounts.toml"
    accounts.write_text('[[accounts]]\nid = "shop"\nmarketplace = "wb"\ntoken_env = "SHOP_TOKEN"\n')
    monkeypatch.setenv("HARVESTER_ACCOUNTS_FILE", str(accounts))
    monkeypatch.setenv("HARVESTER_DATABASE_URL", database_url)
    monkeypatch.setenv("HARVESTER_ENV_FILE", "/nonexistent")
    get_settings.cache_clear()
    yield accounts
    get_settings.cache_clear()


def test_status_json_has_one_object_per_account_and_endpoint(configured: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    with Session(get_engine()) as session:
        session.add(Watermark(account_id="shop", endpoint="wb.stocks_products", complete_until=now.date(),
                              last_success_at=now))
        session.add(HarvestRun(account_id="shop", endpoint="wb.paid_storage", window_start=now.date(),
                               window_end=now.date(), status="failed", error="account shop: HTTP 401: token expired"))
        session.commit()
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["endpoint"]: r for r in map(json.loads, result.output.splitlines())}
    assert set(rows) == {e.name for e in endpoints_for("wb", "current")}
    assert all(set(r) == {"account", "marketplace", "endpoint", "last_success", "complete_until", "lag_hours", "rows",
                          "last_error", "pending", "failed", "ids", "coverage", "never_read", "oldest_read"}
               for r in rows.values())
    assert rows["wb.stocks_sizes"]["ids"] == 0 and rows["wb.stocks_products"]["ids"] is None  # read in rotation
    assert rows["wb.stocks_products"]["last_success"].startswith(now.date().isoformat())
    assert rows["wb.stocks_products"]["complete_until"] == now.date().isoformat()
    assert rows["wb.stocks_products"]["lag_hours"] < 0.1 and rows["wb.paid_storage"]["lag_hours"] is None
    assert {r["marketplace"] for r in rows.values()} == {"wb"}
    stale = runner.invoke(app, ["status", "--stale-after", "1"])
    assert stale.exit_code == 1 and "shop wb.paid_storage: never" in stale.output
    assert rows["wb.stocks_products"]["last_error"] is None and rows["wb.stocks_products"]["rows"] == 0
    assert rows["wb.paid_storage"]["last_error"] == "account shop: HTTP 401: token expired"


def test_status_names_a_missing_accounts_file(configured: Path) -> None:
    configured.unlink()
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    assert "accounts file" in result.output and "HARVESTER_ACCOUNTS_FILE" in result.output


def test_emulator_token_carries_the_asked_scopes_type_and_expiry() -> None:
    result = runner.invoke(app, ["emulator", "token", "--seller", "s1", "--scopes", "analytics,promotion",
                                 "--type", "base", "--expires", "2"])
    assert result.exit_code == 0, result.output
    claims = wb_claims(result.output.strip(), "s1")
    assert claims["s"] == 4 + 64 and claims["acc"] == 1
    assert 1.9 * 86400 < claims["exp"] - dt.datetime.now().timestamp() <= 2 * 86400


def test_emulator_token_names_a_big_seller_whose_catalogue_the_emulator_serves() -> None:
    from emulator import Emulator

    token = runner.invoke(app, ["emulator", "token", "--seller", "giant", "--products", "20000"])
    assert token.exit_code == 0, token.output
    assert wb_claims(token.output.strip(), "giant")["sid"].endswith("-000000020000")
    emulator = Emulator(port=0).start()
    try:
        day = emulator.clock.today().isoformat()
        body = {"currentPeriod": {"start": day, "end": day}, "stockType": "", "skipDeletedNm": False,
                "orderBy": {"field": "ordersCount", "mode": "asc"}, "availabilityFilters": [],
                "limit": 1000, "offset": 19_990}
        answer = requests.post(f"{emulator.url}/api/v2/stocks-report/products/products", json=body,
                               headers={"Authorization": token.output.strip()}, timeout=60)
    finally:
        emulator.stop()
    assert answer.status_code == 200 and len(answer.json()["data"]["items"]) == 10
    refused = runner.invoke(app, ["emulator", "token", "--seller", "giant", "--products", "100001"])
    assert refused.exit_code == 2 and "1 to 100,000 products" in refused.output


def test_emulator_token_mints_a_yandex_market_key_the_emulator_accepts() -> None:
    from emulator import Emulator

    key = runner.invoke(app, ["emulator", "token", "--seller", "cab", "--marketplace", "ym", "--campaigns", "1"])
    assert key.exit_code == 0, key.output
    emulator = Emulator(port=0).start()
    try:
        answer = requests.get(f"{emulator.url}/v2/campaigns", headers={"Api-Key": key.output.strip()}, timeout=5)
    finally:
        emulator.stop()
    assert answer.status_code == 200 and len(answer.json()["campaigns"]) == 1


@pytest.mark.parametrize(("env", "address"), [(None, "127.0.0.1"), ("0.0.0.0", "0.0.0.0")])
def test_metrics_and_flower_listen_on_loopback_unless_widened(
        configured: Path, monkeypatch: pytest.MonkeyPatch, env: str | None, address: str) -> None:
    import harvester.ops.flower
    import harvester.ops.metrics
    import harvester.pipeline.store.db
    import harvester.worker.runtime

    if env:
        monkeypatch.setenv("HARVESTER_LISTEN_ADDRESS", env)
    get_settings.cache_clear()
    bound: list[str] = []
    monkeypatch.setattr(harvester.ops.metrics, "serve", lambda port, client, engine, at, accounts: bound.append(at))
    monkeypatch.setattr(harvester.worker.runtime, "get_runtime", lambda: type("R", (), {"redis": None})())
    monkeypatch.setattr(harvester.pipeline.store.db, "get_engine", lambda **_: None)
    monkeypatch.setattr(harvester.ops.flower, "run_flower", lambda port, at: bound.append(at) or 0)
    assert runner.invoke(app, ["metrics"]).exit_code == 0
    assert runner.invoke(app, ["flower"]).exit_code == 0
    assert bound == [address, address]


def test_status_on_an_empty_database_says_to_upgrade_and_creates_nothing(configured: Path, database_url: str) -> None:
    from sqlalchemy import inspect, text

    from harvester.pipeline.store.db import make_engine

    engine = make_engine(database_url)
    for table in reversed(SQLModel.metadata.sorted_tables):  # the fixture's PostgreSQL comes with tables
        table.drop(engine, checkfirst=True)
    with engine.begin() as conn:  # and maybe a revision an earlier test migrated to
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2 and "run `harvester db upgrade`" in result.output
    assert inspect(engine).get_table_names() == []


def test_a_followed_backfill_ends_with_a_summary_and_fails_when_a_window_failed(
        configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from harvester.models import WorkState, WorkUnit
    from harvester.ops.cli import _follow

    days = [dt.date(2026, 11, d) for d in (1, 2, 3)]
    with Session(get_engine()) as session:
        for day, state in zip(days, (WorkState.DONE, WorkState.DONE, WorkState.FAILED), strict=True):
            session.add(WorkUnit(account_id="shop", endpoint="wb.funnel.products", window_start=day, window_end=day,
                                 state=state, rows=10, last_error="HTTP 400: bad period" if state.value == "FAILED"
                                 else None))
        session.commit()
    with pytest.raises(typer.Exit) as ended:
        _follow("shop", "wb.funnel.products", [(d, d) for d in days])
    out = capsys.readouterr().out
    assert ended.value.exit_code == 1
    assert "2 windows landed, 1 failed, 30 rows" in out and "2026-11-03..2026-11-03: HTTP 400: bad period" in out


def test_blocks_show_in_status_and_accounts_check_and_are_lifted_by_hand(
        configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harvester.pipeline.store.accounts_state import block_feature, mark_token_invalid
    from harvester.pipeline.store.db import session_scope

    monkeypatch.setenv("SHOP_TOKEN", "not-a-jwt-but-a-token")
    with session_scope(get_engine()) as session:
        mark_token_invalid(session, "shop", "not-a-jwt-but-a-token", "HTTP 401: token expired")
        block_feature(session, "shop", "jam", "print", "HTTP 403: no Jam subscription")
    shown = runner.invoke(app, ["status"]).output
    assert "BLOCKED shop" in shown and "HTTP 401: token expired" in shown and "no Jam subscription" in shown
    checked = runner.invoke(app, ["accounts", "check", "--no-ping", "--json"])
    problems = json.loads(checked.output.splitlines()[0])["problems"]
    assert any("jam blocked since" in p and "accounts unblock shop" in p for p in problems)
    assert "lifted for shop: jam\n" in runner.invoke(app, ["accounts", "unblock", "shop", "--feature", "jam"]).output
    assert "lifted for shop: token\n" in runner.invoke(app, ["accounts", "unblock", "shop"]).output
    assert "BLOCKED" not in runner.invoke(app, ["status"]).output
    nothing = runner.invoke(app, ["accounts", "unblock", "shop"])
    assert nothing.exit_code == 2 and "has no block" in nothing.output
