"""What a visit is about, in the patient's words (`appointments.reason`): "my knee", "blood
pressure". The day's schedule shows it to staff, so the doctor knows before the patient walks
in. Optional; health information, so it is never logged.

A plain ADD COLUMN (SQLite keeps the table, with its no-overlap triggers).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("appointments", sa.Column("reason", sa.String(200), nullable=True))


def downgrade() -> None:
    # in place on both (SQLite >= 3.35): a batch copy would drop the no-overlap triggers
    op.execute("ALTER TABLE appointments DROP COLUMN reason")
