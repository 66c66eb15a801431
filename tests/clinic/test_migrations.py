"""The Alembic migrations build exactly the models' schema, up and down, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from clinic.db import alembic_config, create_engine_for, is_ours, upgrade
from clinic.models import Base


def _diff(url: str) -> list:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_name": is_ours}
            )
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_sqlite_schema_matches_the_models(db_url):
    assert _diff(db_url) == []


def test_rasas_tracker_tables_in_the_same_database_are_left_alone(db_url):
    engine = create_engine_for(db_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT)"))
    engine.dispose()
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            bare = MigrationContext.configure(connection, opts={"compare_type": True})
            # without the filter, autogenerate would write a migration dropping Rasa's table
            assert ("remove_table", "events") in [
                (d[0], d[1].name) for d in compare_metadata(bare, Base.metadata)
            ]
    finally:
        engine.dispose()
    assert _diff(db_url) == []


@pytest.mark.postgres
def test_postgres_schema_matches_the_models(pg_url):
    assert _diff(pg_url) == []


def test_downgrade_and_upgrade_again(tmp_path):
    from alembic import command

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    engine = create_engine_for(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    upgrade(url)
    upgrade(url)  # repeating is harmless
    engine = create_engine_for(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"appointments", "outbox", "audit_log"} <= tables
