"""The files ops read stay in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

from harvester.core.accounts import load_accounts
from harvester.core.settings import Settings, env_example

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_env_example_documents_every_setting_and_nothing_else() -> None:
    text = (DEPLOY / "env" / "harvester.env.example").read_text()
    documented = set(re.findall(r"^# (HARVESTER_[A-Z_]+)=", text, re.M))
    assert documented == {f"HARVESTER_{name.upper()}" for name in Settings.model_fields}
    assert text == env_example(), "regenerate it: harvester env-example > deploy/env/harvester.env.example"


def test_accounts_example_loads() -> None:
    accounts = load_accounts(DEPLOY / "accounts.example.toml")
    assert set(accounts) == {"wb-main", "wb-second", "ym-main"}
    assert accounts["ym-main"].ym_campaign_ids == (21000001, 21000002)
