"""Accounts: the TOML file, tokens read fresh at use, WB token claims, reload on change."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import make_wb_token
from harvester.core.accounts import (
    Account,
    TokenError,
    accounts_file_problems,
    get_account,
    get_accounts,
    load_accounts,
    wb_claims,
)
from harvester.core.settings import SettingsError, get_settings

GOOD = """
[[accounts]]
id = "wb-env"
marketplace = "wb"
name = "Acme"
token_env = "ACME_WB_TOKEN"

[[accounts]]
id = "wb-file"
marketplace = "wb"
token_file = "secrets/wb.token"
wb_api_generation = "seed"

[[accounts]]
id = "ym-1"
marketplace = "ym"
token_file = "/run/secrets/ym.token"
business_id = 777
campaign_ids = [11, 22]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conf" / "accounts.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def test_load_accounts_reads_every_field(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    accounts = load_accounts(path)
    assert list(accounts) == ["wb-env", "wb-file", "ym-1"]
    assert accounts["wb-env"] == Account(id="wb-env", marketplace="wb", name="Acme", token_env="ACME_WB_TOKEN")
    assert accounts["wb-file"].token_file == path.parent / "secrets" / "wb.token"
    assert accounts["wb-file"].wb_api_generation == "seed"
    assert accounts["ym-1"].token_file == Path("/run/secrets/ym.token")
    assert (accounts["ym-1"].ym_business_id, accounts["ym-1"].ym_campaign_ids) == (777, (11, 22))


def _acc(body: str) -> str:
    return f"[[accounts]]\n{body}\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (None, "not found"),
        ("[[accounts]\nid = 1", "not valid TOML"),
        (_acc('marketplace = "wb"\ntoken_env = "T"'), "`id` is required"),
        (_acc('id = ""\nmarketplace = "wb"\ntoken_env = "T"'), "`id` is required"),
        (_acc('id = "a"\nmarketplace = "ozon"\ntoken_env = "T"'), "`marketplace` must be"),
        (_acc('id = "a"\nmarketplace = "wb"'), "exactly one of `token_env` or `token_file`"),
        (_acc('id = "a"\nmarketplace = "wb"\ntoken_env = "T"\ntoken_file = "t"'), "exactly one of"),
        (_acc('id = "a"\nmarketplace = "wb"\ntoken_env = "T"') * 2, "duplicate account id a"),
        (_acc('id = "a"\nmarketplace = "wb"\ntoken_env = "T"\ntokn = "x"'), "unknown keys tokn"),
        (_acc('id = "a"\nmarketplace = "wb"\ntoken_env = "T"\nwb_api_generation = "v3"'), "`wb_api_generation`"),
    ],
)
def test_a_bad_accounts_file_raises_settings_error_naming_the_problem(
    tmp_path: Path, text: str | None, problem: str
) -> None:
    path = tmp_path / "accounts.toml" if text is None else _write(tmp_path, text)
    with pytest.raises(SettingsError) as info:
        load_accounts(path)
    assert problem in str(info.value)


def test_token_is_read_fresh_so_a_rotated_env_var_is_picked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    account = Account(id="a", marketplace="wb", token_env="HV_ROTATING_TOKEN")
    monkeypatch.setenv("HV_ROTATING_TOKEN", " first-token-value\n")
    assert account.token() == "first-token-value"
    monkeypatch.setenv("HV_ROTATING_TOKEN", "second-token-value")
    assert account.token() == "second-token-value"


def test_token_is_read_fresh_so_a_rotated_token_file_is_picked_up(tmp_path: Path) -> None:
    path = tmp_path / "wb.token"
    account = Account(id="a", marketplace="wb", token_file=path)
    path.write_text("first-token-value\n")
    assert account.token() == "first-token-value"
    path.write_text("second-token-value\n")
    assert account.token() == "second-token-value"


@pytest.mark.parametrize("source", ["unset env", "empty env", "missing file", "empty file"])
def test_an_unusable_token_raises_token_error_naming_where_it_should_be(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, source: str
) -> None:
    monkeypatch.delenv("HV_ABSENT_TOKEN", raising=False)
    if source == "empty env":
        monkeypatch.setenv("HV_ABSENT_TOKEN", "  \n")
    path = tmp_path / "wb.token"
    if source == "empty file":
        path.write_text("\n")
    account = (Account(id="a", marketplace="wb", token_env="HV_ABSENT_TOKEN") if source.endswith("env")
               else Account(id="a", marketplace="wb", token_file=path))
    with pytest.raises(TokenError) as info:
        account.token()
    assert ("HV_ABSENT_TOKEN" if source.endswith("env") else str(path)) in str(info.value)
    assert "account a" in str(info.value)


@pytest.mark.parametrize("token_type", ["personal", "service", "base", "test"])
def test_token_type_comes_from_the_acc_claim(monkeypatch: pytest.MonkeyPatch, token_type: str) -> None:
    monkeypatch.setenv("HV_TYPED_TOKEN", make_wb_token("acme", ["analytics"], token_type))
    assert Account(id="a", marketplace="wb", token_env="HV_TYPED_TOKEN").token_type() == token_type


def test_a_wb_token_without_acc_claim_counts_as_personal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HV_OLD_TOKEN", f"{_b64('{}')}.{_b64(json.dumps({'sid': 'x'}))}.{_b64('signature')}")
    assert Account(id="a", marketplace="wb", token_env="HV_OLD_TOKEN").token_type() == "personal"


