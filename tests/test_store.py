"""The store: idempotent upserts, records → rows, watermarks and the status report."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from emulator import seller_id
from emulator.wb.data.seller import stocks_products
from harvester.catalog.model import Window
from harvester.core.accounts import Account
from harvester.core.errors import Transient
from harvester.models import (
    AccountState,
    EndpointBlock,
    HarvestRun,
    Watermark,
    WbPaidStorage,
    WbStocksProduct,
    WorkState,
    WorkUnit,
)
from harvester.ops.status import status_rows
from harvester.pipeline import parse
from harvester.pipeline.client import decode_json
from harvester.pipeline.parse import records_at, streamed_records, to_rows
from harvester.pipeline.schedule import due_windows
from harvester.pipeline.store import upsert as upsert_module
from harvester.pipeline.store.runlog import advance_watermark, anchor_watermark, record_run
from harvester.pipeline.store.upsert import _json_rows, get_or_insert, upsert

STORAGE = WbPaidStorage.__table__  # type: ignore[attr-defined]
STOCKS = WbStocksProduct.__table__  # type: ignore[attr-defined]
DAY = dt.date(2024, 3, 1)
CTX = {"account_id": "a1", "window_start": DAY, "window_end": DAY, "unit_id": 7,
       "loaded_at": dt.datetime(2026, 11, 2, 3, 4, tzinfo=dt.UTC)}


def storage_row(i: int, account: str = "a1", **changes: Any) -> dict[str, Any]:
    row = {c.name: None for c in STORAGE.columns}
    row.update(account_id=account, date=DAY, office_id=507, gi_id=i, chrt_id=10 * i, barcode=f"20{i:011d}",
               calc_type="короба: без габаритов", original_date=DAY, warehouse="Коледино", log_warehouse_coef=1.0,
               warehouse_coef=1.7, size="0", subject="Кружки", brand="Уютный дом", vendor_code=f"V-{i}",
               nm_id=1000 + i, volume=1.5, warehouse_price=10.0, barcodes_count=1, pallet_place_code=0,
               pallet_count=0.0)
    return {**row, **changes}


def stored(engine: Engine, table: Any) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return [dict(r._mapping) for r in session.execute(select(table))]


def test_upserting_the_same_rows_twice_keeps_one_copy_with_the_new_values(engine: Engine) -> None:
    with Session(engine) as session:
        assert upsert(session, STORAGE, [storage_row(i) for i in range(3)]) == 3
        assert upsert(session, STORAGE, [storage_row(i, warehouse_price=99.5) for i in range(3)]) == 3
        session.commit()
    rows = stored(engine, STORAGE)
    assert len(rows) == 3 and {r["warehouse_price"] for r in rows} == {99.5}


def test_a_row_upserted_unchanged_is_left_as_it_was_with_the_unit_that_last_changed_it(engine: Engine) -> None:
    """A re-read snapshot rewrites what changed only. A null that stays null is no change; one
    that gets a value is."""
    first = {"unit_id": 7, "loaded_at": dt.datetime(2026, 11, 2, 3, 4, tzinfo=dt.UTC)}
    later = {"unit_id": 8, "loaded_at": dt.datetime(2026, 11, 2, 4, 4, tzinfo=dt.UTC)}
    with Session(engine) as session:
        upsert(session, STORAGE, [storage_row(i, **first) for i in range(3)])
        assert upsert(session, STORAGE, [storage_row(0, **later), storage_row(1, volume=2.5, **later),
                                         storage_row(2, loyalty_discount=5.0, **later)]) == 3
        session.commit()
    found = {r["gi_id"]: (r["unit_id"], r["volume"], r["loyalty_discount"]) for r in stored(engine, STORAGE)}
    assert found == {0: (7, 1.5, None), 1: (8, 2.5, None), 2: (8, 1.5, 5.0)}


def test_duplicates_within_a_batch_are_collapsed_and_the_last_wins(engine: Engine) -> None:
    with Session(engine) as session:
        count = upsert(session, STORAGE, [storage_row(1, volume=1.0), storage_row(2), storage_row(1, volume=3.0)])
        session.commit()
    assert count == 2
    assert {r["gi_id"]: r["volume"] for r in stored(engine, STORAGE)}[1] == 3.0


def test_a_large_batch_lands_fully(engine: Engine) -> None:
    n = 3000  # 3000 rows x 32 columns: more bind parameters than one statement may carry
    with Session(engine) as session:
        assert upsert(session, STORAGE, [storage_row(i) for i in range(n)]) == n
        session.commit()
        assert session.execute(select(func.count()).select_from(STORAGE)).scalar_one() == n


def test_to_rows_maps_an_emulator_stocks_record_into_every_column(engine: Engine) -> None:
    record = stocks_products(0, seller_id("x"), DAY, DAY)[0]
    [row] = to_rows(STOCKS, [record], CTX, "stocks")
    metrics = record["metrics"]
    assert set(row) == set(STOCKS.columns.keys())
    assert (row["account_id"], row["date"], row["nm_id"]) == ("a1", DAY, record["nmID"])
    assert (row["sale_rate_days"], row["sale_rate_hours"]) == (
        metrics["saleRate"]["days"], metrics["saleRate"]["hours"])
    assert row["office_missing_time_hours"] == metrics["officeMissingTime"]["hours"]
    assert (row["min_price"], row["max_price"]) == (
        metrics["currentPrice"]["minPrice"], metrics["currentPrice"]["maxPrice"])
    assert row["avg_orders_by_month"] == metrics["avgOrdersByMonth"]
    assert row["availability"] == metrics["availability"]
    assert all(value is not None for value in row.values())
    with Session(engine) as session:
        upsert(session, STOCKS, [row])
        session.commit()
    [back] = stored(engine, STOCKS)
    assert back.pop("loaded_at").replace(tzinfo=None) == row.pop("loaded_at").replace(tzinfo=None)  # SQLite: no zone
    assert back == row


def test_a_batch_lands_the_same_sent_as_one_json_document_or_row_by_row(engine: Engine,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL is sent a batch as one JSON document (`upsert._json_rows`): what lands is what
    the driver's row-by-row executemany lands, money to the cent of 18 digits, the decimals of a
    JSON column, moments and text JSON must escape included (nulls: the paid-storage tests)."""
    # 18 digits, more than a float holds; SQLite keeps NUMERIC as a float, so there fewer
    money = Decimal("9999999999999999.99") if engine.dialect.name == "postgresql" else Decimal("12345678901.35")
    records = stocks_products(0, seller_id("x"), DAY, DAY)[:20]
    rows = to_rows(STOCKS, records, CTX, "stocks")
    rows[0].update(order_sum=money, lost_orders_sum=Decimal("-0.01"),
                   name='Кружка "Уют"\n\\ \t 😀 \u2028',
                   avg_orders_by_month=[{"start": "2024-01-01", "x": Decimal("0.1")}])
    rows[1].update(avg_orders_by_month=[])
    assert _json_rows(STOCKS, rows) is not None

    def landed() -> list[dict[str, Any]]:
        with Session(engine) as session:
            session.execute(delete(STOCKS))
            upsert(session, STOCKS, rows)
            session.commit()
        return sorted(stored(engine, STOCKS), key=lambda row: row["nm_id"])

    as_sent = landed()
    monkeypatch.setattr(upsert_module, "_json_rows", lambda table, rows: None)
    assert landed() == as_sent
    assert as_sent[0]["order_sum"] == money


