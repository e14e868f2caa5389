"""An answer of tens of MB (a big seller's stocks groups carry every product) is read record by
record and upserted a batch of rows at a time, landing exactly what reading it whole lands."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
from sqlalchemy import Table, select
from sqlmodel import Session

from emulator.wb.data.seller import big_seller
from emulator.wb.routes.stocks import groups_answer
from harvester.catalog import get_endpoint
from harvester.core.accounts import Account
from harvester.core.errors import Transient
from harvester.models.tables import table_of
from harvester.models.wb_analytics import WbStocksGroup, WbStocksGroupItem
from harvester.pipeline import harvest
from harvester.pipeline.harvest import Progress, harvest_window
from harvester.pipeline.store.db import session_scope

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
    real = harvest.upsert

    def upsert(session: Session, table: Table, rows: list[dict[str, Any]]) -> int:
        sizes.append(len(rows))
        return real(session, table, rows)

    monkeypatch.setattr(harvest, "upsert", upsert)
    monkeypatch.setattr(harvest, "STREAMED_BYTES", 0)
    monkeypatch.setattr(harvest, "BATCH_ROWS", 200)
    monkeypatch.setattr(harvest, "today", lambda: DAY)
    return sizes


def test_an_answer_read_record_by_record_lands_what_it_lands_read_whole(batches: list[int],
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    rows = harvest_window(Gate(), ACCOUNT, ENDPOINT, (DAY, DAY), Progress())  # type: ignore[arg-type]
    streamed = _landed()
    assert len(streamed["wb_stocks_group_items"]) == 1_500 and rows >= 1_500
    assert len(batches) > 7 and max(batches) < 1_500  # a batch of rows at a time, never every item at once
    monkeypatch.setattr(harvest, "STREAMED_BYTES", 1 << 40)
    batches.clear()
    harvest_window(Gate(), ACCOUNT, ENDPOINT, (DAY, DAY), Progress())  # type: ignore[arg-type]
    assert _landed() == streamed
    assert sorted(batches) == sorted([len(streamed["wb_stocks_groups"]), 1_500])  # read whole: one upsert a table


def test_an_answer_cut_short_lands_nothing_of_its_page(batches: list[int]) -> None:
    with pytest.raises(Transient, match="malformed JSON body"):
        harvest_window(Gate(slice(-2_000)), ACCOUNT, ENDPOINT, (DAY, DAY), Progress())  # type: ignore[arg-type]
    assert batches  # some batches were upserted before the cut was read, and rolled back with the page
    assert _landed() == {"wb_stocks_groups": [], "wb_stocks_group_items": []}
