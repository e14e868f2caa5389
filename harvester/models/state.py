"""Tables of the harvester itself: the ledger of work, the run log, per-endpoint watermarks,
persisted report jobs, quotas and what it learned about accounts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from harvester.models._fields import JSON_DOC


def utcnow() -> datetime:
    return datetime.now(UTC)


class WorkState(StrEnum):
    """Where a unit of work stands in the ledger; DONE and FAILED are final."""

    QUEUED = "QUEUED"  # a wake-up message is on its way to a worker
    PARKED = "PARKED"  # waits until `due_at`: a token, a poll interval, a 429 pause or a backoff
    RUNNING = "RUNNING"  # a worker holds the lease until `lease_until`
    DONE = "DONE"
    FAILED = "FAILED"

    @property
    def final(self) -> bool:
        return self in (WorkState.DONE, WorkState.FAILED)


class WorkUnit(SQLModel, table=True):
    """One unit of work, a synchronous window or a report flow, written before anything is queued.

    The broker only carries wake-ups: a lost message, a dead worker or a restarted Redis loses
    no work, because the reconciler sends a wake-up for every unit that is due and not leased.
    `generation` grows each time the unit is queued afresh, so a stale message is recognised.
    """

    __tablename__ = "work_unit"
    __table_args__ = (UniqueConstraint("account_id", "endpoint", "window_start", "window_end"),
                      Index("ix_work_unit_state_due_at", "state", "due_at"))

    id: int | None = Field(default=None, primary_key=True)
    account_id: str
    endpoint: str
    window_start: date
    window_end: date
    state: WorkState = WorkState.QUEUED
    generation: int = 1
    due_at: datetime = Field(default_factory=utcnow)
    queued_at: datetime | None = None  # when its last wake-up was sent
    queued_by: str | None = None  # the dispatch or backfill task that asked for it
    lease_owner: str | None = None  # the task id running it
    lease_until: datetime | None = None
    failures: int = 0  # transient failures of the marketplace; outages of our own do not count
    # a window's cursor, ids done, rows, booking
    progress: dict[str, Any] | None = Field(default=None, sa_type=JSON_DOC)
    job_id: int | None = None  # the report_job of a report flow
    rows: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class HarvestRun(SQLModel, table=True):
    """One fetch of one window for one account: what landed, how it ended, how long it took."""

    __tablename__ = "harvest_run"
    # `advance_watermark` reads one account × endpoint's runs past its watermark: by this index,
    # not by merging the account and endpoint indexes, whose endpoint side grows with every account.
    __table_args__ = (Index("ix_harvest_run_account_endpoint_window_end", "account_id", "endpoint", "window_end"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(index=True)
    endpoint: str = Field(index=True)
    window_start: date
    window_end: date
    status: str  # ok | failed | recreated (a flow starts over) | unconfirmed (maybe created twice); see `error`
    rows: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime = Field(default_factory=utcnow)
    duration_ms: int = 0
    task_id: str | None = None
    job_id: int | None = None
    unit_id: int | None = Field(default=None, index=True)  # the ledger's unit; data rows it wrote name it


class Watermark(SQLModel, table=True):
    """How far an account × endpoint is complete, and its last success."""

    __tablename__ = "watermark"

    account_id: str = Field(primary_key=True)
    endpoint: str = Field(primary_key=True)
    complete_until: date | None = None
    last_success_at: datetime | None = None


class JobStatus(StrEnum):
    """States of a persisted report flow; DONE, FAILED and TIMED_OUT are terminal."""

    NEW = "NEW"  # to be created at the marketplace
    CREATING = "CREATING"  # create call sent; the remote id may not be saved yet
    POLLING = "POLLING"  # created; waiting for the marketplace to finish it
    RETRYING = "RETRYING"  # the report failed; ask the marketplace to build it again after a cooldown
    DOWNLOADING = "DOWNLOADING"  # ready; download and load it
    DONE = "DONE"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED, JobStatus.TIMED_OUT)


class ReportJob(SQLModel, table=True):
    """One report flow for one account, endpoint and window; each task moves it one step."""

    __tablename__ = "report_job"
    __table_args__ = (UniqueConstraint("account_id", "endpoint", "window_start", "window_end"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(index=True)
    endpoint: str
    window_start: date
    window_end: date
    status: JobStatus = Field(default=JobStatus.NEW, index=True)
    remote_id: str | None = None
    attempts: int = 0  # reports created for this job so far
    retries: int = 0  # times the marketplace was asked to rebuild a failed report
    remote_status: str | None = None  # the marketplace's last word on the report (CSV: from a shared list call)
    checked_at: datetime | None = None  # when `remote_status` was read
    rows: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    next_run_at: datetime = Field(default_factory=utcnow, index=True)
    deadline_at: datetime = Field(default_factory=utcnow)


class ReportQuota(SQLModel, table=True):
    """Reports created per account per marketplace day: WB allows 20 CSV reports a day."""

    __tablename__ = "report_quota"

    account_id: str = Field(primary_key=True)
    day: date = Field(primary_key=True)
    used: int = 0


class AccountState(SQLModel, table=True):
    """What the harvester learned about an account: a token the API refused stops its schedules."""

    __tablename__ = "account_state"

    account_id: str = Field(primary_key=True)
    token_invalid_at: datetime | None = None  # set by a 401, cleared when the token changes
    token_error: str | None = Field(default=None, sa_column=Column(Text))
    token_fingerprint: str | None = None  # a hash of the refused token, never the token


class EndpointBlock(SQLModel, table=True):
    """Endpoints an account cannot use: WB's Jam-only methods answer 403 without the
    subscription, and every method of a token category the token lacks answers 401.

    `feature` is the subscription an endpoint `requires` ("jam"), a token category
    ("scope:promotion"), or the endpoint's name. Dispatch skips them until the account's entry
    or its token changes (`settings_fingerprint` covers both), so a seller without Jam costs
    one recorded failure, not one every cycle.
    """

    __tablename__ = "endpoint_block"

    account_id: str = Field(primary_key=True)
    feature: str = Field(primary_key=True)
    since: datetime = Field(default_factory=utcnow)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    settings_fingerprint: str