def test_rows_that_json_cannot_carry_as_they_are_go_row_by_row() -> None:
    row = to_rows(STOCKS, stocks_products(0, seller_id("x"), DAY, DAY)[:1], CTX, "stocks")[0]
    assert _json_rows(STOCKS, [{**row, "avg_orders": float("nan")}]) is None  # JSON has no NaN
    assert _json_rows(STOCKS, [{k: v for k, v in row.items() if k != "availability"}]) is None  # NULL, not its default


def test_to_rows_coerces_iso_dates_and_empty_strings_in_date_columns() -> None:
    record = {"date": "2024-03-01", "originalDate": "2024-02-28T00:00:00", "tariffFixDate": "", "barcode": "",
              "officeId": 507, "giId": 1, "chrtId": 2, "calcType": "короба"}
    [row] = to_rows(STORAGE, [record], CTX, "storage")
    assert (row["date"], row["original_date"], row["tariff_fix_date"]) == (DAY, dt.date(2024, 2, 28), None)
    assert row["barcode"] == ""  # only date columns turn "" into None


def test_to_rows_gives_each_json_number_its_columns_type_and_leaves_the_rest_as_sent() -> None:
    record = {"date": "2024-03-01", "originalDate": "2024-03-01", "officeId": 507, "giId": 1, "chrtId": 2,
              "barcode": "", "calcType": "короба", "volume": 3, "palletCount": Decimal("1.5"),
              "barcodesCount": Decimal("4.0"), "palletPlaceCode": Decimal("2.5"), "warehousePrice": 0.1,
              "loyaltyDiscount": 7, "warehouseCoef": True, "logWarehouseCoef": None, "nmId": "12"}
    [row] = to_rows(STORAGE, [record], CTX, "storage")
    picked = {k: (row[k], type(row[k])) for k in ("volume", "pallet_count", "barcodes_count", "pallet_place_code",
                                                  "warehouse_price", "loyalty_discount", "warehouse_coef",
                                                  "log_warehouse_coef", "nm_id", "account_id", "size")}
    assert picked == {"volume": (3.0, float), "pallet_count": (1.5, float),
                      "barcodes_count": (4, int), "pallet_place_code": (2.5, float),  # whole or not
                      "warehouse_price": (Decimal("0.1"), Decimal), "loyalty_discount": (Decimal(7), Decimal),
                      "warehouse_coef": (True, bool), "log_warehouse_coef": (None, type(None)),  # as sent
                      "nm_id": ("12", str), "account_id": ("a1", str), "size": (None, type(None))}


