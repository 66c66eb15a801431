"""Slot search over 90 days for one provider with 10,000 existing appointments.

The store holds the demo practice and 10,000 appointments for Dr Patel: about 60 % of her
bookable time in the next 90 days and the rest as three years of history (completed,
cancelled, no-shows), so the finder has to pick the right rows out of many. Measured:
`find_free_slots(checkup, patel, now, now + 90 days)` for the first 10 slots (what the
assistant asks for) and for every slot in the 90 days (the full scan). Target: median <= 20 ms.
Runs on SQLite, and on PostgreSQL too when BENCH_DATABASE_URL / TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import random
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from bench import machine, postgres_url, run, summary, timings_ms

NOW = "2027-03-01T09:00:00-05:00"
EXISTING = 10_000
TARGET_MS = 20.0


def _fill(engine) -> int:
    from clinic import clock, practice
    from clinic.db import session_scope
    from clinic.models import Appointment, AppointmentStatus, Patient

    rng = random.Random(11)
    with session_scope(engine) as s:
        practice.load_clinic_file(s, practice_file())
        s.execute(
            insert(Patient),
            [
                {
                    "first_name": "Bench",
                    "last_name": f"Patient{n}",
                    "date_of_birth": datetime(1970, 1, 1).date() + timedelta(days=n),
                    "phone": f"+1413555{n:04d}",
                    "created_at": clock.now(),
                }
                for n in range(200)
            ],
        )
    with session_scope(engine) as s:
        patel = practice.get_provider(s, "patel")
        kinds = [practice.get_type(s, k) for k in ("checkup", "follow_up", "physical")]
        rooms = [r.id for r in practice.get_type(s, "checkup").rooms]
        now = clock.now()
        rows: list[dict] = []
        # The next 90 days: walk her working intervals, booking ~60 % of the time.
        future_busy: list[tuple[datetime, datetime]] = []
        day = clock.local_now().date()
        tz = clock.clinic_tz()
        while day <= (now + timedelta(days=90)).astimezone(tz).date():
            for hours in patel.hours:
                if hours.weekday != day.weekday():
                    continue
                t = datetime.combine(day, hours.starts, tzinfo=tz)
                end = datetime.combine(day, hours.ends, tzinfo=tz)
                while t < end:
                    kind = rng.choice(kinds)
                    finish = t + timedelta(minutes=kind.duration_minutes)
                    blocked = finish + timedelta(minutes=kind.buffer_after_minutes)
                    if finish <= end and t > now and rng.random() < 0.6:
                        future_busy.append((t, blocked))
                        rows.append(_row(patel.id, kind, rooms, t, AppointmentStatus.BOOKED, rng))
                        t = blocked + (-(blocked - t) % timedelta(minutes=15))
                    else:
                        t += timedelta(minutes=15)
            day += timedelta(days=1)
        # History (and cancelled rows, which must not count) up to 10,000 in all.
        t = now - timedelta(days=3 * 365)
        statuses = [
            AppointmentStatus.COMPLETED,
            AppointmentStatus.CANCELLED,
            AppointmentStatus.NO_SHOW,
        ]
        while len(rows) < EXISTING:
            kind = rng.choice(kinds)
            status = rng.choices(statuses, [80, 12, 8][: len(statuses)])[0]
            rows.append(_row(patel.id, kind, rooms, t, status, rng))
            t += timedelta(minutes=rng.choice([45, 60, 75, 90, 24 * 60]))
            if t > now - timedelta(hours=1):
                t = now - timedelta(days=3 * 365) + timedelta(minutes=rng.randint(1, 500))
                statuses = [AppointmentStatus.CANCELLED]  # the rest overlap freely
        for row in rows:
            row["patient_id"] = rng.randint(1, 200)
        s.execute(insert(Appointment), rows)
        return s.scalar(select(func.count()).select_from(Appointment))


def _row(provider_id, kind, rooms, start, status, rng) -> dict:
    from clinic.models import ACTIVE_STATUSES

    end = start + timedelta(minutes=kind.duration_minutes)
    return {
        "provider_id": provider_id,
        "type_id": kind.id,
        # History rows keep no room, so they cannot collide in the no-overlap constraint.
        "room_id": rng.choice(rooms) if status in ACTIVE_STATUSES else None,
        "start_at": start.astimezone(UTC),
        "end_at": end.astimezone(UTC),
        "blocked_until": (end + timedelta(minutes=kind.buffer_after_minutes)).astimezone(UTC),
        "status": status,
        "created_at": start.astimezone(UTC),
        "updated_at": start.astimezone(UTC),
    }


def practice_file() -> Path:
    from clinic.config import PROJECT_ROOT

    return PROJECT_ROOT / "clinic" / "demo_clinic.yml"


def _measure(url: str, label: str) -> dict:
    from clinic import clock, slots
    from clinic.db import create_engine_for, make_session, upgrade

    upgrade(url)
    engine = create_engine_for(url)
    count = _fill(engine)
    now = clock.now()
    results = {"backend": label, "appointments": count}
    session = make_session(engine, readonly=True)
    for name, limit in (("first_10", 10), ("all_90_days", None)):

        def search(limit=limit):
            session.expire_all()  # no help from the identity map between runs
            found = slots.find_free_slots(
                session, "checkup", "patel", now, now + timedelta(days=90), limit=limit
            )
            session.rollback()
            return found

        found = search()
        cpu: list[float] = []
        stats = summary(timings_ms(search, repeat=50, cpu=cpu))
        cpu_median = summary(cpu)["median_ms"]
        results[name] = {**stats, "cpu_median_ms": cpu_median, "slots_found": len(found)}
        verdict = "OK" if stats["median_ms"] <= TARGET_MS else "OVER TARGET"
        print(
            f"{label:<10} {name:<12} median {stats['median_ms']:7.2f} ms  "
            f"p95 {stats['p95_ms']:7.2f} ms  cpu {cpu_median:6.2f} ms  ({len(found)} slots)  "
            f"target <= {TARGET_MS} ms: "
            f"{verdict}"
        )
    session.close()
    engine.dispose()
    return results


def main() -> dict:
    os.environ["MEDSEC_NOW"] = NOW
    from clinic.config import get_settings

    get_settings.cache_clear()
    out = {"target_median_ms": TARGET_MS, "machine": machine(), "runs": []}
    print(f"load average {out['machine']['load_average_1m']} on {out['machine']['cpus']} cpus")
    with tempfile.TemporaryDirectory() as folder:
        out["runs"].append(_measure(f"sqlite:///{folder}/bench.db", "sqlite"))
    base = postgres_url()
    if base:
        from clinic.db import create_engine_for

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine_for(base)
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema},public"})
        try:
            out["runs"].append(_measure(url.render_as_string(hide_password=False), "postgresql"))
        finally:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    else:
        print("postgresql: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL)")
    return out


if __name__ == "__main__":
    run("clinic_slots", main)
