"""Store commands: `medsec db upgrade`, `medsec clinic load FILE`, `medsec seed demo`,
`medsec patient add`, `medsec staff add|list`.

Each runs one transaction against DATABASE_URL; a domain error (bad phone, unknown role...)
prints one red line and exits 1, a configuration error exits 2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from clinic.config import ConfigError, load_settings

console = Console()

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
clinic_app = typer.Typer(
    help="The practice's facts (hours, providers, visit types...).", no_args_is_help=True
)
seed_app = typer.Typer(help="Fill the store with demo data.", no_args_is_help=True)
patient_app = typer.Typer(help="Patients.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff members.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(clinic_app, name="clinic")
    app.add_typer(seed_app, name="seed")
    app.add_typer(patient_app, name="patient")
    app.add_typer(staff_app, name="staff")


def _database_url() -> str:
    try:
        return load_settings().database_url
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(code=2) from None


@contextmanager
def _transaction() -> Iterator:
    from clinic.db import create_engine_for, session_scope
    from clinic.errors import DomainError

    engine = create_engine_for(_database_url())
    try:
        with session_scope(engine) as session:
            yield session
    except DomainError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()


def _run[T](action: Callable[..., T]) -> T:
    with _transaction() as session:
        return action(session)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Alembic revision")) -> None:
    """Create or migrate the schema to the newest version (safe to repeat)."""
    from sqlalchemy.engine import make_url

    from clinic.db import current_revision, upgrade

    url = _database_url()
    before = current_revision(url)
    upgrade(url, revision)
    after = current_revision(url)
    where = make_url(url).render_as_string(hide_password=True)
    if before == after:
        console.print(f"[green]database up to date[/green] (revision {after}) at {where}")
    else:
        console.print(f"[green]database upgraded[/green] {before or 'empty'} → {after} at {where}")


@clinic_app.command("load")
def clinic_load(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
) -> None:
    """Load (or reload) the practice from a clinic YAML file such as clinic/demo_clinic.yml."""
    from clinic.practice import load_clinic_file

    counts = _run(lambda s: load_clinic_file(s, file))
    console.print(
        f"[green]loaded[/green] {file}: "
        + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items())
    )


@seed_app.command("demo")
def seed_demo_command(
    now: str | None = typer.Option(
        None, help="ISO 8601 'now' to seed around (default: MEDSEC_NOW or the clock)"
    ),
    patients: int = typer.Option(60, min=3, max=5000),
    random_seed: int = typer.Option(7, help="Same seed, same data."),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="Do nothing when a practice is already loaded (make run)."
    ),
) -> None:
    """Fill an empty, migrated store with the demo practice (a month of appointments around now)."""
    from clinic.seed import has_practice, seed_demo

    if if_empty and _run(has_practice):
        console.print("store already holds a practice: demo seeding skipped")
        return

    moment = None
    if now:
        try:
            moment = datetime.fromisoformat(now)
        except ValueError:
            console.print(f"[red]error:[/red] --now '{now}' is not an ISO 8601 date-time")
            raise typer.Exit(code=2) from None
        if moment.tzinfo is None:
            from clinic.clock import clinic_tz

            moment = moment.replace(tzinfo=clinic_tz())
    try:
        report = _run(
            lambda s: seed_demo(s, now=moment, patients=patients, random_seed=random_seed)
        )
    except ValueError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=1) from None
    table = Table("table", "rows", title="demo practice seeded")
    for name, count in report.counts.items():
        table.add_row(name, str(count))
    console.print(table)
    console.print("Demo patient: Maria Lopez, +14135550142, born 1985-04-12 (linked to tg:1001).")
    console.print(
        "This is made-up demo data; a real practice starts from an empty database with "
        "`medsec clinic load FILE`."
    )


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date like 1985-04-12") from None


@patient_app.command("add")
def patient_add(
    first_name: str = typer.Option(..., "--first-name"),
    last_name: str = typer.Option(..., "--last-name"),
    date_of_birth: str = typer.Option(..., "--dob", help="YYYY-MM-DD"),
    phone: str = typer.Option(..., help="Any common format; US numbers need no +1"),
    email: str | None = typer.Option(None),
    insurer: str | None = typer.Option(None, help="insurer key or name, e.g. aetna"),
    member_id: str | None = typer.Option(None, "--member-id"),
    identity: str | None = typer.Option(None, help="link a channel identity, e.g. tg:12345"),
) -> None:
    """Register a patient."""
    from clinic.identity import register_patient

    dob = _parse_date(date_of_birth)
    patient = _run(
        lambda s: register_patient(
            s,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=dob,
            phone=phone,
            email=email,
            insurer=insurer,
            member_id=member_id,
            identity=identity,
        )
    )
    console.print(f"[green]patient #{patient.id}[/green] {patient.full_name}, {patient.phone}")


@staff_app.command("add")
def staff_add(
    name: str = typer.Option(...),
    role: str = typer.Option(..., help="front_desk | billing | nurse | provider | manager"),
    telegram_id: int | None = typer.Option(None, "--telegram-id", help="numeric Telegram user id"),
    email: str | None = typer.Option(None),
    provider: str | None = typer.Option(None, help="provider key, for staff who see patients"),
) -> None:
    """Add a staff member (with a Telegram id they can use the staff commands)."""
    from clinic.staff import add_staff

    staff = _run(
        lambda s: add_staff(
            s,
            name=name,
            role=role,
            telegram_user_id=telegram_id,
            email=email,
            provider_key=provider,
        )
    )
    console.print(f"[green]staff #{staff.id}[/green] {staff.name} ({staff.role.value})")


@staff_app.command("list")
def staff_list_command() -> None:
    """List staff members."""
    from sqlalchemy import select

    from clinic.models import Staff

    rows = _run(lambda s: list(s.scalars(select(Staff).order_by(Staff.id))))
    table = Table("id", "name", "role", "telegram id", "active", title="staff")
    for row in rows:
        table.add_row(
            str(row.id),
            row.name,
            row.role.value,
            str(row.telegram_user_id or "-"),
            "yes" if row.active else "no",
        )
    console.print(table)
