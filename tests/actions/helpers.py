"""Build trackers the way Rasa sends them, and run actions and form validators on them."""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from clinic.models import MessageSlip

ROOT = Path(__file__).resolve().parents[2]

MARIA = "tg:1001"  # patient, Telegram
AISHA = "web:demo-aisha"  # patient, web chat
RITA = "tg:2001"  # front desk staff
DR_PATEL = "tg:2003"  # Dr. Anika Patel, staff and a provider
STRANGER_TG = "tg:777000"
STRANGER_WEB = "web:someone-new"


@cache
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text())


def tracker(
    sender: str,
    text: str = "",
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    new_slots: dict[str, Any] | None = None,
    form: str | None = None,
    activating: bool = False,
) -> Tracker:
    """A tracker after the user's message `text`.

    `slots` were set in earlier turns; `new_slots` were just extracted from this message (the
    candidates a form validator validates). `form` is the active form; with `activating` the
    form is starting on this message (Rasa adds ActiveLoop after the user event)."""
    slots = {**(slots or {}), **(new_slots or {})}
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": entities or [],
    }
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest},
    ]
    if form and activating:
        events.append({"event": "active_loop", "name": form})
    events += [SlotSet(name, value) for name, value in (new_slots or {}).items()]
    return Tracker(
        sender_id=sender,
        slots=slots,
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": form} if form else {},
        latest_action_name="action_listen",
    )


def ent(name: str, value: Any) -> dict[str, Any]:
    return {"entity": name, "value": value}


def run(action: Action, t: Tracker) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, t, domain())
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return result, dispatcher


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def buttons(dispatcher: CollectingDispatcher) -> list[dict[str, str]]:
    return [b for m in dispatcher.messages for b in m.get("buttons") or []]


def customs(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    return [m["custom"] for m in dispatcher.messages if m.get("custom")]


def answered_by(t: Tracker, *actions: str) -> Tracker:
    """`t` as if `actions` had answered the messages before its latest one, in turn."""
    earlier: list[dict[str, Any]] = []
    for action in actions:
        earlier += [
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": "earlier"},
            {"event": "action", "name": action},
        ]
    t.events[:0] = earlier
    return t


def after_question(t: Tracker, text: str, buttons: list[dict[str, str]] | None = None) -> Tracker:
    """`t` as if the bot's last message, before the latest one, was `text` with `buttons`."""
    t.events[:0] = [{"event": "bot", "text": text, "data": {"buttons": buttons or []}}]
    return t


def newest_slip(db) -> MessageSlip:
    db.rollback()  # see what the action's own session wrote
    return db.scalars(select(MessageSlip).order_by(MessageSlip.id.desc())).first()