@pytest.mark.parametrize("record", [{"isDeleted": False}, {"nmID": None}])
def test_a_record_without_its_key_field_is_transient(record: dict[str, Any]) -> None:
    with pytest.raises(Transient, match="nmID"):
        to_rows(STOCKS, [record], CTX, "stocks")


def test_a_bad_date_string_is_transient() -> None:
    with pytest.raises(Transient, match="not a date"):
        to_rows(STORAGE, [{"date": "yesterday"}], CTX, "storage")


@pytest.mark.parametrize(
    ("body", "path", "expected"),
    [(None, "data.items", []), ({"data": None}, "data.items", []), ({"data": {"items": None}}, "data.items", []),
     ({"data": {"items": [{"a": 1}]}}, "data.items", [{"a": 1}]),
     ([{"a": 1}], "", [{"a": 1}]), ([], "", [])],
)
def test_records_at_finds_the_list(body: Any, path: str, expected: list) -> None:
    assert records_at(body, path, "call") == expected
    assert list(streamed_records(json.dumps(body).encode(), path, "call")) == expected


@pytest.mark.parametrize(
    ("body", "path"),
    [({"data": {"items": {}}}, "data.items"), ({"data": {"items": [1, 2]}}, "data.items"), ({"data": {}}, "data.items"),
     ("oops", "data.items"), ({"a": 1}, "")],
)
def test_records_at_on_a_body_of_the_wrong_shape_is_transient(body: Any, path: str) -> None:
    with pytest.raises(Transient, match="expected a list of objects"):
        records_at(body, path, "call")
    with pytest.raises(Transient, match="expected a list of objects"):
        list(streamed_records(json.dumps(body).encode(), path, "call"))


@pytest.mark.parametrize(
    ("body", "path", "single"),
    [({"data": {"groups": [{"id": 1, "items": [{"nm": 2, "price": 12.50}]}, {"id": 3, "items": []}]}}, "data.groups",
      False), ([{"stats": [{"a": 1}, {"a": 0.1}]}, {"stats": []}, {"stats": [{"a": 3}]}], "*.stats", False),
     ({"data": {"total": 7, "share": 1.25}}, "data", True), ({"data": {}}, "data", True)],
)
def test_a_body_read_record_by_record_gives_the_records_read_whole(body: Any, path: str, single: bool) -> None:
    raw = json.dumps(body).encode()
    whole = records_at(json.loads(raw, parse_float=Decimal), path, "call", single)
    assert list(streamed_records(raw, path, "call", single)) == whole and whole


