"""Engine and sessions for the configured database (PostgreSQL in production, SQLite embedded).

SQLite gets WAL and a busy timeout so several worker processes can write one file. The schema
comes from migrations (`harvester.pipeline.store.migrate`), checked once per engine.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from harvester.core.settings import get_settings
from harvester.pipeline.store.migrate import check_schema, ensure_schema


def json_value(value: Any) -> Any:
    """What JSON cannot hold as it is, as the store writes it: a JSON answer's decimal
    (`decode_json` keeps them exact) as a JSON number again, the float's shortest repr being the
    text the API sent for every figure of up to 15 digits; a date or moment in ISO form."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):  # a datetime too
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json_text(value: Any) -> str:
    return json.dumps(value, default=json_value)


def make_engine(url: str) -> Engine:
    """An engine with the per-dialect settings the harvester relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60}, json_serializer=_json_text)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, json_serializer=_json_text)


def get_engine(url: str | None = None, migrate: bool = True) -> Engine:
    """The process's engine for `url` (default: the configured database), its schema at head.

    A fresh database is migrated, unless `migrate` is off (a read-only command), which raises
    `SchemaError` instead; one behind always raises it (run `harvester db upgrade`).
    """
    key = (url or get_settings().database_url, migrate)
    if key not in _engines:
        engine = make_engine(key[0])
        (ensure_schema if migrate else check_schema)(engine)
        _engines[key] = engine
    return _engines[key]


_engines: dict[tuple[str, bool], Engine] = {}


def reset_engines() -> None:
    """Close this process's engines: their pooled connections hold plans of tables that may
    have been replaced (tests recreate them; PostgreSQL then refuses a cached plan)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
