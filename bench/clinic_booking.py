"""Booking throughput on PostgreSQL: 20 concurrent clients on distinct slots, and everyone on
one contested slot (exactly one may win).

Each client is its own process with one engine and one connection for its life (as an
action-server worker keeps its pool) and books through the real service,
`clinic.scheduling.book`, one transaction per booking: validation, the slot check, the insert
that the exclusion constraint guards, status history, audit and the outbox rows. Each client
makes a few untimed warm-up bookings first, then all start together and the clock runs until
the last one is done. Distinct slots: every client books its own provider-days, so none of them
should ever be refused. Target: >= 200 bookings/s. Also reported: CPU per booking in the client
processes and in their PostgreSQL backends (read from /proc when the server runs on this
machine), steadier than the rate on a shared machine.
Needs BENCH_DATABASE_URL or TEST_DATABASE_URL (PostgreSQL); reports itself skipped otherwise.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from bench import machine, postgres_url, run

NOW = "2027-03-01T09:00:00-05:00"
CLIENTS = 20
CONTENDERS = 50
WARMUP = 5  # untimed bookings per client first (PostgreSQL prepares a statement on its 5th run)
TARGET_PER_SECOND = 200.0
TYPE = "follow_up"  # 15 min + 5 min buffer: many slots per provider-day


def _setup(url: str) -> list[list[tuple[str, str, int]]]:
    """Migrate, load the practice, add patients; plan each client's distinct slots."""
    from clinic import clock, practice, slots
    from clinic.config import PROJECT_ROOT
    from clinic.db import create_engine_for, session_scope, upgrade
    from clinic.models import Patient

    upgrade(url)
    engine = create_engine_for(url)
    with session_scope(engine) as s:
        practice.load_clinic_file(s, PROJECT_ROOT / "clinic" / "demo_clinic.yml")
        s.execute(
            insert(Patient),
            [
                {
                    "first_name": "Bench",
                    "last_name": f"Client{n}",
                    "date_of_birth": date(1960, 1, 1) + timedelta(days=n),
                    "phone": f"+1413556{n:04d}",
                    "created_at": clock.now(),
                }
                for n in range(5000)
            ],
        )
    plans: list[list[tuple[str, str, int]]] = [[] for _ in range(CLIENTS)]
    with session_scope(engine, readonly=True) as s:
        now = clock.now()
        free = slots.find_free_slots(s, TYPE, None, now, now + timedelta(days=58), limit=None)
    # Give each (provider, day) to one client, round robin, so clients never compete.
    # Rooms are shared across providers, so keep at most three providers busy at one time:
    # the fourth provider's slots (three exam rooms) are left out.
    owners: dict[tuple[str, date], int] = {}
    patient = 1
    for slot in free:
        key = (slot.provider_key, slot.local_start.date())
        if slot.provider_key == "garcia":
            continue
        if key not in owners:
            owners[key] = len(owners) % CLIENTS
        # One visit per provider per 30 minutes (the grid is 15) so a client's own bookings
        # don't refuse each other.
        if slot.local_start.minute % 30:
            continue
        plans[owners[key]].append((slot.provider_key, slot.start.isoformat(), patient))
        patient += 1
    engine.dispose()
    return plans


def _backend_cpu_seconds(pid: int | None) -> float | None:
    """CPU time of the PostgreSQL backend serving `pid` (Linux, same machine), else None."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy_seconds() -> float | None:
    """CPU seconds all processes on this machine have used (Linux /proc/stat), else None."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _client(url: str, plan, barrier, results, warmup: int = WARMUP) -> None:
    """One client process: one engine with one connection for its whole life (as an action
    server worker keeps its pool), `warmup` untimed bookings (imports, the practice cache,
    PostgreSQL's prepared statements), then the timed bookings."""
    from clinic import scheduling
    from clinic.audit import Actor
    from clinic.config import get_settings
    from clinic.db import create_engine_for, session_scope
    from clinic.errors import SlotTaken

    get_settings.cache_clear()
    engine = create_engine_for(url, pool_size=1, max_overflow=0)

    def book(provider_key: str, start_iso: str, patient_id: int) -> bool:
        try:
            with session_scope(engine) as s:
                scheduling.book(
                    s,
                    Actor.system(),
                    type_key=TYPE,
                    provider_key=provider_key,
                    start=datetime.fromisoformat(start_iso),
                    patient_id=patient_id,
                )
            return True
        except SlotTaken:
            return False

    with engine.connect() as connection:  # connect before the clock starts
        backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    for item in plan[:warmup]:
        book(*item)
    timed = plan[warmup:]
    barrier.wait()
    server_before = _backend_cpu_seconds(backend)
    cpu_before, start = time.process_time(), time.perf_counter()
    booked = sum(book(*item) for item in timed)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_before
    server_after = _backend_cpu_seconds(backend)
    server = None if server_after is None else server_after - server_before
    results.put((booked, len(timed) - booked, seconds, cpu, server))
    engine.dispose()


