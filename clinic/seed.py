"""`medsec seed demo`: a realistic demo practice around "now", the same every time.

    seed_demo(session, now=None, *, patients=60, random_seed=7, progress=True) -> SeedReport

Loads clinic/demo_clinic.yml, then adds staff, patients with insurance, a month of
appointments (two weeks back, two weeks ahead) in every status, invoices with payments, claims
in every status, a few inbox messages, a waitlist entry and some time off. Deterministic: the
same `now` and `random_seed` give the same rows, so tests can rely on them.

Fixed demo identities (see clinic/README.md):
    Maria Lopez   patient, DOB 1985-04-12, +14135550142, linked to tg:1001 (Aetna)
    James Carter  patient, DOB 1972-09-30, +14135550187, not linked (for linking demos)
    Aisha Khan    patient, DOB 1990-11-02, +14135550123, linked to web:demo-aisha
    Rita Alvarez  staff, front desk, tg:2001      Ben Okoro   staff, billing, tg:2002
    Anika Patel   staff, provider `patel`, tg:2003 Nina Shah  staff, nurse, no Telegram
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic import clock, outbox, practice
from clinic.config import PROJECT_ROOT
from clinic.models import (
    ACTIVE_STATUSES,
    ActorKind,
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    AppointmentType,
    ChannelIdentity,
    Claim,
    ClaimStatus,
    ClinicSettings,
    Desk,
    InsurancePolicy,
    Insurer,
    Invoice,
    InvoiceLine,
    MessageSlip,
    Patient,
    Payment,
    Provider,
    SlipKind,
    SlipReply,
    SlipStatus,
    Staff,
    StaffRole,
    TimeOff,
    Urgency,
    WaitlistEntry,
    WaitlistStatus,
)

DEMO_CLINIC_FILE = PROJECT_ROOT / "clinic" / "demo_clinic.yml"
# The "now" the demo and the end-to-end tests share (a Monday, 9 am in New York).
DEMO_NOW = datetime.fromisoformat("2027-03-01T09:00:00-05:00")

FIXED_PATIENTS = [
    # first, last, dob, phone, identity, insurer key, member id
    ("Maria", "Lopez", date(1985, 4, 12), "+14135550142", "tg:1001", "aetna", "AET448812301"),
    ("James", "Carter", date(1972, 9, 30), "+14135550187", None, "bcbs", "XBC220917455"),
    (
        "Aisha",
        "Khan",
        date(1990, 11, 2),
        "+14135550123",
        "web:demo-aisha",
        "medicare",
        "1EG4TE5MK73",
    ),
]
FIXED_STAFF = [
    ("Rita Alvarez", StaffRole.FRONT_DESK, 2001, None),
    ("Ben Okoro", StaffRole.BILLING, 2002, None),
    ("Anika Patel", StaffRole.PROVIDER, 2003, "patel"),
    ("Nina Shah", StaffRole.NURSE, None, None),
    ("Tom Reyes", StaffRole.MANAGER, 2004, None),
]
FIRST_NAMES = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "Lucas",
    "Isabella",
    "Mason",
    "Mia",
    "Ethan",
    "Amelia",
    "Logan",
    "Harper",
    "Aiden",
    "Evelyn",
    "Jackson",
    "Abigail",
    "Sebastian",
    "Emily",
    "Mateo",
    "Ella",
    "Jack",
    "Chloe",
    "Owen",
    "Grace",
    "Wyatt",
    "Zoe",
    "Leo",
    "Nora",
    "Caleb",
    "Lily",
    "Isaac",
    "Hannah",
    "Samuel",
    "Aria",
    "Henry",
    "Layla",
    "Daniel",
    "Priya",
    "Kenji",
    "Fatima",
    "Diego",
    "Mei",
    "Omar",
    "Ines",
    "Tariq",
    "Yara",
    "Andrei",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Chen",
    "Patel",
    "Kim",
    "Okafor",
    "Novak",
    "Silva",
    "Haddad",
]

# CPT code, description, charge (cents) per appointment type; several lines where usual.
BILLING_CODES = {
    "checkup": [("99213", "Office visit, established patient, low complexity", 14500)],
    "follow_up": [("99212", "Office visit, established patient, straightforward", 9500)],
    "vaccination": [
        ("90686", "Influenza vaccine, quadrivalent, preservative free", 3800),
        ("90471", "Immunization administration, first vaccine", 2500),
    ],
    "blood_test": [
        ("36415", "Routine venipuncture", 1500),
        ("80053", "Comprehensive metabolic panel", 4400),
        ("85025", "Complete blood count with differential", 2100),
    ],
    "consultation": [("99243", "Office consultation, moderate complexity", 21000)],
    "physical": [
        ("99396", "Preventive visit, established patient, 40-64 years", 26500),
        ("81002", "Urinalysis, non-automated, without microscopy", 900),
    ],
    "procedure": [
        ("11102", "Tangential biopsy of skin, single lesion", 18500),
        ("88305", "Surgical pathology, gross and microscopic", 9800),
    ],
}
ICD10 = {
    "checkup": ["Z00.00"],
    "follow_up": ["I10"],
    "vaccination": ["Z23"],
    "blood_test": ["E78.5"],
    "consultation": ["L82.1"],
    "physical": ["Z00.01"],
    "procedure": ["D48.5"],
}
DENIAL_REASONS = [
    "Service not covered under the member's plan (CO-96).",
    "Prior authorization was not obtained (CO-197).",
    "Coverage was not in effect on the date of service (CO-27).",
]
PAYMENT_METHODS = ["card", "card", "hsa", "check", "cash", "online"]


@dataclass
class SeedReport:
    counts: dict[str, int] = field(default_factory=dict)
    maria_id: int = 0
    maria_next_appointment_id: int = 0


@contextmanager
def _progress(enabled: bool) -> Iterator:
    if not enabled:

        class _Quiet:
            def add_task(self, *_a, **_k):
                return 0

            def advance(self, *_a, **_k):
                pass

            def update(self, *_a, **_k):
                pass

        yield _Quiet()
        return
    from rich.progress import BarColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
    ) as bar:
        yield bar


# What demo visits are about, as patients put it (the schedule shows it to staff)
DEMO_REASONS = {
    "checkup": [
        "knee pain",
        "a cough for two weeks",
        "headaches",
        "a rash on my arm",
        "trouble sleeping",
        "my blood pressure",
        "back pain after gardening",
    ],
    "follow_up": [
        "blood pressure review",
        "diabetes review",
        "results of my blood test",
        "the new medication",
        "my ankle after the sprain",
    ],
    "consultation": ["a mole that changed", "joint pain in both hands", "eczema flare-up"],
}


class _Seeder:
    def __init__(self, session: Session, now: datetime, rng: random.Random) -> None:
        self.s = session
        self.now = now
        self.rng = rng
        # a random stream of its own, so the reasons leave the rest of the demo month as it was
        self.reasons = random.Random(7)
        self.tz = clock.clinic_tz()
        self.types = {t.key: t for t in session.scalars(select(AppointmentType))}
        self.providers = {p.key: p for p in session.scalars(select(Provider))}
        self.insurers = {i.key: i for i in session.scalars(select(Insurer))}
        self.busy: dict[tuple[str, int], list[tuple[datetime, datetime]]] = {}
        self.policies: dict[int, InsurancePolicy] = {}
        self.invoice_seq = 1000
        self.claim_seq = 5000

    # --- helpers -------------------------------------------------------------------------

    def local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.tz).astimezone(UTC)

    def free(self, key: tuple[str, int], start: datetime, end: datetime) -> bool:
        return all(not (s < end and start < e) for s, e in self.busy.get(key, []))

    def hold(self, key: tuple[str, int], start: datetime, end: datetime) -> None:
        self.busy.setdefault(key, []).append((start, end))

    def reason_for(self, type_key: str) -> str | None:
        """What about, for half of the visits whose kind doesn't say it already."""
        choices = DEMO_REASONS.get(type_key)
        if not choices or self.reasons.random() < 0.5:
            return None
        return self.reasons.choice(choices)

    def add_appointment(
        self,
        patient: Patient,
        type_key: str,
        provider_key: str,
        start: datetime,
        status: AppointmentStatus,
    ) -> Appointment | None:
        kind = self.types[type_key]
        provider = self.providers[provider_key]
        end = start + timedelta(minutes=kind.duration_minutes)
        blocked = end + timedelta(minutes=kind.buffer_after_minutes)
        holds = status in ACTIVE_STATUSES
        if holds and not (
            self.free(("provider", provider.id), start, blocked)
            and self.free(("patient", patient.id), start, end)
        ):
            return None
        room_id = None
        for room in kind.rooms:
            if not holds or self.free(("room", room.id), start, blocked):
                room_id = room.id
                break
        if room_id is None:
            return None
        if holds:
            self.hold(("patient", patient.id), start, end)
            self.hold(("provider", provider.id), start, blocked)
            self.hold(("room", room_id), start, blocked)
        created = min(start, self.now) - timedelta(days=self.rng.randint(3, 30))
        appointment = Appointment(
            patient_id=patient.id,
            provider_id=provider.id,
            type_id=kind.id,
            room_id=room_id,
            start_at=start,
            end_at=end,
            blocked_until=blocked,
            status=status,
            reason=self.reason_for(type_key),
            created_at=created,
            updated_at=created,
        )
        self.s.add(appointment)
        history = [AppointmentStatus.BOOKED]
        if status is not AppointmentStatus.BOOKED:
            history.append(status)
        previous = None
        for step in history:
            appointment.events.append(
                AppointmentEvent(
                    at=created if previous is None else min(start, self.now),
                    actor_kind=ActorKind.SYSTEM if previous else ActorKind.PATIENT,
                    actor_id=None if previous else patient.id,
                    from_status=previous,
                    to_status=step,
                    reason="seeded",
                )
            )
            previous = step
        return appointment

    def bill(self, appointment: Appointment, claim_status: ClaimStatus | None = None) -> Invoice:
        """An invoice (and a claim, if insured) for a completed visit."""
        patient = appointment.patient
        policy = self.policies.get(patient.id)
        service_day = appointment.start_at.astimezone(self.tz).date()
        codes = BILLING_CODES[appointment.appointment_type.key]
        status = claim_status or self.rng.choice(list(ClaimStatus))
        if policy is None:
            status = None
        self.invoice_seq += 1
        invoice = Invoice(
            number=f"INV-{service_day.year}-{self.invoice_seq}",
            patient_id=patient.id,
            issued_on=service_day + timedelta(days=2),
            due_on=service_day + timedelta(days=32),
            created_at=appointment.start_at + timedelta(days=2),
        )
        self.s.add(invoice)
        billed = 0
        paid_total = 0
        for cpt, description, charge in codes:
            billed += charge
            if status in (ClaimStatus.PAID,):
                allowed = charge * 70 // 100
                insurance, adjustment = allowed * 80 // 100, charge - allowed
            elif status is ClaimStatus.PARTIALLY_PAID:
                allowed = charge * 70 // 100
                insurance, adjustment = allowed * 50 // 100, charge - allowed
            else:  # denied, pending or uninsured: the patient owes it for now
                insurance, adjustment = 0, 0
            paid_total += insurance
            invoice.lines.append(
                InvoiceLine(
                    appointment_id=appointment.id,
                    date_of_service=service_day,
                    cpt_code=cpt,
                    description=description,
                    charge_cents=charge,
                    insurance_paid_cents=insurance,
                    adjustment_cents=adjustment,
                    patient_share_cents=charge - insurance - adjustment,
                )
            )
        if policy is not None and status is not None:
            self.claim_seq += 1
            self.s.add(
                Claim(
                    number=f"C-{self.claim_seq}",
                    patient_id=patient.id,
                    appointment_id=appointment.id,
                    insurer_id=policy.insurer_id,
                    member_id=policy.member_id,
                    service_from=service_day,
                    service_to=service_day,
                    cpt_codes=[c for c, _, _ in codes],
                    icd10_codes=ICD10[appointment.appointment_type.key],
                    billed_cents=billed,
                    allowed_cents=billed * 70 // 100
                    if status in (ClaimStatus.PAID, ClaimStatus.PARTIALLY_PAID)
                    else None,
                    paid_cents=paid_total,
                    status=status,
                    denial_reason=self.rng.choice(DENIAL_REASONS)
                    if status is ClaimStatus.DENIED
                    else None,
                    submitted_on=service_day + timedelta(days=1),
                    updated_on=min(service_day + timedelta(days=20), self.now.date()),
                )
            )
        return invoice


