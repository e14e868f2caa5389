"""The catalog as data: registry, natural keys, column sources, limits, flow statuses, routing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from typer.testing import CliRunner

from emulator.wb.state.async_tasks import Task, TaskStore
from harvester.catalog import endpoints, endpoints_for, get_endpoint, limits, source_table, ym
from harvester.catalog.model import Endpoint, LimitGroup, Rate, RemoteStatus
from harvester.models import JobStatus
from harvester.models.tables import table_of
from harvester.ops.cli import app
from harvester.pipeline.flows.run import KINDS
from harvester.pipeline.store.ids import window_column
from harvester.worker.routing import QUEUES, route
from tests.openapi import ROOT, _path_item, _raw

ENDPOINTS = list(endpoints().values())
CONTEXT_KEYS = {"account_id", "window_start", "window_end", "unit_id", "loaded_at"}  # what harvest and flows pass


def test_the_registry_finds_both_wb_endpoints() -> None:
    assert {"wb.stocks_products", "wb.paid_storage"} <= set(endpoints())
    assert {e.name for e in endpoints_for("wb", "current")} >= {"wb.stocks_products", "wb.paid_storage"}


def test_get_endpoint_names_the_known_ones_for_an_unknown_name() -> None:
    with pytest.raises(KeyError, match=r"wb.paid_storage"):
        get_endpoint("wb.nope")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_natural_key_columns_exist_and_are_the_primary_key(endpoint: Endpoint) -> None:
    table = endpoint.model.__table__  # type: ignore[attr-defined]
    assert endpoint.natural_key
    assert set(endpoint.natural_key) <= set(table.columns.keys())
    assert set(endpoint.natural_key) == {c.name for c in table.primary_key.columns}
    assert "account_id" in endpoint.natural_key  # two sellers' rows never collide


def _tables(endpoint: Endpoint):
    """Each table an endpoint fills, with the context names its `ctx` columns may read."""
    account = {"business_id"} if endpoint.marketplace == "ym" else set()  # Account.context()
    top = CONTEXT_KEYS | account | set(endpoint.ids.columns if endpoint.ids else ())
    stack = [(endpoint.model.__table__, top, endpoint.children)]  # type: ignore[attr-defined]
    while stack:
        table, names, children = stack.pop()
        yield table, names
        stack += [(c.model.__table__, names | set(c.carry), c.children) for c in children]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_every_column_has_exactly_one_source(endpoint: Endpoint) -> None:
    for table, names in _tables(endpoint):
        for column in table.columns:
            sources = [kind for kind in ("src", "ctx", "pattern", "extras") if kind in column.info]
            assert len(sources) == 1, f"{table.name}.{column.name}"
            assert column.info.get("ctx", "account_id") in names, f"{table.name}.{column.name}"
            assert column.info.get("src", "x") != "", f"{table.name}.{column.name}"
        assert "account_id" in {c.name for c in table.primary_key.columns}, table.name


def test_catalog_json_prints_one_object_per_endpoint() -> None:
    result = CliRunner().invoke(app, ["catalog", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in map(json.loads, result.output.splitlines())}
    assert set(rows) == set(endpoints())
    assert rows["wb.paid_storage"] == {
        "name": "wb.paid_storage", "marketplace": "wb", "generation": "any", "method": "GET",
        "path": "/api/v1/paid_storage", "flow": "wb_task", "cadence": "daily", "max_days": 8, "history_days": 365,
        "lookback_days": 1, "limit": "wb.paid_storage.create", "depends_on": None, "rotate": False, "priority": 10,
        "requires": None, "tables": ["wb_paid_storage"]}
    assert rows["ym.stats_skus"]["tables"] == ["ym_stats_skus", "ym_stats_sku_warehouses", "ym_stats_sku_stocks",
                                               "ym_stats_sku_tariffs", "ym_stats_sku_pictures"]
    assert rows["wb.adv.fullstats"]["depends_on"] == "wb.adv.campaigns"
    assert rows["wb.search_report"]["requires"] == "jam"
    assert rows["wb.stocks_products"]["flow"] == "sync"
    assert rows["wb.stocks_products"]["path"] == "/api/v2/stocks-report/products/products"
    assert rows["wb.stocks_sizes"]["rotate"] is True and rows["wb.stocks_sizes"]["priority"] == 50


@pytest.mark.parametrize(
    ("token_type", "expected"),
    [("personal", Rate(60.0, 3, 3)), ("service", Rate(60.0, 3, 3)), ("base", Rate(3600.0, 2, 1)),
     ("test", Rate(3600.0, 2, 1))],
)
def test_limit_group_rate_picks_the_base_row_for_base_and_test_tokens(token_type: Any, expected: Rate) -> None:
    assert limits.WB_STOCKS_REPORT.rate(token_type) == expected


def test_a_limit_group_without_a_base_row_uses_its_default_for_every_token() -> None:
    group = LimitGroup("x", Rate(60.0, 6, 2))
    assert group.rate("base") == group.rate("personal") == Rate(60.0, 6, 2)
    assert group.default.interval == 10.0


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_flow_kind_has_a_poll_outcome_for_every_remote_status(kind: str) -> None:
    assert set(KINDS[kind].POLL_OUTCOMES) == set(RemoteStatus)


def test_every_flow_kind_of_the_catalog_is_runnable() -> None:
    assert {e.flow_kind for e in ENDPOINTS if e.flow is not None} <= set(KINDS)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.flow is not None], ids=lambda e: e.name)
def test_every_flow_kind_has_steps_for_new_and_every_status_its_steps_reach(endpoint: Endpoint) -> None:
    steps = KINDS[endpoint.flow_kind].STEPS
    assert {JobStatus.NEW, JobStatus.CREATING, JobStatus.POLLING, JobStatus.DOWNLOADING} <= set(steps)
    assert not any(status.terminal for status in steps)


FLOWS = [e for e in ENDPOINTS if e.flow is not None]


@pytest.mark.parametrize("endpoint", FLOWS, ids=lambda e: e.name)
def test_every_raw_status_of_a_flow_maps_to_a_remote_status(endpoint: Endpoint) -> None:
    assert endpoint.flow is not None
    assert all(isinstance(s, RemoteStatus) for s in endpoint.flow.statuses.values())
    assert RemoteStatus.READY in endpoint.flow.statuses.values()


def test_paid_storage_knows_every_status_the_emulator_reports() -> None:
    store = TaskStore(new_s=5, ready_s=60)
    seen = {store.status(Task("t", "s", None, None, 0.0, canceled), now)  # type: ignore[arg-type]
            for canceled in (False, True) for now in (0.0, 10.0, 100.0, 10_000.0)}
    flow = get_endpoint("wb.paid_storage").flow
    assert flow is not None and seen == set(flow.statuses)


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "queue"),
    [
        ("harvester.harvest", ("a1", "wb.stocks_products", "2024-03-01", "2024-03-01"), {}, "wb"),
        ("harvester.harvest", (), {"account_id": "a1", "endpoint": "wb.stocks_products"}, "wb"),
        ("harvester.flow_step", (7, "a1", "wb.paid_storage"), {}, "wb.reports"),
        ("harvester.flow_step", (7, "a1", "wb.paid_storage"), {"booked": 0, "failures": 2}, "wb.reports"),
        ("harvester.dispatch", ("daily",), {}, "control"),
        ("harvester.reconcile", (), {}, "control"),
    ],
)
def test_the_router_sends_harvests_to_the_marketplace_and_flow_steps_to_its_reports_queue(
    name: str, args: tuple, kwargs: dict, queue: str
) -> None:
    assert route(name, args, kwargs, {}) == {"queue": queue}
    assert queue in QUEUES


def _spec_key_scopes(method: str, path: str) -> frozenset[str]:
    """The x-auth-scopes of a YM call's path file, spelt as the token info answer spells them."""
    spec = ROOT / "ym" / "openapi" / "openapi.yaml"
    shape = re.sub(r"\{[^}]+\}", "{}", path)
    [template] = [t for t in _raw(spec)["paths"] if re.sub(r"\{[^}]+\}", "{}", t) == shape]
    scopes = _path_item(spec, template)[method.lower()]["x-auth-scopes"]
    return frozenset(s.replace(":", "_").replace("-", "_").upper() for s in scopes)


