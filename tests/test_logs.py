"""Redaction: no registered token and nothing JWT-shaped survives into a log event."""

from __future__ import annotations

import logging
import uuid

import pytest
import structlog
from structlog.testing import capture_logs

from emulator import make_wb_token
from harvester.core.accounts import Account
from harvester.core.logs import MASK, configure, redact, register_secret, scrub


@pytest.fixture
def secret() -> str:
    value = f"opaque-{uuid.uuid4().hex}"
    register_secret(value)
    return value


def test_a_registered_secret_is_masked_in_text_nested_values_and_exceptions(secret: str) -> None:
    with capture_logs(processors=[redact]) as logs:
        structlog.get_logger().warning(
            f"sent {secret} upstream",
            headers={"Authorization": secret, "list": [secret, "ok"], "pair": (1, f"x{secret}x")},
            error=ValueError(f"bad token {secret}"),
        )
    [event] = logs
    assert secret not in repr(event)
    assert event["event"] == f"sent {MASK} upstream"
    assert event["headers"] == {"Authorization": MASK, "list": [MASK, "ok"], "pair": (1, f"x{MASK}x")}
    assert event["error"] == f"ValueError: bad token {MASK}"


def test_a_jwt_shaped_string_is_masked_without_being_registered() -> None:
    token = make_wb_token("logs", ["analytics"])
    with capture_logs(processors=[redact]) as logs:
        structlog.get_logger().info("call", header=f"Bearer {token}", nested=[{"t": token}], exc=RuntimeError(token))
    [event] = logs
    assert token not in repr(event)
    assert (event["header"], event["nested"], event["exc"]) == (
        f"Bearer {MASK}", [{"t": MASK}], f"RuntimeError: {MASK}")


def test_a_token_read_by_an_account_is_masked_from_then_on(monkeypatch: pytest.MonkeyPatch) -> None:
    value = f"api-key-{uuid.uuid4().hex}"
    monkeypatch.setenv("HV_LOGS_TOKEN", value)
    Account(id="y1", marketplace="ym", token_env="HV_LOGS_TOKEN").token()
    assert scrub(f"key={value}") == f"key={MASK}"


@pytest.mark.parametrize(
    "text",
    ["", "harvest_done rows=42", "GET /api/v1/paid_storage/tasks/0b1c-22/status", "a.b.c", "eyJshort.x.y",
     "2024-03-01T10:00:00+00:00", "Коледино: короба, 1.7", "https://basket-01.wbbasket.ru/vol1/part2/3/images/1.webp"],
)
def test_scrub_leaves_ordinary_text_alone(text: str) -> None:
    assert scrub(text) == text


def test_secrets_shorter_than_eight_characters_are_not_registered() -> None:
    register_secret("rows")
    assert scrub("rows=42 arrows") == "rows=42 arrows"


@pytest.mark.parametrize("secret", [
    "ACMA:Zm9vYmFyYmF6cXV4:1a2b3c4d",  # a YM Api-Key's shape
    "y0_AgAAAABkZXYtdG9rZW4tZm9yLXRlc3RzLW9ubHk",  # a Yandex OAuth token's shape
])
def test_yandex_key_shapes_are_masked(secret: str) -> None:
    assert secret not in scrub(f"call failed with key {secret} (HTTP 401)")


@pytest.mark.parametrize(("level", "shown"), [("INFO", False), ("DEBUG", True)])
def test_celerys_line_per_task_stays_out_of_info_but_its_errors_show(
        level: str, shown: bool, capsys: pytest.CaptureFixture[str]) -> None:
    configure("json", level)
    try:
        logging.getLogger("celery.app.trace").info("Task harvester.harvest[1] succeeded in 0.01s: 'done'")
        logging.getLogger("celery.worker.strategy").info("Task harvester.harvest[1] received")
        logging.getLogger("celery.app.trace").error("Task harvester.harvest[2] raised unexpected: KeyError()")
        logging.getLogger("harvester.worker.tasks").info("harvest_done")
    finally:
        configure("json", "INFO")
    err = capsys.readouterr().err
    assert ("succeeded in" in err) is shown and ("received" in err) is shown
    assert "raised unexpected" in err and "harvest_done" in err


class _Watched(dict):
    """A log value that notes when a processor reads it."""

    read = False

    def items(self):  # type: ignore[no-untyped-def,override]
        _Watched.read = True
        return super().items()


@pytest.mark.parametrize(("level", "shown"), [("INFO", False), ("DEBUG", True)])
def test_an_event_below_the_level_is_dropped_before_any_processor_runs(
        level: str, shown: bool, capsys: pytest.CaptureFixture[str]) -> None:
    """The releaser logs at DEBUG ten times a second: at INFO that must cost a level check only."""
    configure("json", level)
    _Watched.read = False
    try:
        structlog.get_logger("harvester.worker.wakeups").debug("wakeups_released", detail=_Watched(count=1))
    finally:
        configure("json", "INFO")
    assert _Watched.read is shown
    assert ("wakeups_released" in capsys.readouterr().err) is shown
