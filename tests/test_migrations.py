"""Migrations: the migrated schema is the models' schema, and `ensure_schema` at every start
migrates a fresh database, leaves one at head alone, refuses one behind, and adopts one made
by the `create_all` of earlier versions. SQLite, and PostgreSQL with HARVESTER_TEST_DATABASE_URL.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Float, MetaData, Numeric, Table, event, inspect, select, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from structlog.testing import capture_logs

from harvester.models import JobStatus, WorkState
from harvester.pipeline.store.db import make_engine
from harvester.pipeline.store.migrate import (
    MIGRATIONS,
    SchemaError,
    current,
    ensure_schema,
    head,
    upgrade,
)
from harvester.pipeline.store.views import drop_views


def _drop_everything(engine: Engine) -> None:
    with engine.begin() as conn:
        drop_views(conn)
        SQLModel.metadata.drop_all(conn)
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


@pytest.fixture
def bare_engine(database_url: str) -> Iterator[Engine]:
    """A database without a single table, not even alembic_version (the fixture's PostgreSQL has them)."""
    engine = make_engine(database_url)
    _drop_everything(engine)
    yield engine
    _drop_everything(engine)
    engine.dispose()


@contextmanager
def _writes(engine: Engine) -> Iterator[list[str]]:
    """The statements that change schema or data, run on `engine` inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_migrated_schema_is_the_models_schema(bare_engine: Engine) -> None:
    upgrade(bare_engine)

    assert current(bare_engine) == head() == "0011"
    with bare_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
        if conn.dialect.name == "postgresql":  # compare_metadata does not look at enum labels
            enums = {enum["name"]: enum["labels"] for enum in inspect(conn).get_enums()}
            assert enums == {"jobstatus": [status.name for status in JobStatus],
                             "workstate": [state.name for state in WorkState]}


def test_upgrade_again_changes_nothing(bare_engine: Engine) -> None:
    upgrade(bare_engine)
    with _writes(bare_engine) as writes:
        upgrade(bare_engine)

    assert writes == []
    assert current(bare_engine) == head()


def test_ensure_schema_migrates_an_empty_database_to_head(bare_engine: Engine) -> None:
    with capture_logs() as logs:
        ensure_schema(bare_engine)

    assert current(bare_engine) == head()
    assert set(SQLModel.metadata.tables) <= set(inspect(bare_engine).get_table_names())
    assert [log["event"] for log in logs] == ["schema_created"]


def test_ensure_schema_leaves_a_database_at_head_alone(bare_engine: Engine) -> None:
    upgrade(bare_engine)
    with _writes(bare_engine) as writes:
        ensure_schema(bare_engine)

    assert writes == []


def test_ensure_schema_refuses_a_database_behind(bare_engine: Engine) -> None:
    """A release whose head is 0011 meets a database at 0010."""
    upgrade(bare_engine, "0010")

    with _writes(bare_engine) as writes, pytest.raises(SchemaError) as error:
        ensure_schema(bare_engine)

    assert str(error.value) == (
        "database schema is at revision 0010, this harvester expects 0011: run `harvester db upgrade`"
    )
    assert writes == []


def test_ensure_schema_refuses_a_revision_it_does_not_know(bare_engine: Engine) -> None:
    upgrade(bare_engine)
    with bare_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))

    with pytest.raises(SchemaError, match=r"revision 0099, which this harvester .* upgrade the harvester"):
        ensure_schema(bare_engine)


def test_the_environment_runs_on_a_given_connection_and_downgrades_to_base(bare_engine: Engine) -> None:
    """No alembic.ini: env.py takes the connection from config.attributes; after base, start over."""
    upgrade(bare_engine)
    with bare_engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.downgrade(config, "base")

    assert current(bare_engine) is None
    assert inspect(bare_engine).get_table_names() == ["alembic_version"]
    ensure_schema(bare_engine)  # PostgreSQL: the enum types went with the tables
    assert current(bare_engine) == head()


def test_a_create_all_database_is_stamped(bare_engine: Engine) -> None:
    SQLModel.metadata.create_all(bare_engine)

    with capture_logs() as logs:
        ensure_schema(bare_engine)

    assert current(bare_engine) == head()
    assert [log["event"] for log in logs] == ["schema_adopted"]


def test_a_create_all_database_of_the_previous_release_gains_its_new_table(bare_engine: Engine) -> None:
    tables = [table for name, table in SQLModel.metadata.tables.items() if name != "account_state"]
    SQLModel.metadata.create_all(bare_engine, tables=tables)

    ensure_schema(bare_engine)

    assert "account_state" in inspect(bare_engine).get_table_names()
    assert current(bare_engine) == head()


def test_a_create_all_database_that_differs_from_the_models_is_refused(bare_engine: Engine) -> None:
    SQLModel.metadata.create_all(bare_engine)
    with bare_engine.begin() as conn:
        conn.execute(text("ALTER TABLE harvest_run ADD COLUMN legacy INTEGER"))

    with pytest.raises(SchemaError, match=r"differ from the models.*legacy"):
        ensure_schema(bare_engine)
    assert current(bare_engine) is None


def _start(url: str, ready: Any, results: Any) -> None:
    """One process starting on the shared database, at the same moment as the others."""
    engine = make_engine(url)
    ready.wait(timeout=60)
    try:
        ensure_schema(engine)
        results.put(current(engine))
    except Exception as exc:
        results.put(repr(exc))


def test_processes_starting_together_on_a_fresh_database_all_get_the_schema(
    bare_engine: Engine, database_url: str
) -> None:
    spawn = multiprocessing.get_context("spawn")
    ready, results = spawn.Barrier(4), spawn.Queue()
    processes = [spawn.Process(target=_start, args=(database_url, ready, results)) for _ in range(4)]
    for process in processes:
        process.start()

    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)

    assert outcomes == [head()] * 4


def _sample(column: Any, i: int) -> Any:
    """A value of the column's type, distinct per column."""
    kind = type(column.type).__name__.upper()
    if "INT" in kind:
        return 1000 + i
    if kind in ("FLOAT", "REAL", "DOUBLE", "DOUBLE_PRECISION", "NUMERIC"):
        return i + 0.5
    if kind == "DATE":
        return dt.date(2026, 11, 1 + i % 28)
    if "TIME" in kind:
        return dt.datetime(2026, 11, 1, i % 24, tzinfo=dt.UTC)
    if kind == "BOOLEAN":
        return i % 2 == 0
    if "JSON" in kind:
        return {"k": i}
    return f"v{i}"


def _module(revision: str) -> Any:
    return ScriptDirectory(str(MIGRATIONS)).get_revision(revision).module  # type: ignore[union-attr]


def _at_head(table: str, column: str, since: str) -> str:
    """A column's name at head, after the renames of 0004 (from 0003) and 0010, as each revision lists them."""
    vocabulary, money = _module("0004"), _module("0010")
    if since < "0004" and column in vocabulary.TABLES.get(table, ()):
        column = vocabulary.renamed(column)
    return {(t, old): new for t, old, new in money.COLUMNS}.get((table, column), column)


def test_the_vocabulary_migrations_rename_in_place_and_keep_every_value(bare_engine: Engine) -> None:
    upgrade(bare_engine, "0003")
    written: dict[str, dict[str, Any]] = {}
    with bare_engine.begin() as conn:
        for name in inspect(conn).get_table_names():
            table = Table(name, MetaData(), autoload_with=conn)
            if all(_at_head(name, column.name, "0003") == column.name for column in table.columns):
                continue
            row = {c.name: _sample(c, i) for i, c in enumerate(table.columns)}
            conn.execute(table.insert().values(row))
            written[name] = {_at_head(name, column, "0003"): value for column, value in row.items()}
    assert len(written) == 32  # 27 of the vocabulary, 5 more of the money words

    upgrade(bare_engine)

    with bare_engine.connect() as conn:
        for name, row in written.items():
            table = Table(name, MetaData(), autoload_with=conn)
            stored = dict(conn.execute(select(table)).one()._mapping)
            assert {k: v.replace(tzinfo=dt.UTC) if isinstance(v, dt.datetime) and v.tzinfo is None else v
                    for k, v in stored.items() if k in row} == row, name  # later columns (lineage) aside


def test_the_exact_types_migration_keeps_every_value(bare_engine: Engine) -> None:
    """Rows written at 0008 (money with kopecks as double precision, JSON, timestamps) read back
    exactly at head: money as the Decimal the API sent, JSON and times unchanged."""
    upgrade(bare_engine, "0008")
    tables = [SQLModel.metadata.tables[name] for name in ("wb_adv_fullstats_days", "wb_adv_media_stats")]
    with bare_engine.begin() as conn:
        at_0008 = {t: Table(t.name, MetaData(), autoload_with=conn) for t in tables}
        rows = {}
        for table, old in at_0008.items():
            row = {c.name: _sample(c, i) for i, c in enumerate(old.columns)}
            row.update({c.name: 1234567.89 for c in old.columns if c.name in ("sum", "cpc", "expenses")})
            conn.execute(old.insert().values(row))
            rows[table] = row

    upgrade(bare_engine)

    with bare_engine.connect() as conn:
        for table, row in rows.items():
            stored = dict(conn.execute(select(table)).one()._mapping)
            for column, value in row.items():
                name = _at_head(table.name, column, "0008")
                got = stored[name]
                if isinstance(table.c[name].type, Numeric) and not isinstance(table.c[name].type, Float):
                    assert got == Decimal(repr(value)), name  # 1234567.89 is the Decimal 1234567.89
                elif isinstance(value, dt.datetime):
                    assert got.replace(tzinfo=got.tzinfo or dt.UTC) == value, name
                else:
                    assert got == value, name