def _patient(session: Session, seeder: _Seeder, first, last, dob, phone, ident, insurer, member):
    patient = Patient(
        first_name=first,
        last_name=last,
        date_of_birth=dob,
        phone=phone,
        email=f"{first.lower()}.{last.lower()}@example.com",
        insurer_id=seeder.insurers[insurer].id if insurer else None,
        member_id=member,
        created_at=seeder.now - timedelta(days=400),
    )
    session.add(patient)
    session.flush()
    if insurer:
        seeder.policies[patient.id] = InsurancePolicy(
            patient_id=patient.id,
            insurer_id=seeder.insurers[insurer].id,
            member_id=member,
            group_number=f"G{seeder.rng.randint(10000, 99999)}",
            is_primary=True,
            valid_from=date(seeder.now.year - 2, 1, 1),
            valid_to=None,
        )
        session.add(seeder.policies[patient.id])
    if ident:
        session.add(
            ChannelIdentity(
                identity=ident,
                patient_id=patient.id,
                linked_at=seeder.now - timedelta(days=30),
                created_at=seeder.now - timedelta(days=30),
            )
        )
    return patient


def has_practice(session: Session) -> bool:
    """True once a clinic file was loaded (the demo or a real practice's own)."""
    return session.scalar(select(func.count()).select_from(ClinicSettings)) > 0