def _contest(url: str) -> dict:
    """Everyone tries the same Thursday 10:00 with Dr Patel at the same moment (a day the
    distinct-slot run left alone: it books only the next 58 days)."""
    start_iso = datetime.fromisoformat("2027-04-29T10:00:00-04:00").isoformat()
    barrier = mp.Barrier(CONTENDERS)
    results: mp.Queue = mp.Queue()
    procs = [
        mp.Process(
            target=_client, args=(url, [("patel", start_iso, 4000 + n)], barrier, results, 0)
        )
        for n in range(CONTENDERS)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=300) for _ in procs]
    for proc in procs:
        proc.join()
    return {
        "contenders": CONTENDERS,
        "winners": sum(outcome[0] for outcome in outcomes),
        "refused": sum(outcome[1] for outcome in outcomes),
    }


def main() -> dict:
    os.environ["MEDSEC_NOW"] = NOW
    from clinic.config import get_settings

    get_settings.cache_clear()
    base = postgres_url()
    if not base:
        print("skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL to a PostgreSQL database")
        return {"skipped": "no PostgreSQL URL"}
    from clinic.db import create_engine_for

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine_for(base)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = (
        make_url(base)
        .update_query_dict({"options": f"-csearch_path={schema},public"})
        .render_as_string(hide_password=False)
    )
    try:
        plans = _setup(url)
        load_before = machine()["load_average_1m"]
        barrier = mp.Barrier(CLIENTS + 1)  # this process too: it notes the machine's CPU use
        results: mp.Queue = mp.Queue()
        procs = [mp.Process(target=_client, args=(url, plan, barrier, results)) for plan in plans]
        for proc in procs:
            proc.start()
        barrier.wait()
        busy_before, started = _machine_busy_seconds(), time.perf_counter()
        outcomes = [results.get(timeout=600) for _ in procs]
        busy_after, window = _machine_busy_seconds(), time.perf_counter() - started
        for proc in procs:
            proc.join()
        total = sum(len(plan) - WARMUP for plan in plans)
        booked = sum(outcome[0] for outcome in outcomes)
        refused = sum(outcome[1] for outcome in outcomes)
        wall = max(outcome[2] for outcome in outcomes)
        rate = booked / wall
        client_cpu_ms = 1000 * sum(outcome[3] for outcome in outcomes) / booked
        servers = [outcome[4] for outcome in outcomes]
        server_cpu_ms = None if None in servers else 1000 * sum(servers) / booked
        # What everything else on the machine (other people's jobs) used meanwhile, in CPUs.
        others = None
        if busy_before is not None and busy_after is not None and None not in servers:
            ours = sum(outcome[3] for outcome in outcomes) + sum(servers)
            others = max(0.0, busy_after - busy_before - ours) / window
        engine = create_engine_for(url)
        with engine.connect() as c:
            from clinic.models import Appointment

            rows = c.execute(select(func.count()).select_from(Appointment)).scalar_one()
        engine.dispose()
        verdict = "OK" if rate >= TARGET_PER_SECOND else "BELOW TARGET"
        server_text = "n/a" if server_cpu_ms is None else f"{server_cpu_ms:.2f} ms"
        print(
            f"distinct slots: {CLIENTS} clients booked {booked}/{total} in {wall:.2f} s = "
            f"{rate:.0f} bookings/s (target >= {TARGET_PER_SECOND:.0f}: {verdict}); "
            f"refused {refused}; rows in store {rows} (with {WARMUP * CLIENTS} warm-up bookings)"
        )
        print(
            f"cpu per booking: clients {client_cpu_ms:.2f} ms, PostgreSQL backends {server_text}"
            f"; load average {load_before} before, {machine()['load_average_1m']} after"
        )
        if others is not None:
            print(
                f"meanwhile other processes used {others:.2f} of the {os.cpu_count()} cpus; "
                f"with all {os.cpu_count()} cpus free, this cpu per booking would allow at most "
                f"~{os.cpu_count() * 1000 / (client_cpu_ms + server_cpu_ms):.0f} bookings/s "
                "(an estimate, not a measurement)"
            )
        contest = _contest(url)
        print(
            f"one contested slot: {contest['contenders']} clients, {contest['winners']} won, "
            f"{contest['refused']} told it was taken "
            f"({ {0: 'NO WINNER', 1: 'OK'}.get(contest['winners'], 'DOUBLE BOOKING') })"
        )
        return {
            "machine": {**machine(), "load_average_1m_before": load_before},
            "distinct": {
                "clients": CLIENTS,
                "warmup_per_client": WARMUP,
                "attempted": total,
                "booked": booked,
                "refused": refused,
                "seconds": round(wall, 3),
                "bookings_per_second": round(rate, 1),
                "target_per_second": TARGET_PER_SECOND,
                "client_cpu_ms_per_booking": round(client_cpu_ms, 3),
                "server_cpu_ms_per_booking": None
                if server_cpu_ms is None
                else round(server_cpu_ms, 3),
                "other_processes_cpus": None if others is None else round(others, 2),
            },
            "contested": contest,
        }
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    run("clinic_booking", main)
