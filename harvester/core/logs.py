"""Structured logs: JSON for daemons, readable on a terminal, and never a token.

`redact` runs last before rendering, on every event and exception text: it masks every token
this process has read (registered by `accounts`) and anything shaped like a WB JWT or a
Yandex Market key.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

# A WB token (a JWT, also cut off), a YM Api-Key ("ACMA:…:…") and a Yandex OAuth token ("y0_…").
_SECRET_SHAPES = re.compile(
    r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)?"
    r"|ACMA:[A-Za-z0-9+/=_-]{8,}:[A-Za-z0-9+/=_-]{4,}"
    r"|\by0_[A-Za-z0-9_-]{20,}"
)
_secrets: set[str] = set()
MASK = "[REDACTED]"


def register_secret(value: str) -> None:
    """Remember a token so that no log line can print it."""
    if len(value) >= 8:
        _secrets.add(value)


def scrub(text: str) -> str:
    """`text` with every known token and JWT-shaped string masked."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return _SECRET_SHAPES.sub(MASK, text)


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_scrub_value(v) for v in value)
    if isinstance(value, BaseException):
        return scrub(f"{type(value).__name__}: {value}")
    return value


def redact(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: mask secrets in every field, the message and rendered exceptions."""
    return {key: _scrub_value(value) for key, value in event_dict.items()}


def processors() -> list[Any]:
    """The chain every logger uses, redaction last before the renderer."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact,
    ]


# Celery's line per task received, retried and succeeded: 97% of a worker's log, saying less
# than harvester's own events (harvest_done, harvest_failed, flow_done).
CELERY_PER_TASK = ("celery.app.trace", "celery.worker.strategy")


def configure(log_format: str = "auto", level: str = "INFO") -> None:
    """Route structlog and stdlib logging (Celery's too) through one redacting renderer."""
    use_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if use_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        # below the level, an event is dropped before the chain runs (the releaser's debug line
        # ten times a second was redacted, stamped and then thrown away by stdlib logging)
        processors=[structlog.stdlib.filter_by_level, *processors(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in CELERY_PER_TASK:  # back at DEBUG; their warnings and errors always show
        logging.getLogger(name).setLevel(level if level == "DEBUG" else "WARNING")