def seed_demo(
    session: Session,
    now: datetime | None = None,
    *,
    patients: int = 60,
    random_seed: int = 7,
    progress: bool = True,
) -> SeedReport:
    """Fill an empty store with the demo practice (refuses a store that has patients)."""
    if session.scalar(select(func.count()).select_from(Patient)):
        raise ValueError("the store already has patients; seed an empty database")
    now = (now or clock.now()).astimezone(UTC)
    rng = random.Random(random_seed)
    report = SeedReport()
    with _progress(progress) as bar:
        task = bar.add_task("clinic, staff, patients", total=3 + patients - len(FIXED_PATIENTS))
        practice.load_clinic_file(session, DEMO_CLINIC_FILE)
        bar.advance(task)
        seeder = _Seeder(session, now, rng)
        for name, role, tg, provider_key in FIXED_STAFF:
            session.add(
                Staff(
                    name=name,
                    role=role,
                    telegram_user_id=tg,
                    email=f"{name.split()[0].lower()}@maplestreet.example",
                    provider_id=seeder.providers[provider_key].id if provider_key else None,
                    created_at=now - timedelta(days=700),
                )
            )
        bar.advance(task)
        people = [_patient(session, seeder, *fixed) for fixed in FIXED_PATIENTS]
        bar.advance(task)
        insurer_keys = sorted(seeder.insurers)
        for n in range(patients - len(FIXED_PATIENTS)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            dob = date(1940, 1, 1) + timedelta(days=rng.randint(0, 80 * 365))
            insured = rng.random() < 0.85
            people.append(
                _patient(
                    session,
                    seeder,
                    first,
                    last,
                    dob,
                    f"+1413555{2000 + n:04d}",
                    None,
                    rng.choice(insurer_keys) if insured else None,
                    f"M{rng.randint(10**8, 10**9 - 1)}" if insured else None,
                )
            )
            bar.advance(task)
        maria, james, aisha = people[:3]
        report.maria_id = maria.id

        # Maria's story: visits over the past months, one bill per claim status, and two
        # upcoming appointments (Dr Patel in two days at 10:00, NP Okafor's blood test).
        task = bar.add_task("appointments", total=29)
        history = [
            (-26, "follow_up", "patel", ClaimStatus.PAID),
            (-54, "blood_test", "okafor", ClaimStatus.PARTIALLY_PAID),
            (-89, "consultation", "garcia", ClaimStatus.DENIED),
            (-12, "checkup", "patel", ClaimStatus.IN_PROCESS),
            (-5, "vaccination", "okafor", ClaimStatus.SUBMITTED),
        ]
        local_now = now.astimezone(seeder.tz)
        for offset, type_key, provider_key, claim_status in history:
            day = local_now.date() + timedelta(days=offset)
            visit = seeder.add_appointment(
                maria,
                type_key,
                provider_key,
                seeder.local(day, time(10, 0)),
                AppointmentStatus.COMPLETED,
            )
            assert visit is not None
            session.flush()
            invoice = seeder.bill(visit, claim_status)
            if claim_status is ClaimStatus.PAID:
                session.add(
                    Payment(
                        patient_id=maria.id,
                        invoice=invoice,
                        amount_cents=invoice.patient_share_cents,
                        paid_on=invoice.issued_on + timedelta(days=10),
                        method="card",
                    )
                )
        upcoming = seeder.add_appointment(
            maria,
            "checkup",
            "patel",
            seeder.local(_next_weekday(local_now.date(), {1, 2, 3}), time(10, 0)),
            AppointmentStatus.BOOKED,
        )
        assert upcoming is not None
        session.flush()
        report.maria_next_appointment_id = upcoming.id
        seeder.add_appointment(
            maria,
            "blood_test",
            "okafor",
            seeder.local(
                _next_weekday(local_now.date() + timedelta(days=8), {0, 1, 2, 3, 4}), time(8, 30)
            ),
            AppointmentStatus.CONFIRMED,
        )
        seeder.add_appointment(
            aisha,
            "physical",
            "lee",
            seeder.local(
                _next_weekday(local_now.date() + timedelta(days=2), {0, 2, 3}), time(9, 0)
            ),
            AppointmentStatus.BOOKED,
        )
        bar.advance(task)

        # Lee's week off, a week from now.
        off_start = local_now.date() + timedelta(days=7)
        session.add(
            TimeOff(
                provider_id=seeder.providers["lee"].id,
                start_at=seeder.local(off_start, time(0, 0)),
                end_at=seeder.local(off_start + timedelta(days=3), time(0, 0)),
                reason="Conference",
            )
        )

        # Everyone else: two weeks back, two weeks ahead.
        others = people[3:]
        closures = {
            c.day
            for c in practice.closures(
                session,
                local_now.date() - timedelta(days=15),
                local_now.date() + timedelta(days=15),
            )
        }
        for offset in range(-14, 14):
            day = local_now.date() + timedelta(days=offset)
            if day not in closures:
                _fill_day(seeder, day, others, off_start)
            bar.advance(task)

        task = bar.add_task("bills, messages, reminders", total=3)
        for visit in session.scalars(
            select(Appointment).where(
                Appointment.status == AppointmentStatus.COMPLETED,
                Appointment.patient_id != maria.id,
            )
        ).all():
            if rng.random() < 0.7:
                invoice = seeder.bill(visit)
                roll = rng.random()
                if roll < 0.45 and invoice.patient_share_cents > 0:
                    amount = (
                        invoice.patient_share_cents
                        if roll < 0.3
                        else invoice.patient_share_cents // 2
                    )
                    session.add(
                        Payment(
                            patient_id=visit.patient_id,
                            invoice=invoice,
                            amount_cents=amount,
                            paid_on=invoice.issued_on + timedelta(days=rng.randint(1, 20)),
                            method=rng.choice(PAYMENT_METHODS),
                        )
                    )
        bar.advance(task)
        _messages(session, seeder, people, james)
        bar.advance(task)
        _reminders(session, now, [maria.id, aisha.id])
        bar.advance(task)
    session.flush()
    for model in (Patient, Staff, Appointment, Invoice, Claim, Payment, MessageSlip):
        report.counts[model.__tablename__] = session.scalar(select(func.count()).select_from(model))
    return report


def _next_weekday(start: date, weekdays: set[int]) -> date:
    day = start + timedelta(days=1)
    while day.weekday() not in weekdays:
        day += timedelta(days=1)
    return day


def _fill_day(seeder: _Seeder, day: date, patients: list[Patient], lee_off: date) -> None:
    rng = seeder.rng
    now = seeder.now
    for provider in seeder.providers.values():
        if provider.key == "lee" and lee_off <= day < lee_off + timedelta(days=3):
            continue
        offered = [t for t in seeder.types.values() if provider in t.providers]
        for hours in provider.hours:
            if hours.weekday != day.weekday():
                continue
            start = seeder.local(day, hours.starts)
            end = seeder.local(day, hours.ends)
            while start < end:
                kind = rng.choice(offered)
                finish = start + timedelta(minutes=kind.duration_minutes)
                if finish > end or rng.random() > 0.6:
                    start += timedelta(minutes=15)
                    continue
                if finish <= now:
                    status = rng.choices(
                        [
                            AppointmentStatus.COMPLETED,
                            AppointmentStatus.NO_SHOW,
                            AppointmentStatus.CANCELLED,
                        ],
                        [80, 8, 12],
                    )[0]
                elif start <= now:
                    status = AppointmentStatus.CONFIRMED
                else:
                    status = rng.choices(
                        [
                            AppointmentStatus.BOOKED,
                            AppointmentStatus.CONFIRMED,
                            AppointmentStatus.CANCELLED,
                        ],
                        [60, 28, 12],
                    )[0]
                placed = seeder.add_appointment(
                    rng.choice(patients), kind.key, provider.key, start, status
                )
                if placed is not None and status in ACTIVE_STATUSES:
                    blocked = placed.blocked_until
                    minutes = (blocked - start).total_seconds() / 60
                    start += timedelta(minutes=-(-minutes // 15) * 15)
                else:
                    start += timedelta(minutes=15)


def _messages(session: Session, seeder: _Seeder, people: list[Patient], james: Patient) -> None:
    now = seeder.now
    rng = seeder.rng
    patel = seeder.providers["patel"]
    samples = [
        (
            people[3],
            SlipKind.REFILL,
            Desk.PROVIDER,
            patel.id,
            "Needs a refill of lisinopril 10 mg; two days of tablets left.",
            Urgency.URGENT,
            SlipStatus.OPEN,
            3,
        ),
        (
            james,
            SlipKind.MESSAGE,
            Desk.FRONT_DESK,
            None,
            "Asked to update his address on file.",
            Urgency.ROUTINE,
            SlipStatus.OPEN,
            26,
        ),
        (
            people[4],
            SlipKind.RECORDS,
            Desk.FRONT_DESK,
            None,
            "Send last year's lab results to Dr. Brooks at Riverside Cardiology.",
            Urgency.ROUTINE,
            SlipStatus.ANSWERED,
            50,
        ),
        (
            people[5],
            SlipKind.MESSAGE,
            Desk.PROVIDER,
            patel.id,
            "Rash is better after the cream; asks whether to keep using it.",
            Urgency.ROUTINE,
            SlipStatus.CLOSED,
            70,
        ),
        (
            people[6],
            SlipKind.PAYMENT_PLAN,
            Desk.BILLING,
            None,
            "Payment plan request; balance $412.00.",
            Urgency.ROUTINE,
            SlipStatus.OPEN,
            5,
        ),
        (
            people[7],
            SlipKind.CALLBACK,
            Desk.NURSE,
            None,
            "Fever of 102 since last night, asks for a call back.",
            Urgency.URGENT,
            SlipStatus.OPEN,
            1,
        ),
    ]
    rita = session.scalar(select(Staff).where(Staff.role == StaffRole.FRONT_DESK))
    for patient, kind, desk, provider_id, reason, urgency, status, hours_ago in samples:
        slip = MessageSlip(
            kind=kind,
            patient_id=patient.id,
            from_identity=None,
            from_name=patient.full_name,
            callback_number=patient.phone,
            desk=desk,
            provider_id=provider_id,
            reason=reason,
            urgency=urgency,
            status=status,
            created_at=now - timedelta(hours=hours_ago, minutes=rng.randint(0, 59)),
            closed_at=now - timedelta(hours=hours_ago // 2)
            if status is SlipStatus.CLOSED
            else None,
            closed_by_id=rita.id if status is SlipStatus.CLOSED else None,
        )
        session.add(slip)
        session.flush()
        if status is not SlipStatus.OPEN:
            session.add(
                SlipReply(
                    slip_id=slip.id,
                    author_kind=ActorKind.STAFF,
                    staff_id=rita.id,
                    text="Done, thanks for letting us know.",
                    at=slip.created_at + timedelta(hours=2),
                )
            )
    session.add(
        WaitlistEntry(
            patient_id=james.id,
            type_id=seeder.types["checkup"].id,
            provider_id=patel.id,
            earliest=now,
            latest=now + timedelta(days=21),
            status=WaitlistStatus.ACTIVE,
            created_at=now - timedelta(days=2),
        )
    )


def _reminders(session: Session, now: datetime, patient_ids: list[int]) -> None:
    """Reminders for the linked demo patients' upcoming visits, as booking would write them."""
    from clinic.scheduling import REMINDERS, appointment_buttons, describe

    for appointment in session.scalars(
        select(Appointment).where(
            Appointment.patient_id.in_(patient_ids),
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.start_at > now,
        )
    ):
        for kind, before in REMINDERS:
            due = appointment.start_at - before
            if due > now:
                outbox.enqueue(
                    session,
                    kind=kind,
                    to_patient=appointment.patient_id,
                    appointment_id=appointment.id,
                    due_at=due,
                    text=f"Reminder: your {describe(appointment)}. Will you be there?",
                    buttons=appointment_buttons(appointment, confirm=True),
                )
