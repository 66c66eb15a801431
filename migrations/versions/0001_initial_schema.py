"""Initial schema: the practice, people, scheduling, messaging, billing, outbox and audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 17:06:42.304342
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# JSON on SQLite, JSONB on PostgreSQL (as clinic.models.base.JSONType).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# --- no double booking, enforced by the database ----------------------------------------------
# PostgreSQL: exclusion constraints over tstzrange(start, end) for the active statuses.
# SQLite: triggers of the same names that abort an overlapping INSERT/UPDATE (every SQLite write
# transaction is BEGIN IMMEDIATE, see clinic/db.py, so the trigger's check cannot race).
ACTIVE = "('booked', 'confirmed')"
GUARDS = [
    # (name, table, resource column, end column, active condition on the row alias)
    (
        "appointments_no_provider_overlap",
        "appointments",
        "provider_id",
        "blocked_until",
        "{row}.status IN " + ACTIVE,
    ),
    (
        "appointments_no_room_overlap",
        "appointments",
        "room_id",
        "blocked_until",
        "{row}.status IN " + ACTIVE + " AND {row}.room_id IS NOT NULL",
    ),
    ("room_bookings_no_overlap", "room_bookings", "room_id", "end_at", "{row}.status = 'booked'"),
]


def create_no_overlap_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public")
        for name, table, resource, end, active in GUARDS:
            where = active.format(row=table)
            op.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {name} EXCLUDE USING gist "
                f"({resource} WITH =, tstzrange(start_at, {end}, '[)') WITH &&) WHERE ({where})"
            )
        return
    for name, table, resource, end, active in GUARDS:
        clash = (
            f"EXISTS (SELECT 1 FROM {table} AS other WHERE other.{resource} = NEW.{resource} "
            f"AND {active.format(row='other')} AND other.start_at < NEW.{end} "
            f"AND NEW.start_at < other.{end} AND other.id IS NOT NEW.id)"
        )
        for event in ("INSERT", f"UPDATE OF {resource}, start_at, {end}, status"):
            suffix = event.split()[0].lower()
            op.execute(
                f"CREATE TRIGGER {name}_{suffix} BEFORE {event} ON {table} "
                f"WHEN {active.format(row='NEW')} AND {clash} "
                f"BEGIN SELECT RAISE(ABORT, '{name}'); END"
            )


def drop_no_overlap_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, *_ in GUARDS:
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
        return
    for name, *_ in GUARDS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}_insert")
        op.execute(f"DROP TRIGGER IF EXISTS {name}_update")


def upgrade() -> None:
    op.create_table(
        "appointment_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_after_minutes", sa.Integer(), nullable=False),
        sa.Column("min_notice_hours", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("synonyms", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_types")),
        sa.UniqueConstraint("key", name=op.f("uq_appointment_types_key")),
    )
    op.create_table(
        "clinic_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("emergency_number", sa.String(length=16), nullable=False),
        sa.Column("parking", sa.Text(), nullable=True),
        sa.Column("payment_methods", JSON, nullable=False),
        sa.Column("payment_plan_policy", sa.Text(), nullable=True),
        sa.Column("insurance_update", sa.Text(), nullable=True),
        sa.Column("visit_prep", JSON, nullable=False),
        sa.Column("slot_step_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_settings")),
    )
    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closures")),
        sa.UniqueConstraint("day", name=op.f("uq_closures_day")),
    )
    op.create_table(
        "insurers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("synonyms", JSON, nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurers")),
        sa.UniqueConstraint("key", name=op.f("uq_insurers_key")),
    )
    op.create_table(
        "link_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_attempts")),
    )
    op.create_index(
        "ix_link_attempts_identity_at", "link_attempts", ["identity", "at"], unique=False
    )
    op.create_index("ix_link_attempts_phone_at", "link_attempts", ["phone", "at"], unique=False)

    op.create_table(
        "opening_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_hours")),
    )
    op.create_table(
        "providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=20), nullable=False),
        sa.Column("specialty", sa.String(length=120), nullable=False),
        sa.Column("synonyms", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_providers")),
        sa.UniqueConstraint("key", name=op.f("uq_providers_key")),
    )
    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "exam",
                "meeting",
                name="room_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
        sa.UniqueConstraint("key", name=op.f("uq_rooms_key")),
    )
    op.create_table(
        "appointment_type_providers",
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_appointment_type_providers_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["appointment_types.id"],
            name=op.f("fk_appointment_type_providers_type_id_appointment_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "type_id", "provider_id", name=op.f("pk_appointment_type_providers")
        ),
    )
    op.create_table(
        "appointment_type_rooms",
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_appointment_type_rooms_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["appointment_types.id"],
            name=op.f("fk_appointment_type_rooms_type_id_appointment_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("type_id", "room_id", name=op.f("pk_appointment_type_rooms")),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=80), nullable=False),
        sa.Column("last_name", sa.String(length=80), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("insurer_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["insurer_id"], ["insurers.id"], name=op.f("fk_patients_insurer_id_insurers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
    )
    op.create_index("ix_patients_phone_dob", "patients", ["phone", "date_of_birth"], unique=False)

    op.create_table(
        "provider_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_provider_hours_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_hours")),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "front_desk",
                "billing",
                "nurse",
                "provider",
                "manager",
                name="staff_role",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_staff_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_staff_telegram_user_id")),
    )
    op.create_table(
        "time_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_time_off_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_off")),
        sa.CheckConstraint("start_at < end_at", name=op.f("ck_time_off_time_order")),
    )
    op.create_index(op.f("ix_time_off_provider_id"), "time_off", ["provider_id"], unique=False)

    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "booked",
                "confirmed",
                "cancelled",
                "completed",
                "no_show",
                name="appointment_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_appointments_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_appointments_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_appointments_room_id_rooms")
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["appointment_types.id"],
            name=op.f("fk_appointments_type_id_appointment_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
        sa.CheckConstraint(
            "start_at < end_at AND end_at <= blocked_until", name=op.f("ck_appointments_time_order")
        ),
    )
    op.create_index(
        "ix_appointments_patient_start", "appointments", ["patient_id", "start_at"], unique=False
    )
    op.create_index(
        "ix_appointments_provider_start", "appointments", ["provider_id", "start_at"], unique=False
    )
    op.create_index(
        "ix_appointments_room_start", "appointments", ["room_id", "start_at"], unique=False
    )
    op.create_index("ix_appointments_start", "appointments", ["start_at"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "actor_kind",
            sa.Enum(
                "patient",
                "staff",
                "system",
                "guest",
                name="actor_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("object_type", sa.String(length=40), nullable=True),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("detail", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_audit_log_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_patient_at", "audit_log", ["patient_id", "at"], unique=False)

    op.create_table(
        "channel_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=100), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_channel_identities_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_identities")),
        sa.UniqueConstraint("identity", name=op.f("uq_channel_identities_identity")),
    )
    op.create_index(
        op.f("ix_channel_identities_patient_id"), "channel_identities", ["patient_id"], unique=False
    )

    op.create_table(
        "handoff_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=100), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                name="handoff_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "closed_by_kind",
            sa.Enum(
                "patient",
                "staff",
                "system",
                "guest",
                name="actor_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("assigned_staff_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_staff_id"],
            ["staff.id"],
            name=op.f("fk_handoff_threads_assigned_staff_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_handoff_threads_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_threads")),
    )
    op.create_index(
        "ix_handoff_identity_status", "handoff_threads", ["identity", "status"], unique=False
    )

    op.create_table(
        "insurance_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("insurer_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("group_number", sa.String(length=40), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["insurer_id"], ["insurers.id"], name=op.f("fk_insurance_policies_insurer_id_insurers")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_insurance_policies_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurance_policies")),
    )
    op.create_index(
        op.f("ix_insurance_policies_patient_id"), "insurance_policies", ["patient_id"], unique=False
    )

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_invoices_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    op.create_index(op.f("ix_invoices_patient_id"), "invoices", ["patient_id"], unique=False)

    op.create_table(
        "message_slips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "message",
                "refill",
                "records",
                "emergency",
                "payment_plan",
                "document",
                "callback",
                name="slip_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("from_identity", sa.String(length=100), nullable=True),
        sa.Column("from_name", sa.String(length=160), nullable=False),
        sa.Column("callback_number", sa.String(length=32), nullable=True),
        sa.Column(
            "desk",
            sa.Enum(
                "front_desk",
                "billing",
                "provider",
                "nurse",
                name="desk",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "urgency",
            sa.Enum(
                "routine",
                "urgent",
                "emergency",
                name="urgency",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "answered",
                "closed",
                name="slip_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["staff.id"], name=op.f("fk_message_slips_closed_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_message_slips_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_message_slips_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_slips")),
    )
    op.create_index(
        op.f("ix_message_slips_patient_id"), "message_slips", ["patient_id"], unique=False
    )
    op.create_index(
        "ix_message_slips_status_created", "message_slips", ["status", "created_at"], unique=False
    )

    op.create_table(
        "patient_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("identity", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=400), nullable=False),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_documents_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_documents")),
    )
    op.create_index(
        op.f("ix_patient_documents_patient_id"), "patient_documents", ["patient_id"], unique=False
    )

    op.create_table(
        "room_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("booked_by_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "booked",
                "cancelled",
                name="room_booking_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("invitee_ids", JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booked_by_id"], ["staff.id"], name=op.f("fk_room_bookings_booked_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_bookings_room_id_rooms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_bookings")),
        sa.CheckConstraint("start_at < end_at", name=op.f("ck_room_bookings_time_order")),
    )
    op.create_index(
        "ix_room_bookings_room_start", "room_bookings", ["room_id", "start_at"], unique=False
    )

    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("earliest", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latest", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "offered",
                "booked",
                "cancelled",
                "expired",
                name="waitlist_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offered_start_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_waitlist_entries_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_waitlist_entries_provider_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["appointment_types.id"],
            name=op.f("fk_waitlist_entries_type_id_appointment_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    op.create_index(
        op.f("ix_waitlist_entries_patient_id"), "waitlist_entries", ["patient_id"], unique=False
    )
    op.create_index(
        "ix_waitlist_status_created", "waitlist_entries", ["status", "created_at"], unique=False
    )

    op.create_table(
        "appointment_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "actor_kind",
            sa.Enum(
                "patient",
                "staff",
                "system",
                "guest",
                name="actor_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "from_status",
            sa.Enum(
                "booked",
                "confirmed",
                "cancelled",
                "completed",
                "no_show",
                name="from_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "booked",
                "confirmed",
                "cancelled",
                "completed",
                "no_show",
                name="to_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("previous_start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("previous_provider_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_events_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["previous_provider_id"],
            ["providers.id"],
            name=op.f("fk_appointment_events_previous_provider_id_providers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_events")),
    )
    op.create_index(
        op.f("ix_appointment_events_appointment_id"),
        "appointment_events",
        ["appointment_id"],
        unique=False,
    )

    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("insurer_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("service_from", sa.Date(), nullable=False),
        sa.Column("service_to", sa.Date(), nullable=False),
        sa.Column("cpt_codes", JSON, nullable=False),
        sa.Column("icd10_codes", JSON, nullable=False),
        sa.Column("billed_cents", sa.Integer(), nullable=False),
        sa.Column("allowed_cents", sa.Integer(), nullable=True),
        sa.Column("paid_cents", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "in_process",
                "paid",
                "partially_paid",
                "denied",
                name="claim_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("denial_reason", sa.String(length=300), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("updated_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_claims_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["insurer_id"], ["insurers.id"], name=op.f("fk_claims_insurer_id_insurers")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_claims_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("number", name=op.f("uq_claims_number")),
    )
    op.create_index(op.f("ix_claims_patient_id"), "claims", ["patient_id"], unique=False)

    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column(
            "author_kind",
            sa.Enum(
                "patient",
                "staff",
                "system",
                "guest",
                name="actor_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_handoff_messages_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["handoff_threads.id"],
            name=op.f("fk_handoff_messages_thread_id_handoff_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_messages")),
    )
    op.create_index(
        op.f("ix_handoff_messages_thread_id"), "handoff_messages", ["thread_id"], unique=False
    )

    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("cpt_code", sa.String(length=10), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("charge_cents", sa.Integer(), nullable=False),
        sa.Column("insurance_paid_cents", sa.Integer(), nullable=False),
        sa.Column("adjustment_cents", sa.Integer(), nullable=False),
        sa.Column("patient_share_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_invoice_lines_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_lines_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
    )
    op.create_index(
        op.f("ix_invoice_lines_invoice_id"), "invoice_lines", ["invoice_id"], unique=False
    )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column(
            "recipient_kind",
            sa.Enum(
                "patient",
                "staff",
                "staff_channel",
                "identity",
                name="recipient_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("identity", sa.String(length=100), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", JSON, nullable=False),
        sa.Column("attachments", JSON, nullable=False),
        sa.Column("meta", JSON, nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                "cancelled",
                name="outbox_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_outbox_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_outbox_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_outbox_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_appointment", "outbox", ["appointment_id"], unique=False)
    op.create_index(
        "ix_outbox_status_next_attempt", "outbox", ["status", "next_attempt_at"], unique=False
    )

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payments_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_payments_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    op.create_index(op.f("ix_payments_patient_id"), "payments", ["patient_id"], unique=False)

    op.create_table(
        "slip_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slip_id", sa.Integer(), nullable=False),
        sa.Column(
            "author_kind",
            sa.Enum(
                "patient",
                "staff",
                "system",
                "guest",
                name="actor_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["slip_id"],
            ["message_slips.id"],
            name=op.f("fk_slip_replies_slip_id_message_slips"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_slip_replies_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slip_replies")),
    )
    op.create_index(op.f("ix_slip_replies_slip_id"), "slip_replies", ["slip_id"], unique=False)

    create_no_overlap_guards()


def downgrade() -> None:
    drop_no_overlap_guards()
    op.drop_index(op.f("ix_slip_replies_slip_id"), table_name="slip_replies")

    op.drop_table("slip_replies")
    op.drop_index(op.f("ix_payments_patient_id"), table_name="payments")

    op.drop_table("payments")
    op.drop_index("ix_outbox_status_next_attempt", table_name="outbox")
    op.drop_index("ix_outbox_appointment", table_name="outbox")

    op.drop_table("outbox")
    op.drop_index(op.f("ix_invoice_lines_invoice_id"), table_name="invoice_lines")

    op.drop_table("invoice_lines")
    op.drop_index(op.f("ix_handoff_messages_thread_id"), table_name="handoff_messages")

    op.drop_table("handoff_messages")
    op.drop_index(op.f("ix_claims_patient_id"), table_name="claims")

    op.drop_table("claims")
    op.drop_index(op.f("ix_appointment_events_appointment_id"), table_name="appointment_events")

    op.drop_table("appointment_events")
    op.drop_index("ix_waitlist_status_created", table_name="waitlist_entries")
    op.drop_index(op.f("ix_waitlist_entries_patient_id"), table_name="waitlist_entries")

    op.drop_table("waitlist_entries")
    op.drop_index("ix_room_bookings_room_start", table_name="room_bookings")

    op.drop_table("room_bookings")
    op.drop_index(op.f("ix_patient_documents_patient_id"), table_name="patient_documents")

    op.drop_table("patient_documents")
    op.drop_index("ix_message_slips_status_created", table_name="message_slips")
    op.drop_index(op.f("ix_message_slips_patient_id"), table_name="message_slips")

    op.drop_table("message_slips")
    op.drop_index(op.f("ix_invoices_patient_id"), table_name="invoices")

    op.drop_table("invoices")
    op.drop_index(op.f("ix_insurance_policies_patient_id"), table_name="insurance_policies")

    op.drop_table("insurance_policies")
    op.drop_index("ix_handoff_identity_status", table_name="handoff_threads")

    op.drop_table("handoff_threads")
    op.drop_index(op.f("ix_channel_identities_patient_id"), table_name="channel_identities")

    op.drop_table("channel_identities")
    op.drop_index("ix_audit_patient_at", table_name="audit_log")

    op.drop_table("audit_log")
    op.drop_index("ix_appointments_start", table_name="appointments")
    op.drop_index("ix_appointments_room_start", table_name="appointments")
    op.drop_index("ix_appointments_provider_start", table_name="appointments")
    op.drop_index("ix_appointments_patient_start", table_name="appointments")

    op.drop_table("appointments")
    op.drop_index(op.f("ix_time_off_provider_id"), table_name="time_off")

    op.drop_table("time_off")
    op.drop_table("staff")
    op.drop_table("provider_hours")
    op.drop_index("ix_patients_phone_dob", table_name="patients")

    op.drop_table("patients")
    op.drop_table("appointment_type_rooms")
    op.drop_table("appointment_type_providers")
    op.drop_table("rooms")
    op.drop_table("providers")
    op.drop_table("opening_hours")
    op.drop_index("ix_link_attempts_phone_at", table_name="link_attempts")
    op.drop_index("ix_link_attempts_identity_at", table_name="link_attempts")

    op.drop_table("link_attempts")
    op.drop_table("insurers")
    op.drop_table("closures")
    op.drop_table("clinic_settings")
    op.drop_table("appointment_types")
