"""nlu/rasa_speedups.py changes how Rasa works inside, not what it does: checked in .venv-rasa
against Rasa's own code on the same inputs."""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.servers import run_in_rasa_env

pytestmark = [pytest.mark.rasa]

CHECK = textwrap.dedent(
    """
    import asyncio, json, sys, tempfile
    from jsonschema import ValidationError, validate
    from rasa.core.actions.action import RemoteAction
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core import events
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
    import nlu.rasa_speedups as speedups

    spec = RemoteAction.action_response_format_spec()
    responses = json.loads(sys.argv[1])
    original = []
    for response in responses:
        try:
            validate(response, spec)
            original.append("ok")
        except ValidationError:
            original.append("refused")
    original_resolve = {name: events.Event.resolve_by_type(name).__name__
                        for name in ("user", "bot", "slot", "active_loop", "action")}
    domain = Domain.load("domain.yml")
    url = "sqlite:///" + tempfile.mkdtemp() + "/t.db"

    async def roundtrip(store):
        def session_start():
            # as Rasa logs it: session_started is made (stamped) before the action is logged
            started = events.SessionStarted()
            return [events.ActionExecuted("action_session_start"), started,
                    events.ActionExecuted("action_listen")]
        tracker = DialogueStateTracker.from_events("web:x", [
            *session_start(),
            events.UserUttered("hi", {"name": "greet", "confidence": 1.0}),
            events.SlotSet("time", {"from": "2027-03-02T08:00:00-05:00",
                                    "to": "2027-03-02T12:00:00-05:00"}),
            events.ActiveLoop("booking_form"),
            events.BotUttered("hello", {"buttons": [{"title": "a", "payload": "/b"}]}),
        ], domain.slots)
        await store.save(tracker)
        tracker.update(events.SlotSet("provider", "patel"))
        await store.save(tracker)
        current_one = (await store.retrieve("web:x")).current_state(EventVerbosity.ALL)
        # a second conversation session: retrieve gives only it, the full tracker both
        for event in [*session_start(), events.UserUttered("again", {"name": "greet"})]:
            tracker.update(event)
        await store.save(tracker)
        # Rasa loads the tracker of the current session each turn and saves it back
        loaded = await store.retrieve("web:x")
        await store.save(loaded)  # nothing new: nothing stored twice
        current_two = (await store.retrieve("web:x")).current_state(EventVerbosity.ALL)
        full = (await store.retrieve_full_tracker("web:x")).current_state(EventVerbosity.ALL)
        unknown = await store.retrieve("web:nobody")
        return [current_one, current_two, full, unknown]

    before = asyncio.run(roundtrip(SQLTrackerStore(domain, host=url.replace("t.db", "a.db"))))
    speedups.install()
    patched = []
    for response in responses:
        try:
            RemoteAction("x", None)._validate_action_result(response)
            patched.append("ok")
        except ValidationError:
            patched.append("refused")
    patched_resolve = {name: events.Event.resolve_by_type(name).__name__
                       for name in original_resolve}
    after = asyncio.run(roundtrip(SQLTrackerStore(domain, host=url)))
    for state in before[:3] + after[:3]:
        state.pop("latest_event_time", None)
        for event in state["events"]:
            event.pop("timestamp", None)
    print(json.dumps({"original": original, "patched": patched,
                      "resolve": [original_resolve, patched_resolve],
                      "same_tracker": before == after,
                      "events": [len(state["events"]) for state in after[:3]],
                      "unknown": after[3]}))
    """
)

RESPONSES = [
    {
        "events": [{"event": "slot", "timestamp": None, "name": "time", "value": "2027-03-05"}],
        "responses": [{"text": "hi", "buttons": [{"title": "a", "payload": "/b"}]}],
    },
    {"events": [{"event": "active_loop", "name": None}, {"event": "bot", "text": "x"}]},
    {"events": [], "responses": []},
    {"events": [{"name": "no event key"}]},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot", "timestamp": "not a number"}]},
    {"events": [{"event": "user", "text": 5}]},
    {"events": "not a list"},
    {"responses": 3},
]


def test_speedups_keep_rasas_behaviour() -> None:
    found = run_in_rasa_env(CHECK, json.dumps(RESPONSES))
    assert found["patched"] == found["original"]
    assert found["original"] == ["ok"] * 3 + ["refused"] * 6
    assert found["resolve"][0] == found["resolve"][1]
    assert found["same_tracker"] is True
    # first session (8 events), second session only (4), both sessions; no such sender
    assert found["events"] == [8, 4, 12]
    assert found["unknown"] is None


