"""The practice's own words on choosing a visit type (`clinic_settings.visit_type_help`).

Patients often describe a problem ("my knee has been bad") rather than name a kind of visit; the
booking question shows this help when the buttons alone did not get an answer. It is the
practice's policy, so it lives in the clinic file, not in the code.

A plain ADD COLUMN (nullable): on SQLite it does not recreate the table, so the
practice_version triggers of 0002 stay in place.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("clinic_settings", sa.Column("visit_type_help", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clinic_settings") as batch:
        batch.drop_column("visit_type_help")
