"""Alembic environment of the harvester store, compared against the SQLModel tables.

`harvester.pipeline.store.migrate` runs it on its own connection (`config.attributes["connection"]`),
so no alembic.ini is needed; the `alembic` command line (configured in pyproject.toml) runs it
on `HARVESTER_DATABASE_URL`. A new revision, after changing the models, in the repository root
with a scratch database: `alembic upgrade head && alembic revision --autogenerate -m "..."`;
then read it: autogenerate misses renames and new enum values (PostgreSQL: ALTER TYPE).
"""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

import harvester.models  # noqa: F401  (registers every table on the metadata)
from harvester.core.settings import get_settings
from harvester.pipeline.store.comments import write_comments
from harvester.pipeline.store.db import make_engine
from harvester.pipeline.store.views import create_views

config = context.config


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """SQLModel's own types (AutoString, UTCDateTime) as the SQLAlchemy types they wrap.

    They create the same DDL, and revisions then depend on neither sqlmodel nor its version.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator) and type(obj).__module__.startswith("sqlmodel."):
        return f"sa.{obj.impl!r}"
    return False


def number_revision(migration_context: Any, revision: Any, directives: list[Any]) -> None:
    """Number new revisions 0002, 0003, ... after the head instead of alembic's random ids."""
    head = ScriptDirectory.from_config(migration_context.config).get_current_head()
    directives[0].rev_id = f"{int(head or 0) + 1:04d}"


OPTIONS: dict[str, Any] = {
    "target_metadata": SQLModel.metadata,
    "compare_type": True,
    "render_as_batch": True,  # ALTERs as copy-and-move on SQLite; revisions must run on both
    "render_item": render_item,
    "process_revision_directives": number_revision,
}


def run(connection: Connection) -> None:
    """Migrate, then make the views and comments afresh if that moved the database to head. They
    are derived, like Flyway's repeatable migrations: made from this release's models, never a revision's."""
    context.configure(connection=connection, **OPTIONS)
    before = context.get_context().get_current_heads()
    with context.begin_transaction():  # a no-op inside the caller's transaction
        context.run_migrations()
    after = context.get_context().get_current_heads()
    if after != before and after == (context.get_head_revision(),):
        create_views(connection)
        write_comments(connection)


if context.is_offline_mode():
    context.configure(url=get_settings().database_url, literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    run(connection)
else:
    with make_engine(get_settings().database_url).connect() as connection:
        run(connection)
