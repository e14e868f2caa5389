"""Ops commands: accounts check, status staleness, start-up errors that name what to fix, metrics."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import fakeredis
import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from emulator import Emulator, make_wb_token, make_ym_key, ym_business_id
from harvester.core.counters import count
from harvester.core.settings import get_settings
from harvester.models import Watermark
from harvester.ops.cli import app
from harvester.ops.metrics import render
from harvester.pipeline.store.db import get_engine

runner = CliRunner()


@pytest.fixture
def configure(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    def apply(accounts: str = "", **env: str) -> Path:
        path = tmp_path / "accounts.toml"
        path.write_text(accounts)
        for key, value in {"HARVESTER_ACCOUNTS_FILE": str(path), "HARVESTER_DATABASE_URL": database_url,
                           "HARVESTER_ENV_FILE": "/nonexistent", **env}.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        return path

    yield apply
    get_settings.cache_clear()


def _account(account_id: str, var: str) -> str:
    return f'[[accounts]]\nid = "{account_id}"\nmarketplace = "wb"\ntoken_env = "{var}"\n\n'


def test_accounts_check_reports_each_token_and_never_prints_one(configure, monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = {"good": make_wb_token("good", ["analytics", "promotion"]),
              "soon": make_wb_token("soon", ["analytics"], expires_days=3),
              "expired": make_wb_token("expired", ["analytics"], expires_days=-1),
              "promo": make_wb_token("promo", ["promotion"])}
    for name, token in tokens.items():
        monkeypatch.setenv(f"T_{name.upper()}", token)
    with Emulator(port=0, time_scale=600) as emulator:
        configure("".join(_account(n, f"T_{n.upper()}") for n in [*tokens, "missing"]),
                  HARVESTER_EMULATOR_URL=emulator.url)
        result = runner.invoke(app, ["accounts", "check", "--json"])
    assert result.exit_code == 1
    rows = {r["account"]: r for r in map(json.loads, result.output.splitlines())}
    assert rows["good"]["problems"] == [] and rows["good"]["ping"] == "ok"
    assert rows["good"]["categories"] == ["analytics", "promotion"] and rows["good"]["token_type"] == "personal"
    assert rows["soon"]["problems"] == [] and any("expires in" in w for w in rows["soon"]["warnings"])
    assert any("Promotion" in w for w in rows["soon"]["warnings"])
    assert "expired" in rows["expired"]["problems"][0]
    assert "Analytics" in rows["promo"]["problems"][0]
    assert "T_MISSING" in rows["missing"]["problems"][0]
    assert not any(token in result.output or token.split(".")[1] in result.output for token in tokens.values())


def test_accounts_check_asks_a_yandex_market_key_what_it_may_serve(configure, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_YM", make_ym_key("ym-good"))
    monkeypatch.setenv("T_YM_BAD", "ACMA:not-a-key:00000000")
    monkeypatch.setenv("T_YM_OFFERS", make_ym_key("ym-offers", scopes=["offers-and-cards-management:read-only"]))
    accounts = "".join(f'[[accounts]]\nid = "{name}"\nmarketplace = "ym"\ntoken_env = "{var}"\n{extra}\n'
                       for name, var, extra in [("ym-good", "T_YM", f"business_id = {ym_business_id('ym-good')}"),
                                                ("ym-bad", "T_YM_BAD", "business_id = 1"), ("ym-nobiz", "T_YM", ""),
                                                ("ym-offers", "T_YM_OFFERS",
                                                 f"business_id = {ym_business_id('ym-offers')}")])
    with Emulator(port=0, time_scale=600) as emulator:
        configure(accounts, HARVESTER_EMULATOR_URL=emulator.url)
        result = runner.invoke(app, ["accounts", "check", "--json"])
    rows = {r["account"]: r for r in map(json.loads, result.output.splitlines())}
    assert rows["ym-good"]["problems"] == [] and rows["ym-good"]["ping"] == "ok"
    assert rows["ym-good"]["scopes"] == ["ALL_METHODS_READ_ONLY"]
    # A key without the finance scope serves the offers, not the services report, and says so.
    [problem] = rows["ym-offers"]["problems"]
    assert "ym.report.united_marketplace_services" in problem and "FINANCE_AND_ACCOUNTING" in problem
    assert "refused" in rows["ym-bad"]["problems"][0] and "401" in rows["ym-bad"]["problems"][0]
    assert "business_id" in rows["ym-nobiz"]["problems"][0]
    assert result.exit_code == 1 and "ACMA:" not in result.output


def test_status_exits_1_when_anything_is_staler_than_the_threshold(configure) -> None:
    configure(_account("shop", "T_SHOP"))
    fresh = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    with Session(get_engine()) as session:
        session.add(Watermark(account_id="shop", endpoint="wb.stocks_products", last_success_at=fresh))
        session.commit()
    assert runner.invoke(app, ["status", "--stale-after", "48"]).exit_code == 1  # other endpoints never ran
    lines = runner.invoke(app, ["status"]).output
    assert "lag=    2.0h" in lines and "lag=   never" in lines


@pytest.mark.parametrize(("command", "env", "message"), [
    ("run-once", {"HARVESTER_BROKER_URL": "redis://127.0.0.1:1/0"}, "cannot reach the broker at HARVESTER_BROKER_URL"),
    ("up", {"HARVESTER_BROKER_URL": "redis://127.0.0.1:1/0"}, "cannot reach the broker at HARVESTER_BROKER_URL"),
    ("status", {"HARVESTER_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}, "cannot reach the database"),
    ("status", {"HARVESTER_LOG_LEVEL": "LOUD"}, "HARVESTER_LOG_LEVEL"),
])
def test_start_up_errors_name_what_to_fix(configure, tmp_path: Path, command: str, env: dict, message: str) -> None:
    configure(_account("shop", "T_SHOP"), **env)
    result = runner.invoke(app, [command, "--workdir", str(tmp_path)] if command in ("up", "run-once") else [command])
    assert result.exit_code == 2
    assert message in result.output


def test_a_missing_accounts_file_is_named(configure) -> None:
    configure("").unlink()
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2 and "HARVESTER_ACCOUNTS_FILE" in result.output


def test_metrics_render_counters_queues_and_quota(engine) -> None:
    client = fakeredis.FakeRedis(decode_responses=True)
    count(client, "harvester_requests_total", marketplace="wb", path="/api/v1/paid_storage", status="200")
    count(client, "harvester_requests_total", marketplace="wb", path="/api/v1/paid_storage", status="200")
    count(client, "harvester_rows_total", 40, endpoint="wb.paid_storage")
    client.rpush("wb", "message")
    text = render(client, engine)
    assert 'harvester_requests_total{marketplace="wb",path="/api/v1/paid_storage",status="200"} 2' in text
    assert 'harvester_rows_total{endpoint="wb.paid_storage"} 40' in text
    assert 'harvester_queue_length{queue="wb"} 1' in text
    assert "# TYPE harvester_report_quota_left gauge" in text


def test_metrics_say_what_waits_what_failed_what_is_blocked_and_how_stale(engine) -> None:
    from harvester.models import WorkState, WorkUnit
    from harvester.pipeline.store.accounts_state import block_feature

    client = fakeredis.FakeRedis(decode_responses=True)
    count(client, "harvester_failures_total", endpoint="wb.funnel.products", kind="Unauthorized")
    count(client, "harvester_request_seconds_total", 0.25, marketplace="wb", path="/x", status="200")
    client.zadd("hv:parked", {"1": 0})
    client.hset("hv:lined", mapping={"2": "line", "3": "line"})
    day = dt.date(2026, 11, 1)
    with Session(engine) as session:
        session.add(WorkUnit(account_id="a1", endpoint="wb.funnel.products", window_start=day, window_end=day,
                             state=WorkState.PARKED))
        session.add(Watermark(account_id="a1", endpoint="wb.funnel.products",
                              last_success_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)))
        session.add(Watermark(account_id="a2", endpoint="wb.funnel.products"))
        block_feature(session, "a2", "jam", "print", "HTTP 403")
        session.commit()
    text = render(client, engine)
    assert 'harvester_failures_total{endpoint="wb.funnel.products",kind="Unauthorized"} 1.0' in text
    assert 'harvester_request_seconds_total{marketplace="wb",path="/x",status="200"} 0.25' in text
    assert 'harvester_wakeups_waiting{where="parked"} 1.0' in text
    assert 'harvester_wakeups_waiting{where="lined"} 2.0' in text
    assert 'harvester_work_units{state="PARKED"} 1.0' in text
    assert 'harvester_blocked{account="a2",blocked="jam"} 1.0' in text
    assert 'harvester_never_succeeded{endpoint="wb.funnel.products"} 1.0' in text
    age = next(line for line in text.splitlines() if line.startswith("harvester_oldest_success_age_seconds{"))
    assert 7000 < float(age.split()[-1]) < 7400
