"""Report-flow transitions that are hard to provoke end to end: deadlines, unknown statuses,
expired reports, rebuild caps, 204 downloads. The gate is a stub answering from a table."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import fakeredis
import pytest
import requests
from sqlmodel import Session, select

from emulator import make_wb_token
from harvester.catalog import get_endpoint
from harvester.core.accounts import Account
from harvester.core.settings import Settings
from harvester.models import HarvestRun, JobStatus, ReportJob, ReportQuota
from harvester.models.state import utcnow
from harvester.pipeline.client import decode_json
from harvester.pipeline.flows import quota
from harvester.pipeline.flows.jobs import ensure_job, save
from harvester.pipeline.flows.run import run_step
from harvester.pipeline.flows.steps import StepContext
from harvester.pipeline.gate import Wait
from harvester.pipeline.store.db import get_engine, session_scope

WINDOW = (dt.date(2026, 11, 1), dt.date(2026, 11, 2))

pytestmark = pytest.mark.usefixtures("store")


def answer(status: int, body: Any = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = b"" if body is None else json.dumps(body).encode()
    return response


class StubGate:
    """Every token is granted; each call's path gets the next canned answer."""

    def __init__(self, answers: dict[str, list[requests.Response]]) -> None:
        self.answers = answers
        self.sent: list[str] = []
        self.redis = fakeredis.FakeRedis()

    def acquire(self, account: Account, call: Any, booking: Any = None) -> None:
        pass

    def send(self, account: Account, request: Any, call: Any, stream: bool = False) -> requests.Response:
        self.sent.append(call.path)
        return self.answers[call.path].pop(0)

    def call(self, account: Account, request: Any, call: Any, booking: Any = None) -> Any:
        return decode_json(self.fetch(account, request, call, booking), request.label)

    def fetch(self, account: Account, request: Any, call: Any, booking: Any = None,
              stream: bool = False) -> requests.Response:
        return self.send(account, request, call, stream=stream)


def _job(endpoint: str, **changes: Any) -> int:
    with session_scope() as session:
        job, _ = ensure_job(session, "a1", endpoint, WINDOW, dt.timedelta(hours=1))
        save(session, job, **changes)
        return job.id  # type: ignore[return-value]


def _step(endpoint: str, job_id: int, gate: StubGate) -> ReportJob:
    account = Account(id="a1", marketplace="wb", token_env="UNUSED")
    ctx = StepContext(gate, Settings(_env_file=None), account, get_endpoint(endpoint))  # type: ignore[arg-type,call-arg]
    return run_step(ctx, job_id)


def _runs() -> list[HarvestRun]:
    with Session(get_engine()) as session:
        return list(session.exec(select(HarvestRun).order_by(HarvestRun.id)))  # type: ignore[arg-type]


CSV = "wb.csv.detail_history"
LIST = "/api/v2/nm-report/downloads"


def test_a_job_past_its_deadline_ends_timed_out_with_a_record() -> None:
    job_id = _job(CSV, status=JobStatus.POLLING, remote_id="r1", deadline_at=utcnow() - dt.timedelta(seconds=1))
    gate = StubGate({})
    assert _step(CSV, job_id, gate).status == JobStatus.TIMED_OUT
    assert gate.sent == []
    assert [(r.status, "deadline" in (r.error or "")) for r in _runs()] == [("failed", True)]


def test_an_unknown_report_status_fails_the_job_clearly() -> None:
    job_id = _job(CSV, status=JobStatus.POLLING, remote_id="r1")
    gate = StubGate({LIST: [answer(200, {"data": [{"id": "r1", "status": "ARCHIVED"}]})]})
    assert _step(CSV, job_id, gate).status == JobStatus.FAILED
    assert "unknown status 'ARCHIVED'" in (_runs()[-1].error or "")


def test_a_report_gone_from_the_list_is_created_again_once_and_the_run_log_says_why() -> None:
    job_id = _job(CSV, status=JobStatus.POLLING, remote_id="r1", attempts=1)
    gate = StubGate({LIST: [answer(200, {"data": []}), answer(200, {"data": []})]})
    job = _step(CSV, job_id, gate)
    assert (job.status, job.remote_id) == (JobStatus.NEW, None)
    assert _runs()[-1].status == "recreated" and "48-hour retention" in (_runs()[-1].error or "")
    _job(CSV, status=JobStatus.POLLING, remote_id="r2", attempts=2, next_run_at=utcnow())
    assert _step(CSV, job_id, gate).status == JobStatus.FAILED  # the second report is gone too: give up
    assert "gave up after 2 reports" in (_runs()[-1].error or "")


