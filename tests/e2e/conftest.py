"""One real Rasa server and one real action server for the whole test session, on loopback,
over a seeded SQLite store (a copy of the shared seeded database: these tests change it).

    e2e_store_url    the SQLite URL both servers use (clinic store and Rasa's tracker store)
    rasa             the Rasa server (tests.servers.Server); `rasa.url`
    talk(sender, text) -> list[dict]   one turn through POST /webhooks/rest/webhook
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clinic.seed import DEMO_NOW
from tests.servers import Server, start_action_server, start_rasa_server

Talk = Callable[[str, str], list[dict]]


@pytest.fixture(scope="session")
def e2e_store_url(seeded_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    source = Path(seeded_db_url.removeprefix("sqlite:///"))
    target = tmp_path_factory.mktemp("e2e") / "medsec.db"
    shutil.copy(source, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def server_env(e2e_store_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": e2e_store_url,
        "MEDSEC_NOW": DEMO_NOW.isoformat(),
        "MEDSEC_TIMEZONE": "America/New_York",
    }


@pytest.fixture(scope="session")
def action_server(server_env: dict[str, str]) -> Iterator[Server]:
    server = start_action_server(env=server_env)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rasa(action_server: Server, server_env: dict[str, str]) -> Iterator[Server]:
    server = start_rasa_server(action_server_url=action_server.url, env=server_env)
    yield server
    server.stop()


def post_json(url: str, body: dict, timeout: float = 30) -> object:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


@pytest.fixture(scope="session")
def talk(rasa: Server) -> Talk:
    def send(sender: str, text: str) -> list[dict]:
        answer = post_json(f"{rasa.url}/webhooks/rest/webhook", {"sender": sender, "message": text})
        assert isinstance(answer, list), answer
        return answer

    return send
