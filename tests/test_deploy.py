"""The files ops read stay in step with the code."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

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


def _routed_queues() -> set[str]:
    """Every queue a task or an endpoint of the catalog is routed to."""
    from harvester.catalog import endpoints
    from harvester.worker.routing import route

    found = {route("harvester.dispatch", (), {}, {})["queue"]}
    for name, endpoint in endpoints().items():
        if endpoint.flow is None:
            found.add(route("harvester.harvest", ("a", name, "d", "d"), {}, {})["queue"])
        else:
            found.add(route("harvester.flow_step", (1, "a", name), {}, {})["queue"])
    return found


def _queues_of(env_file: Path) -> set[str]:
    found = re.search(r"^HARVESTER_WORKER_QUEUES=(.+)$", env_file.read_text(), re.M)
    assert found, f"{env_file} names no queues"
    return set(found.group(1).split(","))


def test_every_routed_queue_has_a_worker_in_every_shipped_deployment() -> None:
    routed = _routed_queues()
    assert routed == {"control", "wb", "wb.reports", "ym", "ym.reports"}
    compose = (DEPLOY / "compose.yaml").read_text()
    compose_sets = re.findall(r"^\s+- env/(worker-[\w-]+\.env)$", compose, re.M)
    assert routed <= set().union(*(_queues_of(DEPLOY / "env" / f"{name}.example") for name in compose_sets))
    target = (DEPLOY / "systemd" / "harvester.target").read_text()
    instances = re.findall(r"harvester-worker@([\w-]+)", target)
    assert routed <= set().union(*(_queues_of(DEPLOY / "env" / f"worker-{i}.env.example") for i in instances))


def _exported(engine) -> set[str]:  # type: ignore[no-untyped-def]
    """Every metric name the exporter serves (a family is declared even with no samples)."""
    import fakeredis

    from harvester.ops.metrics import render

    text = render(fakeredis.FakeRedis(decode_responses=True), engine)
    return set(re.findall(r"^# TYPE (\w+) ", text, re.M))


def test_alert_rules_and_the_dashboard_use_only_metrics_the_exporter_serves(engine) -> None:  # type: ignore[no-untyped-def]
    import json

    import yaml

    exported = _exported(engine)
    rules = yaml.safe_load((DEPLOY / "prometheus" / "harvester-alerts.yml").read_text())["groups"][0]["rules"]
    assert {r["alert"] for r in rules} >= {"HarvesterDataStale", "HarvesterFailureRate", "HarvesterRateLimited",
                                           "HarvesterReportQuotaExhausted", "HarvesterQueueNotConsumed"}
    dashboard = json.loads((DEPLOY / "grafana" / "harvester-dashboard.json").read_text())
    exprs = [r["expr"] for r in rules] + [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning", "info"} and rule["annotations"]["summary"]
    for expr in exprs:
        assert set(re.findall(r"harvester_\w+", expr)) <= exported, expr


@pytest.mark.parametrize("unit", sorted(p.name for p in (DEPLOY / "systemd").glob("*.service")))
def test_every_unit_is_hardened_well_below_systemds_exposed_rating(unit: str, tmp_path: Path) -> None:
    """Each unit with the prefix drop-in every harvester-*.service gets, as systemd reads it."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    whole = tmp_path / unit
    whole.write_text((DEPLOY / "systemd" / unit).read_text()
                     + (DEPLOY / "systemd" / "harvester-.service.d" / "hardening.conf").read_text())
    answer = subprocess.run([analyze, "security", "--offline=true", str(whole)], capture_output=True, text=True,
                            timeout=60)
    exposure = re.search(r"Overall exposure level for \S+: ([\d.]+)", answer.stdout + answer.stderr)
    assert exposure is not None, answer.stdout + answer.stderr
    assert float(exposure.group(1)) <= 2.0  # 8.5 ("EXPOSED") without the drop-in
