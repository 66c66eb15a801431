"""The trained model, served by the real Rasa server, on text it never saw in training:
tests/nlu/holdout.yml (intents and entities), gibberish, and whole sentences with times."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from nlu.training_examples import read_examples, read_synonyms

pytestmark = pytest.mark.rasa

HERE = Path(__file__).parent
NLU_DATA = HERE.parents[1] / "data" / "nlu"
ENTITY_TYPES = ("provider", "appointment_type", "insurer", "room")
CAUGHT = ("out_of_scope", "nlu_fallback")


@pytest.fixture(scope="module")
def holdout_parses(parse):
    examples = read_examples(HERE / "holdout.yml", read_synonyms(*NLU_DATA.glob("*.yml")))
    return [(example, parse(example.text)) for example in examples]


def test_holdout_intent_accuracy_is_at_least_95_percent(holdout_parses):
    wrong = Counter()
    for example, result in holdout_parses:
        predicted = result["intent"]["name"]
        if predicted != example.intent and not (
            example.intent == "out_of_scope" and predicted == "nlu_fallback"
        ):
            wrong[f"{example.intent} -> {predicted}: {example.text}"] += 1
    accuracy = 1 - sum(wrong.values()) / len(holdout_parses)
    assert accuracy >= 0.95, f"{accuracy:.1%}; wrong:\n" + "\n".join(wrong)


def test_every_intent_is_in_the_holdout_set_at_least_8_times(holdout_parses):
    counts = Counter(example.intent for example, _ in holdout_parses)
    domain = yaml.safe_load((HERE.parents[1] / "domain.yml").read_text())
    assert {i: counts[i] for i in domain["intents"] if counts[i] < 8} == {}


def test_holdout_entities_map_to_store_keys(holdout_parses):
    tp = fp = fn = 0
    misses = []
    for example, result in holdout_parses:
        got = {(e["entity"], e["value"]) for e in result["entities"] if e["entity"] in ENTITY_TYPES}
        want = {pair for pair in example.entities if pair[0] in ENTITY_TYPES}
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        if got != want:
            misses.append(f"{example.text}: got {sorted(got)} want {sorted(want)}")
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.95 and recall >= 0.9, "\n".join(misses)


def test_gibberish_is_caught(parse):
    texts = yaml.safe_load((HERE / "gibberish.yml").read_text())["gibberish"]
    missed = [(t, parse(str(t))["intent"]["name"]) for t in texts]
    missed = [(t, intent) for t, intent in missed if intent not in CAUGHT]
    assert len(missed) <= 0.2 * len(texts), missed


@pytest.mark.parametrize(
    ("text", "intent", "entities"),
    [
        (
            "can I book a checkup with Dr Patel tomorrow at 3pm?",
            "book_appointment",
            {
                ("time", "2027-03-02T15:00:00-05:00"),
                ("provider", "patel"),
                ("appointment_type", "checkup"),
            },
        ),
        (
            "I need to move my appointment to friday morning",
            "reschedule_appointment",
            {("time", ("2027-03-05T08:00:00-05:00", "2027-03-05T12:00:00-05:00"))},
        ),
        (
            "book the conference room thursday 2-3pm for a staff meeting",
            "staff_book_meeting",
            {
                ("room", "conference"),
                ("time", ("2027-03-04T14:00:00-05:00", "2027-03-04T15:00:00-05:00")),
            },
        ),
        (
            "please cancel my flu shot next tuesday",
            "cancel_appointment",
            {("appointment_type", "vaccination"), ("time", "2027-03-09")},
        ),
        (
            "is the dermatologist free sometime next week?",
            "book_appointment",
            {("provider", "garcia"), ("time", ("2027-03-08", "2027-03-14"))},
        ),
        ("at 9", "inform", {("time", "2027-03-02T09:00:00-05:00")}),
        ("my date of birth is march 3 1950", "inform", {("time", "1950-03-03")}),
        (
            "may I do a blood test on sunday?",
            "book_appointment",
            {("appointment_type", "blood_test"), ("time", "2027-03-07")},
        ),
        ("do you take aetna?", "ask_insurance", {("insurer", "aetna")}),
        ("call me back on 413 555 0100 please", "leave_message", set()),
    ],
)
def test_whole_sentences(parse, text, intent, entities):
    result = parse(text)
    assert result["intent"]["name"] == intent
    got = set()
    for entity in result["entities"]:
        value = entity["value"]
        if isinstance(value, dict):
            value = (value["from"], value["to"])
        got.add((entity["entity"], value))
    assert got == entities
    times = [e for e in result["entities"] if e["entity"] == "time"]
    assert all(e["extractor"] == "TimeExtractor" for e in times)