GRAPH_CHECK = textwrap.dedent(
    """
    import asyncio, json, sys
    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core import events
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, ENTITIES
    import nlu.rasa_speedups as speedups

    agent = asyncio.run(load_agent(model_path="models/medsec.tar.gz"))
    processor = agent.processor
    runner = processor.graph_runner
    assert DaskGraphRunner.run is speedups._run_graph, "loading the model installs the runner"
    nlu, core = processor.model_metadata.nlu_target, processor.model_metadata.core_target

    def parse(run, text, tracker):
        inputs = {"__message__": [UserMessage(text)], "__tracker__": tracker}
        (message,) = run(runner, inputs, [nlu])[nlu]
        return {k: message.get(k) for k in (INTENT, INTENT_RANKING_KEY, ENTITIES)}

    def predict(run, tracker):
        prediction = run(runner, {"__tracker__": tracker}, [core])[core]
        return [prediction.policy_name, [round(p, 6) for p in prediction.probabilities]]

    same = []
    for text in json.loads(sys.argv[1]):
        tracker = DialogueStateTracker.from_events("web:x", [
            events.ActionExecuted("action_listen")], processor.domain.slots)
        parsed = parse(speedups._dask_run, text, tracker)
        same.append(parsed == parse(DaskGraphRunner.run, text, tracker))
        tracker.update(events.UserUttered(text, parsed[INTENT], parsed[ENTITIES]))
        same.append(predict(speedups._dask_run, tracker) == predict(DaskGraphRunner.run, tracker))
    print(json.dumps({"same": same,
                      "intent": parse(DaskGraphRunner.run, "book a checkup", None)["intent"]}))
    """
)


def test_graph_runner_gives_what_dask_gives() -> None:
    texts = ["hi", "I need a checkup with Dr Patel next week", "how much do I owe?", "asdf qwer"]
    found = run_in_rasa_env(GRAPH_CHECK, json.dumps(texts))
    assert found["same"] == [True] * 2 * len(texts)
    assert found["intent"]["name"] == "book_appointment"


TURNS_CHECK = textwrap.dedent(
    """
    import asyncio, json, os
    os.environ["RASA_TURNS_IN_FLIGHT"] = "2"
    import nlu.rasa_speedups as speedups

    in_flight, peak, finished = 0, 0, []

    async def turn(self, message):  # stands in for Rasa's MessageProcessor.handle_message
        global in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        finished.append(message)
        in_flight -= 1
        return [message]

    speedups._original_handle_message = turn

    async def many():
        return await asyncio.gather(*(speedups._handle_message_in_turn(None, n) for n in range(8)))

    first = asyncio.run(many())
    second = asyncio.run(many())  # a new event loop gets its own slots
    print(json.dumps({"peak": peak, "finished": finished, "answers": first + second}))
    """
)


def test_at_most_n_turns_run_at_once_and_the_rest_wait_in_order() -> None:
    found = run_in_rasa_env(TURNS_CHECK)
    assert found["peak"] == 2
    assert found["finished"] == list(range(8)) * 2, "first come, first served"
    assert found["answers"] == [[n] for n in range(8)] * 2, "every turn answered"


PAYLOAD_CHECK = textwrap.dedent(
    """
    import asyncio, json, sys
    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker
    import nlu.rasa_speedups as speedups

    agent = asyncio.run(load_agent(model_path="models/medsec.tar.gz"))
    processor = agent.processor
    assert MessageProcessor._parse_message_with_graph is speedups._parse_payload_or_graph

    ran_pipeline = []
    graph_run = processor.graph_runner.run

    def counting_run(*args, **kwargs):
        ran_pipeline.append(True)
        return graph_run(*args, **kwargs)

    processor.graph_runner.run = counting_run
    found = []
    for text in json.loads(sys.argv[1]):
        tracker = DialogueStateTracker.from_events("web:x", [], processor.domain.slots)
        ran_pipeline.clear()
        shortcut = asyncio.run(processor.parse_message(UserMessage(text), tracker))
        skipped = not ran_pipeline
        whole = speedups._graph_parse(processor, UserMessage(text), tracker)
        processor._update_full_retrieval_intent(whole)
        found.append({"text": text, "same": shortcut == whole, "skipped": skipped,
                      "intent": shortcut["intent"]["name"], "entities": shortcut["entities"]})
    print(json.dumps(found))
    """
)


def test_a_button_payload_is_read_as_the_pipeline_reads_it_without_running_it() -> None:
    slot = '/inform{"slot_start":"2026-03-02T09:00:00-05:00"}'
    texts = [slot, '/inform{"provider":"any"}', "/affirm", "/no_such_intent", "/", "hi there"]
    found = {row["text"]: row for row in run_in_rasa_env(PAYLOAD_CHECK, json.dumps(texts))}
    assert all(row["same"] for row in found.values()), found
    assert found[slot]["intent"] == "inform"
    assert found[slot]["entities"][0]["value"] == "2026-03-02T09:00:00-05:00"
    assert found["/affirm"]["intent"] == "affirm"
    # payloads Rasa knows are read directly; anything else still goes through the pipeline
    assert [found[t]["skipped"] for t in texts] == [True, True, True, False, False, False]


