"""Rasa's tracker store is the SQL database (nlu/tracker_store.py): a conversation in the
middle of a form survives a restart of the Rasa server and goes on where it was."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import post_json
from tests.servers import Server, start_rasa_server

pytestmark = [pytest.mark.rasa, pytest.mark.e2e]

AISHA = "web:demo-aisha"  # linked demo patient (clinic/seed.py)


def say(rasa: Server, text: str) -> str:
    replies = post_json(f"{rasa.url}/webhooks/rest/webhook", {"sender": AISHA, "message": text})
    return "\n".join(r.get("text") or "" for r in replies)


def test_a_booking_half_done_survives_a_rasa_restart(action_server, server_env) -> None:
    first = start_rasa_server(action_server_url=action_server.url, env=server_env)
    try:
        assert "Who would you like to see?" in say(first, "I want to book a checkup")
    finally:
        first.stop()
    second = start_rasa_server(action_server_url=action_server.url, env=server_env)
    try:
        # the form, its type (check-up) and the question asked came back from the database
        assert "When would you like to come in?" in say(second, "whoever is free")
        assert "stopped" in say(second, "stop")
    finally:
        second.stop()
