"""The `medsec` command line (Typer + Rich).

Sub-command groups live next to what they drive and are registered here, so each area
(database, seeding, patients, staff, running the services) owns its commands.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from clinic.config import ConfigError, load_settings
from medsec import store_commands
from medsec.nlu_lookups import nlu_app

app = typer.Typer(
    name="medsec",
    help="medsec, the virtual medical secretary: set up the store, seed it, run the assistant.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")
store_commands.register(app)  # db, clinic, seed, patient, staff
app.add_typer(nlu_app, name="nlu")

console = Console()


def settings_or_exit():
    """Load settings or stop with the one-line message naming the bad variable."""
    try:
        return load_settings()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(code=2) from None


@config_app.command("show")
def config_show() -> None:
    """Show the effective configuration (secrets masked)."""
    settings = settings_or_exit()
    table = Table("variable", "value", title="medsec configuration")
    for name, value in settings.model_dump().items():
        if "token" in name and value:
            value = value[:4] + "…"
        table.add_row(name, str(value))
    console.print(table)


@config_app.command("check")
def config_check() -> None:
    """Validate the configuration; exit 2 with one clear line if something is wrong."""
    settings_or_exit()
    console.print("[green]configuration OK[/green]")


@app.command("run")
def run(
    no_bot: bool = typer.Option(False, help="Start Rasa and the action server only."),
) -> None:
    """Start the assistant: action server, Rasa server and the bot (Telegram or local web chat)."""
    from medsec.runner import run_services

    settings = settings_or_exit()
    raise typer.Exit(code=run_services(settings, with_bot=not no_bot))


if __name__ == "__main__":
    app()
