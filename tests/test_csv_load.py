"""Report files into tables: drift, odd CSV, broken ZIPs, and window replacement (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from structlog.testing import capture_logs

from harvester.core.errors import Transient
from harvester.models.wb_csv import WbFunnelDetailHistory, WbSearchQueriesText, WbStockDaily, WbStockHistory
from harvester.pipeline.parse import CsvReport, SchemaDrift, read_report
from harvester.pipeline.store.load import load_csv_report

DETAIL = "nmID,dt,openCardCount,ordersCount,ordersSumRub,buyoutPercent,currency"
DAY = dt.date(2026, 11, 1)
LOADED = dt.datetime(2026, 11, 2, 3, 4, 5, tzinfo=dt.UTC)
CONTEXT = {"account_id": "a1", "window_start": DAY, "window_end": DAY + dt.timedelta(days=1), "unit_id": 41,
           "loaded_at": LOADED}


def _zip(tmp_path: Path, text: str, name: str = "r.csv", bom: bool = True) -> Path:
    path = tmp_path / f"report-{abs(hash(text))}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, ("\ufeff" if bom else "") + text)
    return path


def _report(model: type, path: Path | None) -> CsvReport | None:
    return read_report(path, model.__table__, "test") if path else None  # type: ignore[attr-defined]


def _load(engine: Engine, model: type, path: Path | None, window_column: str = "date") -> int:
    with Session(engine) as session:
        rows = load_csv_report(session, model.__table__, _report(model, path), CONTEXT, window_column)  # type: ignore[attr-defined]
        session.commit()
    return rows


def _all(engine: Engine, model: type) -> list:
    with Session(engine) as session:
        return list(session.exec(select(model)))


@pytest.mark.parametrize("bom", [True, False])
def test_a_report_lands_and_a_reload_replaces_the_window(engine: Engine, tmp_path: Path, bom: bool) -> None:
    first = _zip(tmp_path, f"{DETAIL}\n1,2026-11-01,5,2,990.5,40,RUB\n2,2026-11-02,7,3,10,50,RUB\n", bom=bom)
    assert _load(engine, WbFunnelDetailHistory, first) == 2
    second = _zip(tmp_path, f"{DETAIL}\n1,2026-11-01,6,2,990.5,40,RUB\n")
    assert _load(engine, WbFunnelDetailHistory, second) == 1
    rows = _all(engine, WbFunnelDetailHistory)
    assert [(r.nm_id, r.date, r.open_count, r.order_sum) for r in rows] == [(1, DAY, 6, 990.5)]
    with engine.connect() as conn:  # lineage: the unit that loaded it, and when (both on every row)
        table = WbFunnelDetailHistory.__table__  # type: ignore[attr-defined]
        found = conn.execute(sa_select(table.c.unit_id, table.c.loaded_at)).all()
    assert [(unit, at.astimezone(dt.UTC) if at.tzinfo else at.replace(tzinfo=dt.UTC)) for unit, at in found] == [
        (41, LOADED)]  # SQLite keeps no zone


def test_rows_outside_the_window_and_of_other_accounts_are_kept(engine: Engine, tmp_path: Path) -> None:
    outside = _zip(tmp_path, f"{DETAIL}\n1,2026-11-05,1,1,1,1,RUB\n")
    with Session(engine) as session:
        report = _report(WbFunnelDetailHistory, outside)
        load_csv_report(session, WbFunnelDetailHistory.__table__, report,  # type: ignore[attr-defined]
                        {**CONTEXT, "window_start": dt.date(2026, 11, 5), "window_end": dt.date(2026, 11, 5)}, "date")
        load_csv_report(session, WbFunnelDetailHistory.__table__, report,  # type: ignore[attr-defined]
                        {**CONTEXT, "account_id": "a2", "window_start": dt.date(2026, 11, 5),
                         "window_end": dt.date(2026, 11, 5)}, "date")
        session.commit()
    _load(engine, WbFunnelDetailHistory, _zip(tmp_path, f"{DETAIL}\n"))
    assert len(_all(engine, WbFunnelDetailHistory)) == 2


def test_comma_space_separators_and_quoted_fields(engine: Engine, tmp_path: Path) -> None:
    header = "Text, NmID, Name, Rating, OpenCard"
    body = '"шапка, зимняя", 12, "Шапка ""Север""\nдвойная", 4.5, 10\nварежки, 13, Варежки, no rating, 3\n'
    assert _load(engine, WbSearchQueriesText, _zip(tmp_path, f"{header}\n{body}"), "period_start") == 2
    rows = {r.text: r for r in _all(engine, WbSearchQueriesText)}
    assert rows["шапка, зимняя"].name == 'Шапка "Север"\nдвойная' and rows["шапка, зимняя"].rating == 4.5
    assert rows["варежки"].rating is None and rows["варежки"].open_count == 3  # `no rating` is no number
    assert rows["варежки"].period_start == DAY


def test_no_rating_in_a_fast_path_file_falls_back_to_parsing(engine: Engine, tmp_path: Path) -> None:
    path = _zip(tmp_path, f"{DETAIL}\n1,2026-11-01,5,2,no rating,40,RUB\n")
    assert _load(engine, WbFunnelDetailHistory, path) == 1
    assert _all(engine, WbFunnelDetailHistory)[0].order_sum is None


@pytest.mark.parametrize("text", ["", f"{DETAIL}\n", f"{DETAIL}\n\n"])
def test_an_empty_file_or_no_data_is_an_empty_window(engine: Engine, tmp_path: Path, text: str) -> None:
    _load(engine, WbFunnelDetailHistory, _zip(tmp_path, f"{DETAIL}\n1,2026-11-01,5,2,1,40,RUB\n"))
    assert _load(engine, WbFunnelDetailHistory, _zip(tmp_path, text)) == 0
    assert _load(engine, WbFunnelDetailHistory, None) == 0  # WB's 204
    assert _all(engine, WbFunnelDetailHistory) == []


def test_unknown_columns_are_kept_in_extras_and_logged_once(engine: Engine, tmp_path: Path) -> None:
    text = f"{DETAIL},newMetric\n1,2026-11-01,5,2,1,40,RUB,42\n"
    with capture_logs() as logs:
        _load(engine, WbFunnelDetailHistory, _zip(tmp_path, text))
        _load(engine, WbFunnelDetailHistory, _zip(tmp_path, text + "2,2026-11-01,5,2,1,40,RUB,43\n"))
    assert [e["columns"] for e in logs if e["event"] == "csv_unknown_columns"] == [["newMetric"]]
    assert {r.nm_id: r.extras for r in _all(engine, WbFunnelDetailHistory)} == {
        1: {"newMetric": "42"}, 2: {"newMetric": "43"}}


def test_a_missing_key_column_fails_and_loads_nothing(engine: Engine, tmp_path: Path) -> None:
    _load(engine, WbFunnelDetailHistory, _zip(tmp_path, f"{DETAIL}\n1,2026-11-01,5,2,1,40,RUB\n"))
    with pytest.raises(SchemaDrift, match="nmID"):
        _load(engine, WbFunnelDetailHistory, _zip(tmp_path, "dt,openCardCount\n2026-11-01,5\n"))
    assert len(_all(engine, WbFunnelDetailHistory)) == 1  # the old rows are still there


def test_a_row_without_a_key_value_fails_and_loads_nothing(engine: Engine, tmp_path: Path) -> None:
    bad = f"{DETAIL},extra\n1,2026-11-01,5,2,1,40,RUB,x\n,2026-11-01,5,2,1,40,RUB,y\n"
    with pytest.raises(SchemaDrift, match="line 3"):
        _load(engine, WbFunnelDetailHistory, _zip(tmp_path, bad))
    assert _all(engine, WbFunnelDetailHistory) == []


def test_month_columns_become_json_and_day_columns_become_rows(engine: Engine, tmp_path: Path) -> None:
    history = ("NmID,ChrtID,RegionName,OfficeName,StockCount,AvgOrdersByMonth_10.2026,AvgOrdersByMonth_11.2026\n"
               "1,11,Центр,Коледино,5,1.5,\n")
    _load(engine, WbStockHistory, _zip(tmp_path, history), "period_start")
    assert _all(engine, WbStockHistory)[0].avg_orders_by_month == {"10.2026": 1.5, "11.2026": None}
    daily = "NmID,ChrtID,OfficeName,01.11.2026,02.11.2026\n1,11,Коледино,5,\n2,22,Маркетплейс,0,3\n"
    assert _load(engine, WbStockDaily, _zip(tmp_path, daily), "date") == 3
    stocks = sorted((r.nm_id, r.date.day, r.stock) for r in _all(engine, WbStockDaily))
    assert stocks == [(1, 1, 5), (2, 1, 0), (2, 2, 3)]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "two_members"])
def test_a_broken_zip_is_transient(engine: Engine, tmp_path: Path, damage: str) -> None:
    path = _zip(tmp_path, f"{DETAIL}\n" + "1,2026-11-01,5,2,1,40,RUB\n" * 2000)
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "garbage":
        path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    else:
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("second.csv", DETAIL)
    with pytest.raises(Transient):
        _load(engine, WbFunnelDetailHistory, path)


def test_a_quoted_field_spanning_lines_survives_the_copy_path(engine: Engine, tmp_path: Path) -> None:
    path = _zip(tmp_path, f'{DETAIL}\n1,2026-11-01,5,2,1,40,"R,\nUB"\n2,2026-11-02,1,1,1,1,RUB\n')
    assert _load(engine, WbFunnelDetailHistory, path) == 2
    assert {r.nm_id: r.currency for r in _all(engine, WbFunnelDetailHistory)} == {1: "R,\nUB", 2: "RUB"}
