"""`medsec run`: start the action server, the Rasa server and the bot as child processes,
wait until each answers its health check, say what runs where, and stop them all together.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from clinic.config import PROJECT_ROOT, Settings

console = Console()
RASA_BIN = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = PROJECT_ROOT / "models" / "medsec.tar.gz"


@dataclass
class Service:
    name: str
    argv: list[str]
    health_url: str | None
    env: dict[str, str]
    startup_timeout: float = 180.0
    process: subprocess.Popen | None = None


def _url_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except (urllib.error.URLError, OSError):
        return False


def rasa_port(settings: Settings) -> int:
    from urllib.parse import urlparse

    return urlparse(settings.rasa_url).port or 5005


def plan_services(settings: Settings, with_bot: bool) -> list[Service]:
    base_env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    port = rasa_port(settings)
    services = [
        Service(
            "actions",
            [
                sys.executable,
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "-p",
                str(settings.actions_port),
            ],
            f"http://127.0.0.1:{settings.actions_port}/health",
            # rasa-sdk binds SANIC_HOST; the action server must stay on loopback.
            {**base_env, "SANIC_HOST": "127.0.0.1"},
        ),
        Service(
            "rasa",
            [
                str(RASA_BIN),
                "run",
                "--model",
                str(MODEL),
                "--interface",
                "127.0.0.1",
                "--port",
                str(port),
                "--enable-api",
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
            ],
            f"http://127.0.0.1:{port}/status",
            {
                **base_env,
                "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{settings.actions_port}/webhook",
            },
        ),
    ]
    if with_bot and (PROJECT_ROOT / "bot" / "__main__.py").exists():
        services.append(
            Service("bot", [sys.executable, "-m", "bot"], None, base_env, startup_timeout=30)
        )
    return services


def _start(service: Service) -> None:
    log_dir = PROJECT_ROOT / "var" / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / f"{service.name}.log", "ab")  # noqa: SIM115 - lives as long as the child
    service.process = subprocess.Popen(
        service.argv,
        cwd=PROJECT_ROOT,
        env=service.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_healthy(service: Service) -> bool:
    deadline = time.monotonic() + service.startup_timeout
    while time.monotonic() < deadline:
        assert service.process is not None
        if service.process.poll() is not None:
            return False
        if service.health_url is None or _url_ok(service.health_url):
            return True
        time.sleep(0.5)
    return False


def _stop(services: list[Service]) -> None:
    for service in reversed(services):
        if service.process and service.process.poll() is None:
            os.killpg(service.process.pid, signal.SIGTERM)
    for service in services:
        if service.process:
            try:
                service.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(service.process.pid, signal.SIGKILL)


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run_services(settings: Settings, with_bot: bool = True) -> int:
    if not RASA_BIN.exists():
        console.print("[red]error:[/red] .venv-rasa is missing: run `make setup` first")
        return 1
    if not MODEL.exists():
        console.print("[red]error:[/red] no trained model in models/: run `make train` first")
        return 1
    services = plan_services(settings, with_bot)
    # `kill <pid>` (and a container stop) must stop the children too, like Ctrl+C does.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    table = Table("service", "pid", "where", "log", title="medsec is running")
    try:
        for service in services:
            with console.status(f"starting {service.name}…"):
                _start(service)
                if not _wait_healthy(service):
                    console.print(
                        f"[red]error:[/red] {service.name} did not start; "
                        f"see var/log/{service.name}.log"
                    )
                    _stop(services)
                    return 1
            assert service.process is not None
            table.add_row(
                service.name,
                str(service.process.pid),
                service.health_url or "-",
                f"var/log/{service.name}.log",
            )
        console.print(table)
        console.print("Press Ctrl+C to stop.")
        while all(s.process and s.process.poll() is None for s in services):
            time.sleep(1)
        dead = [s.name for s in services if s.process and s.process.poll() is not None]
        console.print(f"[red]stopped:[/red] {', '.join(dead)} exited; stopping the rest")
        return 1
    except KeyboardInterrupt:
        console.print("stopping…")
        return 0
    finally:
        _stop(services)
