"""A version token for the practice's reference data, kept by the database itself.

`practice_version` holds one row (id = 1) whose `token` changes whenever the settings, opening
hours, closures, rooms, providers, their hours or the appointment types change, whoever makes
the change (`medsec clinic load`, another process, a psql session). `clinic.cache` keeps the
practice in memory per token and reads only the token per call.

The token is random rather than a counter, so an equal token always means equal data: a copied
database file or a re-created schema can never pass an old token off as new. Deleting or
truncating the row puts a fresh token back (so "no row" never has to mean anything).

Note for later migrations: on SQLite a batch migration that recreates one of these tables
drops its triggers; recreate them (see `upgrade` below), or the cache will miss its changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What clinic.cache keeps in memory. (Time off is not cached: it is read with the bookings.)
REFERENCE_TABLES = (
    "clinic_settings",
    "opening_hours",
    "closures",
    "rooms",
    "providers",
    "provider_hours",
    "appointment_types",
    "appointment_type_providers",
    "appointment_type_rooms",
)
PG_NEW_TOKEN = (
    "INSERT INTO practice_version (id, token) VALUES (1, gen_random_uuid()::text) "
    "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token"
)
# SQLite: REPLACE is all a one-row table needs (and is allowed inside a trigger body).
SQLITE_NEW_TOKEN = (
    "INSERT OR REPLACE INTO practice_version (id, token) VALUES (1, lower(hex(randomblob(16))))"
)


def upgrade() -> None:
    op.create_table(
        "practice_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_version")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_NEW_TOKEN)
        op.execute(
            "CREATE FUNCTION practice_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {PG_NEW_TOKEN}; RETURN NULL; END $$"
        )
        # Statement-level: one new token per statement, also for TRUNCATE.
        for table in REFERENCE_TABLES:
            op.execute(
                f"CREATE TRIGGER practice_version_bump AFTER INSERT OR UPDATE OR DELETE OR "
                f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION practice_version_bump()"
            )
        op.execute(
            "CREATE TRIGGER practice_version_refill AFTER DELETE OR TRUNCATE ON practice_version "
            "FOR EACH STATEMENT EXECUTE FUNCTION practice_version_bump()"
        )
        return
    op.execute(SQLITE_NEW_TOKEN)
    for table in REFERENCE_TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(
                f"CREATE TRIGGER practice_version_{table}_{event} AFTER {event.upper()} "
                f"ON {table} BEGIN {SQLITE_NEW_TOKEN}; END"
            )
    op.execute(
        "CREATE TRIGGER practice_version_refill AFTER DELETE ON practice_version "
        f"BEGIN {SQLITE_NEW_TOKEN}; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in REFERENCE_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS practice_version_bump ON {table}")
        op.execute("DROP TRIGGER IF EXISTS practice_version_refill ON practice_version")
        op.execute("DROP FUNCTION IF EXISTS practice_version_bump()")
    else:
        for table in REFERENCE_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS practice_version_{table}_{event}")
        op.execute("DROP TRIGGER IF EXISTS practice_version_refill")
    op.drop_table("practice_version")
