"""Alembic environment: online migrations only, on the engine clinic.db would build."""

from __future__ import annotations

from alembic import context

from clinic.config import get_settings
from clinic.db import create_engine_for, is_ours
from clinic.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # a caller (a test) lends its connection
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=is_ours,  # not Rasa's tracker store tables in the same database
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `medsec db upgrade`")
run_migrations_online()