COPY_CHECK = textwrap.dedent(
    """
    import json, logging
    import nlu.rasa_speedups as speedups
    from rasa.core import processor
    from rasa.core.actions import action, forms
    from rasa.core.policies import rule_policy

    speedups.install()
    states = [{"user": {"intent": "greet"}}, {"prev_action": {"action_name": "action_greet"}}]
    quiet = rule_policy.copy.deepcopy(states) is states
    logging.getLogger().setLevel(logging.DEBUG)
    debugging = rule_policy.copy.deepcopy(states)
    print(json.dumps({
        "quiet_no_copy": quiet,
        "debug_copies": debugging == states and debugging is not states,
        "patched": [m.copy.__class__.__name__ for m in (processor, forms, rule_policy)],
        "action_module_untouched": action.copy.deepcopy(states) is not states,
    }))
    """
)


def test_debug_log_values_are_copied_only_when_debug_logging_is_on() -> None:
    found = run_in_rasa_env(COPY_CHECK)
    assert found["quiet_no_copy"] is True
    assert found["debug_copies"] is True
    assert found["patched"] == ["_CopyForDebugLines"] * 3
    # action.py copies the last user event for real (not for a log line): left alone
    assert found["action_module_untouched"] is True


HISTORY_CHECK = textwrap.dedent(
    """
    import json
    from rasa.shared.core import events as ev
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    import nlu.rasa_speedups as speedups

    speedups.install()
    domain = Domain.load("domain.yml")

    def user(intent, entities=(), text=None):
        return ev.UserUttered(text or intent, {"name": intent, "confidence": 0.9},
                              [dict(e) for e in entities])

    def act(name):
        return ev.ActionExecuted(name)

    start = [ev.SessionStarted(), act("action_session_start"), act("action_listen")]
    booking = [
        user("greet"), ev.DefinePrevUserUtteredFeaturization(False), act("action_greet"),
        ev.BotUttered("hi"), act("action_listen"),
        user("book_appointment", [{"entity": "appointment_type", "value": "checkup"}]),
        ev.DefinePrevUserUtteredFeaturization(False), act("booking_form"),
        ev.ActiveLoop("booking_form"), ev.SlotSet("appointment_type", "checkup"),
        ev.SlotSet("requested_slot", "provider"), act("action_listen"),
        # a digression: the form rejects, a question is answered, the form asks again
        user("ask_hours"), ev.DefinePrevUserUtteredFeaturization(False),
        ev.ActionExecutionRejected("booking_form"), act("action_ask_hours"), ev.BotUttered("9-5"),
        act("booking_form"), ev.SlotSet("requested_slot", "provider"), act("action_listen"),
        user("inform", [{"entity": "provider", "value": "any"}]),
        ev.DefinePrevUserUtteredFeaturization(False), act("booking_form"),
        ev.SlotSet("provider", "any"), ev.SlotSet("requested_slot", "slot_start"),
        act("action_listen"),
        # the patient's last message is taken back, then an action is reverted
        user("deny"), ev.UserUtteranceReverted(), act("action_listen"),
        user("stop"), ev.DefinePrevUserUtteredFeaturization(False), act("action_stop"),
        ev.ActionReverted(), act("action_stop"), ev.ActiveLoop(None),
        ev.SlotSet("requested_slot", None), act("action_listen"),
    ]
    # a loop never seen before changes how earlier events are read
    cancel = [
        user("cancel_appointment"), ev.DefinePrevUserUtteredFeaturization(False),
        act("cancel_form"), ev.ActiveLoop("cancel_form"), act("action_listen"),
        user("affirm"), act("cancel_form"), act("booking_form"), ev.ActiveLoop(None),
        act("action_listen"),
    ]
    restart = [ev.Restarted(), act("action_listen"), user("greet"), act("action_greet"),
               act("action_listen")]
    history = start + booking + cancel + booking[:20] + restart + start + booking[:12]

    checked, same_applied, same_states, first_diff, most_states = 0, True, True, None, 0
    live = DialogueStateTracker("web:x", domain.slots)
    for n, event in enumerate(history):
        live.update(event)
        for _ in range(2):  # a second call reuses what the first worked out
            fast = live.applied_events()
            slow = speedups._original_applied_events(live)
            if len(fast) != len(slow) or any(a is not b for a, b in zip(fast, slow)):
                same_applied = False
                first_diff = n if first_diff is None else first_diff
            if (domain.states_for_tracker_history(live)
                    != speedups._original_states_for_history(domain, live)):
                same_states = False
                first_diff = n if first_diff is None else first_diff
            checked += 1
        # callers may change the returned lists and the last state: nothing cached changes
        fast.clear()
        states = live.past_states(domain)
        most_states = max(most_states, len(states))
        states[-1].clear()
    fresh = DialogueStateTracker.from_events("web:y", history, domain.slots)
    print(json.dumps({
        "checked": checked, "same_applied": same_applied, "same_states": same_states,
        "first_diff": first_diff,
        "fresh_same": fresh.past_states(domain) == speedups._original_states_for_history(
            domain, fresh),
        "most_states": most_states,
    }))
    """
)


def test_applied_events_and_states_carried_on_are_the_ones_rasa_rebuilds() -> None:
    found = run_in_rasa_env(HISTORY_CHECK)
    assert found["first_diff"] is None
    assert found["same_applied"] and found["same_states"] and found["fresh_same"]
    assert found["checked"] == 2 * 90
    assert found["most_states"] >= 20  # long enough to matter