def test_a_big_body_of_the_wrong_shape_fails_without_being_read_whole(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    spooled = tmp_path / "answer.json"
    spooled.write_bytes(json.dumps({"data": [{"a": i} for i in range(1_000)]}).encode())
    monkeypatch.setattr(parse, "decode_body", lambda content, label: pytest.fail("read whole"))
    monkeypatch.setattr(parse, "WHOLE_AT_MOST", 1_000)
    with pytest.raises(Transient, match=f"no list of objects at the body in a body of {spooled.stat().st_size} bytes"):
        list(streamed_records(spooled, "", "call"))


def test_a_garbled_body_read_record_by_record_is_transient_after_the_records_before_it() -> None:
    raw = json.dumps({"data": {"items": [{"a": 1}, {"a": 2}]}}).encode()
    records = streamed_records(raw[:-9], "data.items", "call")
    assert next(records) == {"a": 1}
    with pytest.raises(Transient, match="malformed JSON body"):
        list(records)


def test_a_204_answer_is_no_records() -> None:
    response = requests.Response()
    response.status_code, response._content = 204, b""
    assert records_at(decode_json(response, "call"), "", "call") == []


@pytest.mark.parametrize(
    ("windows", "expected"),
    [([(1, 5)], 5), ([(1, 5), (6, 8)], 8), ([(1, 5), (7, 9)], 5), ([(1, 5), (3, 4)], 5),
     ([(1, 5), (5, 10)], 10), ([(1, 5), (7, 9), (6, 6)], 9), ([(7, 9), (1, 6)], 9), ([(2, 4)], 0)],
)
def test_advance_watermark_moves_over_every_contiguous_completed_window(
    engine: Engine, windows: list[tuple[int, int]], expected: int
) -> None:
    first = DAY.replace(day=1)
    with Session(engine) as session:
        anchor_watermark(session, "a1", "wb.paid_storage", first)  # what dispatch does first
        session.commit()
    for start, end in windows:
        window = (DAY.replace(day=start), DAY.replace(day=end))
        with Session(engine) as session:
            record_run(session, account_id="a1", endpoint="wb.paid_storage", window=window, status="ok",
                       started_at=dt.datetime.now(dt.UTC))
            advance_watermark(session, "a1", "wb.paid_storage", window)
            session.commit()
    with Session(engine) as session:
        mark = session.get(Watermark, ("a1", "wb.paid_storage"))
        assert mark is not None and mark.complete_until == first + dt.timedelta(days=expected - 1)
        assert mark.last_success_at is not None


def test_two_windows_finishing_at_once_both_move_the_watermark(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: the two finishes cannot overlap")
    older, newer = (DAY, DAY), (DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=1))
    with Session(engine) as session:
        anchor_watermark(session, "a1", "wb.paid_storage", DAY)
        session.commit()

    def finish(session: Session, window: tuple[dt.date, dt.date]) -> None:
        record_run(session, account_id="a1", endpoint="wb.paid_storage", window=window, status="ok",
                   started_at=dt.datetime.now(dt.UTC))
        advance_watermark(session, "a1", "wb.paid_storage", window)

    def finish_newer() -> None:
        with Session(engine) as session:
            finish(session, newer)
            session.commit()

    with Session(engine) as first:
        finish(first, older)  # not committed yet: the newer window's finish must wait for it
        other = threading.Thread(target=finish_newer)
        other.start()
        with engine.connect() as look:
            waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted"
            for _ in range(3000):
                if look.exec_driver_sql(waiting).scalar():
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the newer window's finish never waited for the older one")
        first.commit()
    other.join(timeout=30)
    with Session(engine) as session:
        mark = session.get(Watermark, ("a1", "wb.paid_storage"))
        assert mark is not None and mark.complete_until == newer[1]


def test_a_failed_first_run_window_is_due_again_when_a_later_one_succeeded(engine: Engine) -> None:
    window, on = Window(max_days=8, history_days=365), dt.date(2024, 3, 31)
    older, newer = due_windows(window, None, on, 16)
    with Session(engine) as session:
        anchor_watermark(session, "a1", "wb.paid_storage", older[0])  # what dispatch does first
        advance_watermark(session, "a1", "wb.paid_storage", newer)  # `older` failed
        session.commit()
        mark = session.get(Watermark, ("a1", "wb.paid_storage"))
    assert mark is not None
    due = due_windows(window, mark.complete_until, on, 16)
    assert due and due[0][0] <= older[0]


@pytest.mark.parametrize("model, key", [
    (Watermark, {"account_id": "a1", "endpoint": "wb.paid_storage"}),
    (AccountState, {"account_id": "a1"}),
    (EndpointBlock, {"account_id": "a1", "feature": "jam"}),
])
def test_get_or_insert_takes_the_row_another_process_inserted_after_it_looked(
    engine: Engine, model: Any, key: dict[str, Any]
) -> None:
    values = {"settings_fingerprint": "x"} if model is EndpointBlock else {}
    with Session(engine) as session:
        look = session.get

        def miss_while_another_inserts(*args: Any, **kw: Any) -> Any:
            session.get = look  # type: ignore[method-assign]
            with Session(engine) as other:
                other.add(model(**key, **values))
                other.commit()
            return None

        session.get = miss_while_another_inserts  # type: ignore[method-assign]
        row = get_or_insert(session, model, key, **values)
        session.add(row)
        session.commit()
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(model)).scalar_one() == 1


