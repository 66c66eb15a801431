"""Start the real servers the end-to-end tests talk to: the Rasa server (in .venv-rasa) and
the rasa-sdk action server (in .venv), each as a child process on a free loopback port.

Rasa takes seconds to load the model, so test modules share one server per session
(see the fixtures in tests/conftest.py); these helpers only know how to start and stop one.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
MODEL = ROOT / "models" / "medsec.tar.gz"
LOG_DIR = ROOT / "var" / "test-logs"


def run_in_rasa_env(script: str, *args: str) -> Any:
    """Run a check script with .venv-rasa's Python (our nlu/ code against Rasa's own) and
    return the JSON it prints on its last line."""
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", script, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _wait_for(url: str, process: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited early; log:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(
        f"{url} did not come up in {timeout:.0f}s; log:\n{log_path.read_text()[-3000:]}"
    )


def _spawn(name: str, argv: list[str], env: Mapping[str, str]) -> tuple[subprocess.Popen, Path]:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{name}-{os.getpid()}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed when the child exits
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, log_path


def start_action_server(env: Mapping[str, str] | None = None, timeout: float = 60) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
    process, log_path = _spawn("actions", argv, {"SANIC_HOST": "127.0.0.1", **(env or {})})
    url = f"http://127.0.0.1:{port}"
    _wait_for(f"{url}/health", process, log_path, timeout)
    return Server("actions", url, process, log_path)


def start_rasa_server(
    action_server_url: str | None = None,
    env: Mapping[str, str] | None = None,
    endpoints: Path | None = None,
    timeout: float = 240,
) -> Server:
    if not MODEL.exists():
        raise RuntimeError("no trained model: run `make train` (make test does it first)")
    port = free_port()
    argv = [
        str(RASA_BIN),
        "run",
        "--model",
        str(MODEL),
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--enable-api",
        "--credentials",
        str(ROOT / "credentials.yml"),
        "--endpoints",
        str(endpoints or ROOT / "endpoints.yml"),
    ]
    action_url = (
        f"{action_server_url}/webhook" if action_server_url else "http://127.0.0.1:9/webhook"
    )
    process, log_path = _spawn("rasa", argv, {"ACTION_ENDPOINT_URL": action_url, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    _wait_for(f"{url}/status", process, log_path, timeout)
    return Server("rasa", url, process, log_path)
