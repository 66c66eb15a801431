"""The practice's answers to common questions (`clinic_settings.faq`).

"Do I need a referral?", "is there a fee if I miss my appointment?", "how much is a check-up
without insurance?": each practice answers these in its own words, so they live in the clinic
file (`faq: [{ask: [phrases], answer: text}]`), not in the code or the NLU model; the assistant
gives the first entry whose phrases the question contains.

A plain ADD COLUMN (nullable JSON): on SQLite it does not recreate the table, so the
practice_version triggers of 0002 stay in place.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# JSON on SQLite, JSONB on PostgreSQL (as clinic.models.base.JSONType).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("clinic_settings", sa.Column("faq", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clinic_settings") as batch:
        batch.drop_column("faq")
