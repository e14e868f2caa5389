"""Task plumbing that needs no broker: log context carried from publisher to task, how a task ends."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import fakeredis
import pytest
import structlog
from sqlmodel import Session, select

from harvester.core.settings import get_settings
from harvester.models import HarvestRun
from harvester.pipeline.client import Client
from harvester.pipeline.limiter import Limiter
from harvester.pipeline.store.db import get_engine
from harvester.worker import tasks
from harvester.worker.runtime import Runtime
from harvester.worker.signals import _bind_context, _carry_context, _dispatch_at_start, _unbind_context


def test_a_task_inherits_its_publishers_context_and_its_own_arguments_win() -> None:
    structlog.contextvars.bind_contextvars(task_id="dispatch-1", endpoint="wb.paid_storage", cadence="daily")
    headers: dict = {}
    _carry_context(headers=headers)
    structlog.contextvars.clear_contextvars()
    assert headers["harvester_context"] == {"queued_by": "dispatch-1", "endpoint": "wb.paid_storage",
                                            "cadence": "daily"}

    task = SimpleNamespace(name="harvester.harvest",
                           request=SimpleNamespace(harvester_context=headers["harvester_context"]))
    _bind_context(task_id="harvest-7", task=task, args=("shop", "wb.stocks_products", "2026-11-01", "2026-11-01"),
                  kwargs={})
    context = structlog.contextvars.get_contextvars()
    _unbind_context()
    assert context == {"queued_by": "dispatch-1", "cadence": "daily", "task_id": "harvest-7",
                       "task": "harvester.harvest", "account": "shop", "endpoint": "wb.stocks_products",
                       "start": "2026-11-01", "end": "2026-11-01"}


def test_a_unit_that_ends_failed_ends_its_task_in_failure_after_its_run_is_recorded(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "accounts.toml").write_text("")
    for name, value in (("DATABASE_URL", database_url), ("ACCOUNTS_FILE", str(tmp_path / "accounts.toml")),
                        ("BROKER_URL", "redis://unused"), ("ENV_FILE", "/nonexistent")):
        monkeypatch.setenv(f"HARVESTER_{name}", value)
    get_settings.cache_clear()
    settings, fake = get_settings(), fakeredis.FakeRedis(decode_responses=True)
    monkeypatch.setattr(tasks, "get_runtime", lambda: Runtime(settings, fake, Limiter(fake, settings),
                                                              Client(settings)))
    # The task's own function, under a stand-in for Celery's bound task: an exception it raises is
    # Celery's FAILURE state, and one declared in `throws` is logged without a traceback, never retried.
    task = SimpleNamespace(request=SimpleNamespace(id="harvest-1"))
    with pytest.raises(tasks.UnitFailed) as failed:
        tasks.harvest.__wrapped__.__func__(task, "ghost", "wb.stocks_products", "2026-11-01", "2026-11-01")
    get_settings.cache_clear()
    assert tasks.UnitFailed in tasks.harvest.throws and tasks.UnitFailed in tasks.flow_step.throws
    assert "account ghost" in str(failed.value)
    with Session(get_engine(database_url)) as session:
        (run,) = session.exec(select(HarvestRun)).all()
    assert (run.status, run.error, run.task_id) == ("failed", str(failed.value), "harvest-1")  # committed first


@pytest.mark.parametrize("on", [True, False])
def test_beat_dispatches_everything_due_when_it_starts_unless_told_not_to(
        monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    monkeypatch.setenv("HARVESTER_ENV_FILE", "/nonexistent")
    monkeypatch.setenv("HARVESTER_DISPATCH_AT_START", str(on).lower())
    get_settings.cache_clear()
    sent: list[str] = []
    _dispatch_at_start(sender=SimpleNamespace(app=SimpleNamespace(send_task=sent.append)))
    get_settings.cache_clear()
    assert sent == (["harvester.dispatch"] if on else [])
