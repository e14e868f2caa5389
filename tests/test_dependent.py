"""Dependent fetches and nested answers: id chunks, request values, child tables, blocked endpoints."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Date, DateTime, Integer, MetaData, String, Table
from sqlalchemy.engine import Engine
from sqlmodel import Session

from harvester.catalog import check_overrides, endpoints, tuned
from harvester.catalog.model import CADENCE_NAMES, Ids
from harvester.core.settings import Settings, SettingsError
from harvester.pipeline.harvest import request_values
from harvester.pipeline.parse import records_at, to_rows, tree_rows
from harvester.pipeline.schedule import CADENCES, chunks, split
from harvester.pipeline.store.accounts_state import block_feature, blocked_features

D = dt.date


@given(
    start=st.dates(D(2023, 1, 1), D(2026, 12, 31)),
    days=st.integers(0, 800),
    max_days=st.integers(1, 400),
    ids=st.lists(st.tuples(st.integers(1, 40), st.sampled_from("abcdef")), unique=True, max_size=300),
    per_call=st.integers(1, 120),
    grouped=st.booleans(),
)
def test_every_split_request_is_legal_and_together_they_ask_exactly_what_was_asked(
    start: dt.date, days: int, max_days: int, ids: list, per_call: int, grouped: bool
) -> None:
    end = start + dt.timedelta(days=days)
    windows = split(start, end, max_days)
    rows = sorted(ids)
    parts = chunks(rows, per_call, 0 if grouped else None)
    for first, last in windows:
        assert first <= last and (last - first).days + 1 <= max_days
    covered = [first + dt.timedelta(days=i) for first, last in windows for i in range((last - first).days + 1)]
    assert covered == [start + dt.timedelta(days=i) for i in range(days + 1)]  # every day once, in order
    for part in parts:
        assert 1 <= len(part) <= per_call
        if grouped:
            assert len({row[0] for row in part}) == 1
    assert [row for part in parts for row in part] == rows  # every id once, in order
    if grouped:  # a group is split only because it is longer than a call may carry
        sizes: dict[int, int] = {}
        for part in parts:
            sizes[part[0][0]] = sizes.get(part[0][0], 0) + 1
        for group, count in sizes.items():
            members = sum(1 for row in rows if row[0] == group)
            assert count == -(-members // per_call)


def test_request_values_give_lists_scalars_and_rendered_items() -> None:
    ids = Ids("wb.adv.campaigns", ("advert_id", "nm_id"), 100,
              item={"id": "{id.advert_id}", "nm": "{id.nm_id}", "interval": {"begin": "{start}", "end": "{end}"}})
    values = request_values((D(2026, 1, 1), D(2026, 1, 3)), ids, [(7, 1), (8, 2)])
    assert values["ids.advert_id"] == [7, 8] and values["id.advert_id"] == 7
    assert values["items"] == [{"id": 7, "nm": 1, "interval": {"begin": "2026-01-01", "end": "2026-01-03"}},
                               {"id": 8, "nm": 2, "interval": {"begin": "2026-01-01", "end": "2026-01-03"}}]


def test_a_star_in_a_records_path_flattens_one_list_level() -> None:
    body = [{"interval": {}, "stats": [{"a": 1}, {"a": 2}]}, {"stats": None}, {"stats": [{"a": 3}]}]
    assert records_at(body, "*.stats", "t") == [{"a": 1}, {"a": 2}, {"a": 3}]
    assert records_at(None, "*.stats", "t") == []


def _table(metadata: MetaData, name: str, *columns: Column) -> Table:
    return Table(name, metadata, *columns)


def _col(name: str, type_: object, *, src: str | None = None, ctx: str | None = None, key: bool = False) -> Column:
    return Column(name, type_, primary_key=key, info={"src": src} if src else {"ctx": ctx})


def test_nested_lists_become_child_rows_that_carry_their_parents_key() -> None:
    md = MetaData()
    campaigns = _table(md, "c", _col("account_id", String, ctx="account_id", key=True),
                       _col("advert_id", Integer, src="advertId", key=True), _col("views", Integer, src="views"))
    days = _table(md, "d", _col("account_id", String, ctx="account_id", key=True),
                  _col("advert_id", Integer, ctx="advert_id", key=True), _col("date", Date, src="date", key=True),
                  _col("at", DateTime(timezone=True), src="date"))
    apps = _table(md, "a", _col("advert_id", Integer, ctx="advert_id", key=True),
                  _col("date", Date, ctx="date", key=True), _col("app_type", Integer, src="appType", key=True),
                  _col("clicks", Integer, src="clicks"))
    child = SimpleNamespace(model=SimpleNamespace(__table__=days), path="days", carry={"advert_id": "advertId"},
                            children=(SimpleNamespace(model=SimpleNamespace(__table__=apps), path="apps",
                                                      carry={"date": "date"}, children=()),))
    records = [{"advertId": 7, "views": 10, "days": [
        {"date": "2026-01-01T00:00:00Z", "apps": [{"appType": 1, "clicks": 2}, {"appType": 32, "clicks": 3}]},
        {"date": "2026-01-02T00:00:00Z", "apps": []}]},
        {"advertId": 8, "views": 0, "days": None}]
    out = tree_rows(campaigns, [child], records, {"account_id": "a1"}, "t")
    assert list(out) == [campaigns, days, apps]
    assert [r["advert_id"] for r in out[campaigns]] == [7, 8]
    assert out[days][0] == {"account_id": "a1", "advert_id": 7, "date": D(2026, 1, 1),
                            "at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}
    assert [(r["advert_id"], r["date"], r["app_type"]) for r in out[apps]] == [
        (7, D(2026, 1, 1), 1), (7, D(2026, 1, 1), 32)]


def test_every_catalog_cadence_has_a_beat_schedule() -> None:
    assert set(CADENCES) == set(CADENCE_NAMES)  # endpoints themselves refuse other cadences when declared


def test_dependent_sources_exist_and_are_harvested_for_the_same_generations() -> None:
    for endpoint in endpoints().values():
        if endpoint.ids is not None:
            source = endpoints()[endpoint.ids.source]
            assert source.marketplace == endpoint.marketplace
            assert source.generation in ("any", endpoint.generation), endpoint.name
            table = source.model.metadata.tables[endpoint.ids.table] if endpoint.ids.table else source.model.__table__
            assert set(endpoint.ids.columns) <= set(table.columns.keys()), endpoint.name


def test_overrides_tune_cadence_and_lookback_and_unknown_names_are_refused() -> None:
    name = "wb.csv.detail_history"
    settings = Settings(cadences={name: "weekly"}, lookback_days={name: 14})
    check_overrides(settings)
    endpoint = tuned(endpoints()[name], settings)
    assert (endpoint.cadence, endpoint.window.lookback_days) == ("weekly", 14)
    assert endpoint.window.max_days == endpoints()[name].window.max_days
    with pytest.raises(SettingsError, match="unknown endpoint 'nope'"):
        check_overrides(Settings(lookback_days={"nope": 1}))
    with pytest.raises(SettingsError, match="not one of"):
        check_overrides(Settings(cadences={name: "minutely"}))


def test_a_blocked_feature_stays_blocked_until_the_accounts_settings_change(engine: Engine) -> None:
    with Session(engine) as session:
        block_feature(session, "a1", "jam", "print-1", "403 Forbidden: no Jam subscription")
        session.commit()
    with Session(engine) as session:
        assert blocked_features(session, "a1", "print-1") == {"jam"}
        assert blocked_features(session, "a2", "print-1") == set()
        session.commit()
    with Session(engine) as session:
        assert blocked_features(session, "a1", "print-2") == set()  # the account was edited
        session.commit()
    with Session(engine) as session:
        assert blocked_features(session, "a1", "print-1") == set()  # and the block is gone for good


def test_child_elements_know_their_position_and_plain_values_are_read_as_value() -> None:
    md = MetaData()
    top = _table(md, "p", _col("sku", String, src="shopSku", key=True))
    pictures = _table(md, "pp", _col("sku", String, ctx="sku", key=True),
                      _col("position", Integer, src="@index", key=True), _col("url", String, src="@value"))
    child = SimpleNamespace(model=SimpleNamespace(__table__=pictures), path="pictures", carry={"sku": "shopSku"},
                            children=())
    out = tree_rows(top, [child], [{"shopSku": "A", "pictures": ["u0", "u1"]}, {"shopSku": "B"}], {}, "t")
    assert out[pictures] == [{"sku": "A", "position": 0, "url": "u0"}, {"sku": "A", "position": 1, "url": "u1"}]


def test_date_time_strings_become_date_times_for_sqlmodels_utc_column() -> None:
    from harvester.models.wb_promotion import WbAdvCampaign

    (row,) = to_rows(WbAdvCampaign.__table__, [{"advertId": 1, "changeTime": "2025-07-06T17:28:29+03:00"}],
                     {"account_id": "a", "type": 9, "status": 9}, "t")
    assert row["change_time"] == dt.datetime(2025, 7, 6, 14, 28, 29, tzinfo=dt.UTC)


def test_a_ym_account_that_names_its_stores_gets_only_their_skus(engine: Engine) -> None:
    from harvester.catalog import get_endpoint, source_table
    from harvester.core.accounts import Account
    from harvester.models.ym import YmOfferCampaign
    from harvester.pipeline.store.ids import id_rows

    with Session(engine) as session:
        for campaign, sku in [(1, "a"), (2, "b"), (1, "c")]:
            session.add(YmOfferCampaign(account_id="y", business_id=9, shop_sku=sku, campaign_id=campaign))
        session.commit()
        ids = get_endpoint("ym.stats_skus").ids
        assert ids is not None
        table = source_table(ids)
        everything = id_rows(session, table, Account(id="y", marketplace="ym", token_env="T"), ids)
        named = id_rows(session, table, Account(id="y", marketplace="ym", token_env="T", ym_campaign_ids=(2,)), ids)
        account = Account(id="y", marketplace="ym", token_env="T")
        after = id_rows(session, table, account, ids, after=(1, "a"), limit=1)
    assert everything == [(1, "a"), (1, "c"), (2, "b")] and named == [(2, "b")]
    assert after == [(1, "c")]  # the next row past one harvested, in the database's order
