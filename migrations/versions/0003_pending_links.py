"""Linking in progress is kept in the store (`pending_links`), not in the bot's memory.

A person part-way through linking their chat to a patient record (shared their phone, not yet
confirmed their date of birth) used to lose that progress when the bot restarted, and a second
bot process never saw it. One row per channel identity; the bot deletes it once the person is
linked, gives up, or lets it expire.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 23:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_links",
        sa.Column("identity", sa.String(length=100), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("identity", name=op.f("pk_pending_links")),
    )


def downgrade() -> None:
    op.drop_table("pending_links")