def test_wb_claims_reads_the_payload_with_or_without_bearer() -> None:
    token = make_wb_token("acme", ["analytics"], "service")
    assert wb_claims(token, "a")["acc"] == wb_claims(f"Bearer {token}", "a")["acc"] == 4


@pytest.mark.parametrize(
    "token",
    [
        "plain-secret-value-without-dots",
        "two.parts-secret-value",
        f"{_b64('{}')}.!!!secret-value!!!.sig",
        f"{_b64('{}')}.{_b64('not json secret-value')}.sig",
        f"{_b64('{}')}.{_b64('[1, 2]')}.secret-value",
    ],
)
def test_wb_claims_on_a_malformed_token_raises_without_echoing_it(token: str) -> None:
    with pytest.raises(TokenError) as info:
        wb_claims(token, "acct-9")
    assert "acct-9" in str(info.value)
    assert token not in str(info.value) and "secret-value" not in str(info.value)


@pytest.fixture
def accounts_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "accounts.toml"
    monkeypatch.setenv("HARVESTER_ACCOUNTS_FILE", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_get_accounts_reloads_when_the_file_changes(accounts_file: Path) -> None:
    accounts_file.write_text(_acc('id = "a1"\nmarketplace = "wb"\ntoken_env = "T"'))
    first = get_accounts()
    assert list(first) == ["a1"] and get_accounts() is first
    accounts_file.write_text(_acc('id = "a2"\nmarketplace = "ym"\ntoken_env = "T"'))
    mtime = accounts_file.stat().st_mtime + 10
    os.utime(accounts_file, (mtime, mtime))
    assert list(get_accounts()) == ["a2"]
    assert get_account("a2").marketplace == "ym"


def test_get_account_names_a_missing_file_or_an_unknown_account(accounts_file: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        get_accounts()
    accounts_file.write_text(_acc('id = "a1"\nmarketplace = "wb"\ntoken_env = "T"'))
    with pytest.raises(SettingsError, match="account nope is not in"):
        get_account("nope")


def test_a_token_rotated_in_the_env_file_is_read_without_a_restart(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / "harvester.env"
    env_file.write_text("SHOP_TOKEN=first-token-value\n")
    monkeypatch.setenv("HARVESTER_ENV_FILE", str(env_file))
    monkeypatch.setenv("SHOP_TOKEN", "value-the-process-started-with")
    account = Account(id="shop", marketplace="wb", token_env="SHOP_TOKEN")
    assert account.token() == "first-token-value"
    env_file.write_text("SHOP_TOKEN=second-token-value\n")
    os.utime(env_file, (env_file.stat().st_atime, env_file.stat().st_mtime + 5))
    assert account.token() == "second-token-value"


def _touch_later(path: Path) -> None:
    mtime = path.stat().st_mtime + 10
    os.utime(path, (mtime, mtime))


def test_a_file_that_stops_parsing_mid_run_keeps_the_last_good_accounts_and_says_so(accounts_file: Path) -> None:
    accounts_file.write_text(_acc('id = "a1"\nmarketplace = "wb"\ntoken_env = "T"'))
    assert list(get_accounts()) == ["a1"]
    accounts_file.write_text(_acc('id = "a1\nmarketplace = "wb"\ntoken_env = "T"'))  # an unclosed quote
    _touch_later(accounts_file)
    assert list(get_accounts()) == ["a1"]
    assert "is not valid TOML" in accounts_file_problems()[0] and "last good" in accounts_file_problems()[0]
    accounts_file.write_text(_acc('id = "a2"\nmarketplace = "wb"\ntoken_env = "T"'))  # fixed
    _touch_later(accounts_file)
    assert list(get_accounts()) == ["a2"] and accounts_file_problems() == []


def test_an_entry_invalid_on_its_own_stops_only_itself(accounts_file: Path) -> None:
    accounts_file.write_text(_acc('id = "good"\nmarketplace = "wb"\ntoken_env = "T"')
                             + _acc('id = "odd"\nmarketplace = "ozon"\ntoken_env = "T"')
                             + _acc('id = "good"\nmarketplace = "ym"\ntoken_env = "T"'))
    assert list(get_accounts()) == ["good"] and get_account("good").marketplace == "wb"
    problems = accounts_file_problems()
    assert any("(odd): `marketplace` must be" in p for p in problems)
    assert any("duplicate account id good" in p for p in problems)
    with pytest.raises(SettingsError, match="marketplace"):
        load_accounts(accounts_file)  # checked by hand, the file is still wrong


def test_a_file_that_never_parsed_stops_everything_with_its_error(accounts_file: Path) -> None:
    accounts_file.write_text("[[accounts]\n")
    with pytest.raises(SettingsError, match="is not valid TOML"):
        get_accounts()


def test_a_pinned_entry_reads_its_token_once_and_never_shows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_TOKEN", "first-token-value")
    account = Account(id="shop", marketplace="ym", token_env="SHOP_TOKEN", ym_business_id=7)
    pinned = account.pinned()
    monkeypatch.setenv("SHOP_TOKEN", "second-token-value")
    assert (pinned.token(), account.token()) == ("first-token-value", "second-token-value")
    assert pinned.budget_owner() == account.budget_owner() == "business:7"
    assert "token-value" not in repr(pinned)