@pytest.mark.parametrize("endpoint", endpoints_for("ym", "current"), ids=lambda ep: ep.name)
def test_a_ym_endpoints_scope_grants_what_its_path_file_says(endpoint: Endpoint) -> None:
    call = endpoint.first_call
    granted = _spec_key_scopes(call.method, call.path)
    if endpoint.scope == "any":
        assert len(granted) == 14  # every ApiKeyScopeType
    else:
        assert ym.KEY_SCOPES[endpoint.scope] == granted


def test_a_rotating_endpoint_can_find_where_it_stopped() -> None:
    """Rotation resumes after the id its own table was written for last, on its newest window."""
    rotating = [e for e in endpoints().values() if e.ids is not None and e.ids.rotate]
    assert rotating
    for endpoint in rotating:
        assert endpoint.ids is not None
        table = table_of(endpoint.model)
        assert {*endpoint.ids.columns, "loaded_at"} <= set(table.c.keys()), endpoint.name
        assert endpoint.window.history_days == 0, f"{endpoint.name}: a snapshot, whose window is its day"
        window_column(table)


@pytest.mark.parametrize("endpoint", [e for e in endpoints().values() if e.ids is not None], ids=lambda ep: ep.name)
def test_the_ids_of_a_dependent_fetch_are_read_through_an_index(endpoint: Endpoint) -> None:
    """Every call of a dependent fetch asks for the next ids past the last (`store.ids.id_rows`). Over
    a source that keeps a row a day per product, that was a scan of the seller's whole history
    each call: 180 ms for 100,000 products after two days, 3 calls a minute. An index that
    starts with the account and the id columns reads only the rows it returns; a snapshot
    series read at its newest date (`latest`) is read through its key."""
    ids = endpoint.ids
    assert ids is not None
    table = source_table(ids)
    leading = ("account_id", ids.latest, *ids.columns) if ids.latest else ("account_id", *ids.columns)
    indexes = [tuple(c.name for c in table.primary_key.columns),
               *(tuple(c.name for c in index.columns) for index in table.indexes)]
    assert any(index[:len(leading)] == leading for index in indexes), (table.name, leading, indexes)
