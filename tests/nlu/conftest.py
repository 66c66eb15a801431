"""One real Rasa server per test session, serving the trained model (models/medsec.tar.gz),
with "now" frozen so time entities are predictable."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator

import pytest

from tests.servers import MODEL, Server, start_rasa_server

NLU_NOW = "2027-03-01T09:00:00-05:00"  # Monday 09:00, the demo "now"
NLU_TIMEZONE = "America/New_York"


@pytest.fixture(scope="session")
def nlu_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not MODEL.exists():
        pytest.fail("no trained model: run scripts/train.sh (make train) first")
    # parsing needs no tracker store, lock store or action server
    endpoints = tmp_path_factory.mktemp("nlu") / "endpoints.yml"
    endpoints.write_text("# none: NLU only\n")
    server = start_rasa_server(
        env={"MEDSEC_NOW": NLU_NOW, "MEDSEC_TIMEZONE": NLU_TIMEZONE}, endpoints=endpoints
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def parse(nlu_server: Server) -> Callable[[str], dict]:
    """POST /model/parse: what the served model makes of one message."""

    def _parse(text: str) -> dict:
        request = urllib.request.Request(
            f"{nlu_server.url}/model/parse",
            data=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    return _parse
