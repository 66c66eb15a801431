"""A waitlist entry may be for an earlier time for one appointment (`waitlist_entries.
appointment_id`): "tell me if something earlier opens up" from a patient who has a visit
booked. A freed slot before it is then offered as a move of that visit, not a second booking.

A batch migration: SQLite cannot add a foreign key in place, so it recreates the table (not one
of 0002's practice tables, which carry triggers).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("waitlist_entries") as batch:
        batch.add_column(sa.Column("appointment_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_waitlist_entries_appointment_id_appointments",
            "appointments",
            ["appointment_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("waitlist_entries") as batch:
        batch.drop_constraint("fk_waitlist_entries_appointment_id_appointments", type_="foreignkey")
        batch.drop_column("appointment_id")
