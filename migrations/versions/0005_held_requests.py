"""A stranger's request held while they link is kept in the store (`held_requests`).

"Book me a checkup" from a Telegram chat not yet linked to a patient is answered with the way
to link; once linked, the bot carries on with it. It was kept in the bot's memory, so a restart
or a second bot process dropped it and the person had to ask again. One row per channel
identity; taken when they link, dropped after the linking window.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "held_requests",
        sa.Column("identity", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("identity", name=op.f("pk_held_requests")),
    )


def downgrade() -> None:
    op.drop_table("held_requests")
