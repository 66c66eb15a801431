"""Two questions in one message: the runner-up is answered too, but only when the message
plainly asks it."""

from __future__ import annotations

from actions.appointments import ActionListAppointments
from actions.faq import ActionAskInsurance
from clinic import scheduling
from tests.actions.helpers import MARIA, STRANGER_WEB, run, texts, tracker
from tests.actions.test_appointments import upcoming


def asking(sender, text, intent, runner_up, confidence=0.05):
    t = tracker(sender, text, intent)
    t.latest_message["intent_ranking"] = [
        {"name": intent, "confidence": 1 - confidence},
        {"name": runner_up, "confidence": confidence},
    ]
    return t


def test_balance_and_next_appointment_are_both_answered(db):
    text = "what's my balance and when is my next appointment?"
    _, said = run(ActionListAppointments(), asking(MARIA, text, "list_appointments", "ask_balance"))
    answer = texts(said)
    assert scheduling.describe(upcoming(db, MARIA)[0]) in answer  # the first question
    assert "balance" in answer.lower() or "owe" in answer.lower()  # and the second
    assert len(said.messages) == 2


def test_the_runner_up_alone_is_not_a_second_question(db):
    for text in (
        "when is my next appointment and can I bring my son?",  # no balance words
        "I owe you one, when is my next appointment?",  # balance words, but one request
    ):
        _, said = run(
            ActionListAppointments(), asking(MARIA, text, "list_appointments", "ask_balance")
        )
        assert len(said.messages) == 1, text
    # too unlikely a runner-up
    text = "when is my next appointment and what's my balance"
    _, said = run(
        ActionListAppointments(),
        asking(MARIA, text, "list_appointments", "ask_balance", confidence=0.001),
    )
    assert len(said.messages) == 1


def test_insurance_and_address_for_a_stranger(db):
    text = "do you take aetna and what's your address"
    t = asking(STRANGER_WEB, text, "ask_insurance", "ask_location", confidence=0.007)
    t.latest_message["entities"] = [{"entity": "insurer", "value": "aetna"}]
    _, said = run(ActionAskInsurance(), t)
    assert texts(said).startswith("Yes, we accept Aetna.")
    assert "Maple Street" in texts(said)  # the address, answered second