def at(hour: int) -> dt.datetime:
    return dt.datetime(2024, 3, 1, hour, tzinfo=dt.UTC)


def test_status_rows_counts_rows_per_account_and_shows_only_errors_newer_than_the_last_success(engine: Engine) -> None:
    accounts = {a: Account(id=a, marketplace="wb", token_env="T") for a in ("a1", "a2")}
    with Session(engine) as session:
        upsert(session, STORAGE, [storage_row(i, "a1") for i in range(3)] + [storage_row(i, "a2") for i in range(2)])
        session.add(Watermark(account_id="a1", endpoint="wb.paid_storage", complete_until=DAY, last_success_at=at(10)))
        session.add(Watermark(account_id="a2", endpoint="wb.paid_storage", complete_until=DAY, last_success_at=at(10)))
        for account, hour in (("a1", 9), ("a2", 11)):
            session.add(HarvestRun(account_id=account, endpoint="wb.paid_storage", window_start=DAY, window_end=DAY,
                                   status="failed", error=f"boom {account}", finished_at=at(hour)))
        session.add(HarvestRun(account_id="a1", endpoint="wb.stocks_products", window_start=DAY, window_end=DAY,
                               status="failed", error="never worked", finished_at=at(8)))
        for day, state in ((1, WorkState.FAILED), (2, WorkState.PARKED), (3, WorkState.QUEUED), (4, WorkState.DONE)):
            session.add(WorkUnit(account_id="a2", endpoint="wb.paid_storage", window_start=dt.date(2024, 3, day),
                                 window_end=dt.date(2024, 3, day), state=state))
        session.commit()
    rows = {(r["account"], r["endpoint"]): r for r in status_rows(engine, accounts)}
    assert (rows["a1", "wb.paid_storage"]["rows"], rows["a2", "wb.paid_storage"]["rows"]) == (3, 2)
    assert rows["a1", "wb.paid_storage"]["last_error"] is None
    assert rows["a2", "wb.paid_storage"]["last_error"] == "boom a2"
    assert rows["a1", "wb.stocks_products"] == {"account": "a1", "marketplace": "wb", "endpoint": "wb.stocks_products",
                                                "last_success": None, "complete_until": None, "rows": 0,
                                                "last_error": "never worked", "pending": 0, "failed": 0,
                                                "ids": None, "coverage": None, "never_read": None, "oldest_read": None}
    assert (rows["a2", "wb.paid_storage"]["pending"], rows["a2", "wb.paid_storage"]["failed"]) == (2, 1)
    assert rows["a1", "wb.paid_storage"]["last_success"].startswith("2024-03-01T10:00:00")


def test_money_from_a_json_answer_lands_exactly_and_reads_back_as_decimal(engine: Engine) -> None:
    """0.1 + 0.2 money stays 0.30 (no float on the way); percent-like floats stay floats; a
    whole JSON decimal in an integer column is an int."""
    record = {c.info["src"]: 1 for c in STORAGE.columns if "src" in c.info}
    record.update(date="2024-03-01", originalDate="2024-03-01", barcode="b", calcType="t", warehouse="w", size="0",
                  subject="s", brand="b", vendorCode="v", tariffFixDate=None, tariffLowerDate=None)
    body = json.dumps([record]).replace('"warehousePrice": 1', '"warehousePrice": 12345678901.35') \
        .replace('"warehouseCoef": 1', '"warehouseCoef": 1.7').replace('"barcodesCount": 1', '"barcodesCount": 2.0')
    response = requests.Response()
    response.status_code, response._content = 200, body.encode()
    [row] = to_rows(STORAGE, records_at(decode_json(response, "call"), "", "call"), CTX, "call")
    assert (row["warehouse_price"], row["warehouse_coef"], row["barcodes_count"]) == (Decimal("12345678901.35"), 1.7, 2)
    assert isinstance(row["warehouse_coef"], float) and isinstance(row["barcodes_count"], int)
    with Session(engine) as session:
        upsert(session, STORAGE, [row])
        session.commit()
    [landed] = stored(engine, STORAGE)
    assert landed["warehouse_price"] == Decimal("12345678901.35") and isinstance(landed["warehouse_price"], Decimal)