def test_a_failed_report_is_rebuilt_after_a_cooldown_then_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNUSED", make_wb_token("s1", ["analytics"]))
    owner = Account(id="a1", marketplace="wb", token_env="UNUSED").budget_owner()  # the seller's budget
    job_id = _job(CSV, status=JobStatus.POLLING, remote_id="r1", attempts=1)
    failed = {"data": [{"id": "r1", "status": "FAILED"}]}
    gate = StubGate({LIST: [answer(200, failed), answer(200, failed)],
                     f"{LIST}/retry": [answer(200, {"data": "Retry"})]})
    job = _step(CSV, job_id, gate)
    assert job.status == JobStatus.RETRYING and job.next_run_at > utcnow()  # the cooldown
    _job(CSV, next_run_at=utcnow())
    assert _step(CSV, job_id, gate).status == JobStatus.POLLING
    with session_scope() as session:
        assert quota.take(session, owner, 20)  # its create's slot
    _job(CSV, retries=Settings(_env_file=None).report_max_retries, next_run_at=utcnow(), checked_at=None)  # type: ignore[call-arg]
    assert _step(CSV, job_id, gate).status == JobStatus.FAILED
    assert gate.sent == [LIST, f"{LIST}/retry", LIST]
    with session_scope() as session:  # WB counts successful generations: the slot is given back
        assert session.get(ReportQuota, (owner, quota.quota_day())).used == 0  # type: ignore[union-attr]


def test_a_204_download_is_an_empty_window() -> None:
    job_id = _job(CSV, status=JobStatus.DOWNLOADING, remote_id="r1")
    gate = StubGate({f"{LIST}/file/{{report_id}}": [answer(204)]})
    job = _step(CSV, job_id, gate)
    assert (job.status, job.rows) == (JobStatus.DONE, 0)
    assert _runs()[-1].status == "ok"


def test_a_woken_early_step_does_nothing() -> None:
    job_id = _job(CSV, status=JobStatus.POLLING, remote_id="r1", next_run_at=utcnow() + dt.timedelta(minutes=5))
    gate = StubGate({})
    assert _step(CSV, job_id, gate).status == JobStatus.POLLING and gate.sent == []


def test_one_list_call_serves_every_waiting_report_of_the_account() -> None:
    first = _job(CSV, status=JobStatus.POLLING, remote_id="r1")
    with session_scope() as session:
        other, _ = ensure_job(session, "a1", "wb.csv.grouped_history", WINDOW, dt.timedelta(hours=1))
        save(session, other, status=JobStatus.POLLING, remote_id="r2")
        second = other.id
    both = {"data": [{"id": "r1", "status": "PROCESSING"}, {"id": "r2", "status": "SUCCESS"}]}
    gate = StubGate({LIST: [answer(200, both)]})
    assert _step(CSV, first, gate).status == JobStatus.POLLING
    assert _step("wb.csv.grouped_history", second, gate).status == JobStatus.DOWNLOADING  # no second call
    assert gate.sent == [LIST]


def test_a_sibling_rebuilt_while_the_list_call_was_out_keeps_its_own_state() -> None:
    first = _job(CSV, status=JobStatus.POLLING, remote_id="r1")
    with session_scope() as session:
        other, _ = ensure_job(session, "a1", "wb.csv.grouped_history", WINDOW, dt.timedelta(hours=1))
        save(session, other, status=JobStatus.POLLING, remote_id="r2")
        second = other.id

    class RebuildMeanwhile(StubGate):
        def send(self, account: Account, request: Any, call: Any, stream: bool = False) -> requests.Response:
            with session_scope() as session:  # the sibling's own step sends its rebuild now
                sibling = session.get(ReportJob, second)
                save(session, sibling, retries=1, remote_status=None, checked_at=None)
            return super().send(account, request, call, stream)

    stale = {"data": [{"id": "r1", "status": "PROCESSING"}, {"id": "r2", "status": "FAILED"}]}
    assert _step(CSV, first, RebuildMeanwhile({LIST: [answer(200, stale)]})).status == JobStatus.POLLING
    with Session(get_engine()) as session:
        sibling = session.get(ReportJob, second)
        assert sibling is not None and (sibling.remote_status, sibling.checked_at) == (None, None)


class OneTokenGate(StubGate):
    """A budget of `tokens` calls; past it, taking a token means waiting (as the shared bucket would)."""

    def __init__(self, answers: dict[str, list[requests.Response]], tokens: int) -> None:
        super().__init__(answers)
        self.tokens = tokens
        self.methods: list[str] = []

    def acquire(self, account: Account, call: Any, booking: Any = None) -> None:
        if self.tokens == 0:
            raise Wait(20.0)
        self.tokens -= 1

    def call(self, account: Account, request: Any, call: Any, booking: Any = None) -> Any:
        self.acquire(account, call, booking)
        return super().call(account, request, call, booking)

    def send(self, account: Account, request: Any, call: Any, stream: bool = False) -> requests.Response:
        self.methods.append(call.method)
        return super().send(account, request, call, stream)


def test_a_create_found_absent_after_a_restart_is_sent_next_time_instead_of_looking_again() -> None:
    """The lookup and the create share one budget: a job in CREATING must not spend every token
    it gets on the lookup (the livelock: list calls, never a create)."""
    job_id = _job(CSV, status=JobStatus.CREATING, remote_id="r1")
    first = OneTokenGate({LIST: [answer(200, {"data": []})]}, tokens=1)
    with pytest.raises(Wait):
        _step(CSV, job_id, first)
    assert first.methods == ["GET"]  # the lookup took the one token; the create must wait
    second = OneTokenGate({LIST: [answer(200, {})]}, tokens=1)
    job = _step(CSV, job_id, second)
    assert second.methods == ["POST"] and job.status == JobStatus.POLLING  # the create, not the lookup again
