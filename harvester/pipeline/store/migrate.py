"""Schema migrations of the store, run from code with the Alembic environment in `migrations/`.

Every process calls `ensure_schema` at start. A fresh database is migrated to head, so the
embedded and demo setups need no extra step; one at head is left alone; one at another
revision is refused, because migrating a production database is a deliberate step
(`harvester db upgrade`). A database made by the `create_all` of earlier versions is adopted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import structlog
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import harvester.models  # noqa: F401  (registers every table on the metadata)

log = structlog.get_logger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_KEY = 0x68617276  # the PostgreSQL advisory lock of migrations ("harv")


class SchemaError(RuntimeError):
    """The database is not at the schema this harvester expects; the message says what to do."""


def head() -> str:
    """The revision this version of the harvester expects."""
    return _script().get_current_head()  # type: ignore[return-value]  # one linear history


def current(engine: Engine) -> str | None:
    """The database's revision; None if it was never migrated (or was downgraded to base)."""
    with engine.connect() as conn:
        return _revision(conn)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision`, one process at a time."""
    with _migration_lock(engine) as conn:
        _alembic(conn, command.upgrade, revision)


def ensure_schema(engine: Engine) -> None:
    """Make sure the database is at head before a process uses it.

    No harvester tables: migrate to head. At head: nothing. At another revision: SchemaError.
    Tables but no revision (made by `create_all`): adopted, see `_adopt`. Processes starting
    together on a fresh database take turns under `_migration_lock` and re-check inside it.
    """
    with engine.connect() as conn:
        if _at_head(conn):
            return
    with _migration_lock(engine) as conn:
        if _at_head(conn):  # another process migrated while this one waited for the lock
            return
        if _harvester_tables(conn):
            _adopt(conn)
        else:
            _alembic(conn, command.upgrade, "head")
            log.info("schema_created", revision=head())


def check_schema(engine: Engine) -> None:
    """For a read-only command: the database must be at head already; it is never migrated here."""
    with engine.connect() as conn:
        if not _at_head(conn):
            raise SchemaError("this database holds no harvester schema yet: run `harvester db upgrade` "
                              "(or start a worker, which migrates a fresh database)")


def _at_head(conn: Connection) -> bool:
    """True at head, False if never migrated; SchemaError at any other revision."""
    revision = _revision(conn)
    if revision is None:
        return False
    if revision == head():
        return True
    if revision in {script.revision for script in _script().walk_revisions()}:
        raise SchemaError(
            f"database schema is at revision {revision}, this harvester expects {head()}: "
            "run `harvester db upgrade`"
        )
    raise SchemaError(
        f"database schema is at revision {revision}, which this harvester (expecting {head()}) "
        "does not know: a newer version migrated it, so upgrade the harvester"
    )


def _adopt(conn: Connection) -> None:
    """Stamp a database made by `create_all` (tables, no revision) at head if it matches the models.

    Tables it lacks are created first, as `create_all` did at every start, so a database of the
    previous release gains its new tables. Matching the models means being at head, whatever
    head is. Column types are not compared, so a database an older sqlmodel made (naive
    timestamps before 0.0.45) is adopted as it is; converting those is a migration of its own.
    """
    SQLModel.metadata.create_all(conn)
    context = MigrationContext.configure(
        conn,
        opts={
            "compare_type": False,
            "include_name": lambda name, kind, _parent: kind != "table" or name in SQLModel.metadata.tables,
        },
    )
    if differences := compare_metadata(context, SQLModel.metadata):
        raise SchemaError(
            f"database tables were not made by migrations and differ from the models: {differences}; "
            "make them match, or start from an empty database"
        )
    _alembic(conn, command.stamp, "head")  # env.py makes the views
    log.info("schema_adopted", revision=head(), detail="tables made by create_all, now stamped")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """A transaction no other process migrates in at the same time; it commits on success.

    PostgreSQL: an advisory lock held until commit (its DDL is transactional). SQLite:
    BEGIN IMMEDIATE takes the write lock up front, others wait for it (busy_timeout), and a
    half-made schema is never visible, so no one runs into "table already exists".
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        elif conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn


def _harvester_tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) & set(SQLModel.metadata.tables)


def _revision(conn: Connection) -> str | None:
    """alembic_version read directly: a MigrationContext would log at INFO on every start."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def _alembic(conn: Connection, cmd: Callable[[Config, str], None], revision: str) -> None:
    """Run an alembic command on `conn`, inside its transaction (env.py uses the connection)."""
    config = _config()
    config.attributes["connection"] = conn
    cmd(config, revision)


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    return config


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())
