"""An answer of tens of MB (a big seller's stocks groups carry every product, its paid-storage file a
row per product, warehouse and day) is read record by record and upserted a batch of rows at a
time, landing exactly what reading it whole lands."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import fakeredis
import pytest
import requests
from sqlalchemy import Table, delete, select
from sqlmodel import Session

from emulator.wb.data.seller import big_seller, paid_storage
from emulator.wb.routes.stocks import groups_answer
from harvester.catalog import get_endpoint
from harvester.core.accounts import Account
from harvester.core.errors import Transient
from harvester.core.settings import Settings
from harvester.models import JobStatus, ReportJob
from harvester.models.tables import table_of
from harvester.models.wb import WbPaidStorage
from harvester.models.wb_analytics import WbStocksGroup, WbStocksGroupItem
from harvester.pipeline import harvest, land
from harvester.pipeline.flows.jobs import ensure_job, save
from harvester.pipeline.flows.run import run_step
from harvester.pipeline.flows.steps import StepContext
from harvester.pipeline.harvest import Progress, harvest_window
from harvester.pipeline.parse import decode_body, records_at, to_rows
from harvester.pipeline.store.db import session_scope
from harvester.pipeline.store.upsert import upsert

ENDPOINT = get_endpoint("wb.stocks_groups")
ACCOUNT = Account(id="big", marketplace="wb", token_env="T")
DAY = dt.date(2026, 3, 1)
SELLER = big_seller("streamed", 1_500)


class Gate:
    """Answers as the emulator does for a seller of 1,500 products, its bytes cut to `keep`."""

    def __init__(self, keep: slice = slice(None)) -> None:
        self.keep = keep

    def fetch(self, account: Account, request: Any, call: Any, booking: Any = None) -> requests.Response:
        answer = requests.Response()
        answer.status_code, answer._content = 200, groups_answer(0, SELLER, request.json)[self.keep]
        return answer


def _landed() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the groups and their items, without when each was loaded."""
    found = {}
    with session_scope() as session:
        for model in (WbStocksGroup, WbStocksGroupItem):
            table = table_of(model)
            columns = [c for c in table.columns if c.name != "loaded_at"]
            found[table.name] = sorted(tuple(row) for row in session.execute(select(*columns)))
    return found


@pytest.fixture
def batches(store: None, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rows of each upsert from now on; every answer is read record by record."""
    sizes: list[int] = []
    real = land.upsert

    def upsert(session: Session, table: Table, rows: list[dict[str, Any]]) -> int:
        sizes.append(len(rows))
        return real(session, table, rows)

    monkeypatch.setattr(land, "upsert", upsert)
    monkeypatch.setattr(land, "STREAMED_BYTES", 0)
    monkeypatch.setattr(land, "BATCH_ROWS", 200)
    monkeypatch.setattr(harvest, "today", lambda: DAY)
    return sizes


def test_an_answer_read_record_by_record_lands_what_it_lands_read_whole(batches: list[int],
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    rows = harvest_window(Gate(), ACCOUNT, ENDPOINT, (DAY, DAY), Progress())  # type: ignore[arg-type]
    streamed = _landed()
    assert len(streamed["wb_stocks_group_items"]) == 1_500 and rows >= 1_500
    assert len(batches) > 7 and max(batches) < 1_500  # a batch of rows at a time, never every item at once
    monkeypatch.setattr(land, "STREAMED_BYTES", 1 << 40)
    batches.clear()
    harvest_window(Gate(), ACCOUNT, ENDPOINT, (DAY, DAY), Progress())  # type: ignore[arg-type]
    assert _landed() == streamed
    assert sorted(batches) == sorted([len(streamed["wb_stocks_groups"]), 1_500])  # read whole: one upsert a table


def test_an_answer_cut_short_lands_nothing_of_its_page(batches: list[int]) -> None:
    with pytest.raises(Transient, match="malformed JSON body"):
        harvest_window(Gate(slice(-2_000)), ACCOUNT, ENDPOINT, (DAY, DAY), Progress())  # type: ignore[arg-type]
    assert batches  # some batches were upserted before the cut was read, and rolled back with the page
    assert _landed() == {"wb_stocks_groups": [], "wb_stocks_group_items": []}


class FileGate:
    """Every token granted; a download streams the file `body`, as the API sends it."""

    def __init__(self, body: bytes) -> None:
        self.body, self.redis = body, fakeredis.FakeRedis()
        self.answers: list[requests.Response] = []

    def fetch(self, account: Account, request: Any, call: Any, booking: Any = None,
              stream: bool = False) -> requests.Response:
        assert stream, "a task's file is downloaded streamed"
        answer = requests.Response()
        answer.status_code, answer.raw = (200, io.BytesIO(self.body)) if self.body else (204, io.BytesIO())
        self.answers.append(answer)
        return answer


def _download(gate: FileGate, window: tuple[dt.date, dt.date]) -> ReportJob:
    with session_scope() as session:
        job, _ = ensure_job(session, ACCOUNT.id, "wb.paid_storage", window, dt.timedelta(hours=1))
        save(session, job, status=JobStatus.DOWNLOADING, remote_id="t1")
        job_id = job.id
    ctx = StepContext(gate, Settings(_env_file=None), ACCOUNT, get_endpoint("wb.paid_storage"))  # type: ignore[arg-type,call-arg]
    return run_step(ctx, job_id)  # type: ignore[arg-type]


def _storage() -> list[tuple[Any, ...]]:
    table = table_of(WbPaidStorage)
    with session_scope() as session:
        return sorted(tuple(row) for row in session.execute(
            select(*(c for c in table.columns if "lineage" not in c.info))))


def test_a_task_file_is_spooled_and_read_record_by_record_landing_what_it_lands_read_whole(
        batches: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(land, "BATCH_ROWS", 50)
    records = list(paid_storage(0, "streamed", DAY, DAY + dt.timedelta(days=7)))
    body = json.dumps(records).encode()
    gate = FileGate(body)
    job = _download(gate, (DAY, DAY + dt.timedelta(days=7)))
    assert job.status == JobStatus.DONE and job.rows == len(records) > 200
    assert len(batches) > 2 and max(batches) < len(records)  # a batch at a time, never the whole file
    assert gate.answers[0]._content is False  # the body went to disk in chunks, never whole into memory
    streamed = _storage()
    with session_scope() as session:
        session.execute(delete(table_of(WbPaidStorage)))
        rows = to_rows(table_of(WbPaidStorage), records_at(decode_body(body, "whole"), "", "whole"),
                       {"account_id": ACCOUNT.id}, "whole")
        upsert(session, table_of(WbPaidStorage), rows)
    assert _storage() == streamed


def test_a_task_file_cut_short_or_empty_lands_nothing_and_an_empty_one_is_done(batches: list[int]) -> None:
    body = json.dumps(list(paid_storage(0, "streamed", DAY, DAY + dt.timedelta(days=7)))).encode()
    with pytest.raises(Transient, match=f"malformed JSON body \\({len(body) - 9} bytes\\)"):
        _download(FileGate(body[:-9]), (DAY, DAY + dt.timedelta(days=7)))
    assert batches and _storage() == []  # batches were upserted before the cut was read, and rolled back
    job = _download(FileGate(b""), (DAY, DAY + dt.timedelta(days=6)))
    assert job.status == JobStatus.DONE and job.rows == 0
