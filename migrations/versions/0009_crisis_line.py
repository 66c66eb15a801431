"""The crisis line a practice names (`clinic_settings.crisis_line`, e.g. "the 988 Suicide &
Crisis Lifeline: call or text 988, any time"), said with the emergency advice when someone writes
of harming themselves. Optional: a practice without one gets the emergency advice alone.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("clinic_settings", sa.Column("crisis_line", sa.String(200), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE clinic_settings DROP COLUMN crisis_line")
