"""What every form does with an answer it cannot use, and the dialogue's own fallback."""

from __future__ import annotations

from actions.appointments import ValidateCancelForm
from actions.forms import ActionDialogueFallback
from tests.actions.helpers import MARIA, buttons, run, slots_of, texts, tracker


def test_the_forms_own_request_said_again_gets_its_question_again(db):
    events, said = run(
        ValidateCancelForm(),
        tracker(
            MARIA,
            "cancel my appointment",
            intent="cancel_appointment",
            slots={"requested_slot": "appointment_id"},
            form="cancel_form",
        ),
    )
    assert "didn't catch that" in texts(said)
    # the slot asked for is set, still empty: the form is not rejected and asks again
    assert slots_of(events) == {"appointment_id": None}


def test_a_side_question_is_left_to_its_rule(db):
    events, said = run(
        ValidateCancelForm(),
        tracker(
            MARIA,
            "what are your hours?",
            intent="ask_hours",
            slots={"requested_slot": "appointment_id"},
            form="cancel_form",
        ),
    )
    assert events == [] and not said.messages  # rejected: the ask_hours rule answers


def test_the_dialogue_fallback_says_so_and_forgets_the_message():
    events, said = run(ActionDialogueFallback(), tracker(MARIA, "hmm what", intent="ask_hours"))
    assert events == [{"event": "rewind", "timestamp": None}]
    assert "say it another way" in texts(said)
    assert [b["payload"] for b in buttons(said)] == ["/help", "/request_human"]


def test_each_forms_start_intent_is_one_that_starts_it_in_the_rules():
    """FORM_START_INTENTS repeats what data/rules.yml says; keep the two in step."""
    import yaml

    from actions.common import FORM_START_INTENTS
    from tests.servers import ROOT

    starts: dict[str, set[str]] = {}
    for rule in yaml.safe_load((ROOT / "data" / "rules.yml").read_text())["rules"]:
        steps = rule.get("steps", [])
        if len(steps) >= 2 and "intent" in steps[0] and "entities" not in steps[0]:
            form = steps[1].get("action", "")
            if form.endswith("_form"):
                starts.setdefault(form, set()).add(steps[0]["intent"])
    assert set(FORM_START_INTENTS) == set(starts)
    for form, intent in FORM_START_INTENTS.items():
        assert intent in starts[form], form
