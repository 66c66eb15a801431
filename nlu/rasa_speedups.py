"""Fixes for Rasa 3.6 hot spots that cost more than the dialogue itself.

Measured with cProfile on our conversations (bench/rasa_turns.py has the before/after):
  1. Every custom action's response is checked with `jsonschema.validate(response, spec)`,
     which first validates the constant spec against the meta-schema (~140 ms of CPU per
     action call with the pinned jsonschema 4.17), then tries each event against all 23 event
     shapes (`oneOf`, ~3 ms more). Here the spec is compiled once, and each event is checked
     against the one shape its `event` name selects: the same rules (the shapes are told
     apart by that name), the same ValidationError when a response breaks them.
  2. Every stored event is deserialised through `Event.resolve_by_type`, which walks all
     Event subclasses (with `inspect.isabstract` on each) for every single event: ~0.2 ms per
     event, so ~20 ms to load a 100-event conversation. Here the lookup is a dict, built from
     the same subclass walk and rebuilt whenever a name is missing (late-imported events).
  3. Rasa opens its SQLite tracker store with SQLite's default `synchronous=FULL`, an fsync
     per turn on the event loop (~10 ms). Here SQLite connections made through SQLAlchemy use
     `synchronous=NORMAL` in WAL mode, the setting the clinic store already uses: safe
     against process crashes; an OS crash may lose the last turns, never corrupt the file.
  4. The SQL tracker store loads a conversation as ORM objects (~75 us each in SQLAlchemy 1.4,
     ~20 ms for a 10-turn conversation) only to read their JSON column; and  5. saves each new
     event as an ORM object. Here it reads just the JSON column, and inserts a turn's new
     events in one statement, their JSON read and written with orjson; what is stored and
     loaded is unchanged (the same JSON, without json.dumps's spaces). Its queries (the same
     SQL as Rasa's) are built once, not per call: SQLAlchemy spent ~0.7 ms computing the cache
     key of each freshly built ORM query, three a turn.
  6. Rasa's heap after loading (TensorFlow, the model, ~470,000 objects) makes every full
     garbage collection a ~440 ms stall of the event loop. Once the model is loaded those
     objects are frozen (`gc.freeze()`): collections then walk only what the turns allocate.
  7. Every action call opens a new aiohttp session (a new TCP connection) and encodes the
     whole tracker with the standard json module. Here each endpoint keeps one session with
     keep-alive connections and encodes with orjson (same JSON).
  8. The logistic regression's coefficients are stored [intents, features] in C order;
     `X @ coef_.T` with a sparse X makes SciPy copy the whole matrix (35 x 17,000 here) to
     C order on every message (~0.3 ms, more under load). Here they are kept in Fortran order,
     so `coef_.T` is already C-ordered: the same numbers, no copy.
  9. Each NLU parse and each policy prediction runs Rasa's model graph through dask's
     synchronous scheduler, rebuilding the minimal graph and the dask task dict on every run
     (~8 % of the CPU of a turn). Here the order of the nodes a set of targets needs is worked
     out once per runner and the nodes are called in that order, each with its parents'
     outputs, as dask calls them.
 10. Rasa starts every request's turn at once; at 20 concurrent turns each one's steps are
     interleaved with all the others' (every action call is an `await`), so a turn with three
     action calls queues behind the others three times: the slowest 5 % took 1.8x the median.
     Here at most RASA_TURNS_IN_FLIGHT turns (default 4) run at a time per process and the
     rest wait in arrival order: the same throughput, a tighter spread (p95 614 -> ~470-500 ms
     at 20 concurrent conversations, bench/rasa_turns.py). 0 turns this off.
 11. A button's payload (`/inform{"slot_start": ...}`) still goes through the whole NLU pipeline
     (the sentence encoder, the counts, the classifier, the date finder), and then the
     pipeline's last node, RegexMessageHandler, throws all of it away and reads the intent and
     entities from the payload. Here a payload that handler would unpack is unpacked directly,
     by the same function with the same domain: the same parse, in 0.01 ms instead of ~4.4.
     Anything else (free text, a "/" the handler would not unpack) runs the pipeline as before.
 12. Rasa's processor, forms and rule policy deep-copy what they pass to debug log lines
     (`structlogger.debug(..., current_states=copy.deepcopy(states))`), and the copy is made
     before the logger drops the line: the rule policy's copy of the conversation's states,
     on every prediction, grew with the conversation (~4 % of a turn's CPU). In those three
     modules, where `copy.deepcopy` is used for nothing else, it copies only when debug
     logging is on; otherwise the logger gets the value itself, and drops it.
 13. Every prediction rebuilds the dialogue states from the first event of the session: it
     works out which events still apply (`applied_events`, dropping reverted ones), replays
     them into a fresh tracker and reads a state at every action; the rule policy does that
     twice per prediction, and a turn makes three to five predictions. A turn late in a
     conversation (~90 events) spent ~1.2 ms per prediction on it. Here each live tracker keeps
     what it worked out last time and, when its events have only grown, carries on from there:
     the applied events from where they stopped (unless the new events name a loop not seen
     before, which changes how earlier events are read: then from scratch), and the states
     from the replay where it stopped, if the applied events so far are the very same ones.
     The last state, which callers change, is made fresh on every call. Same lists, same
     states (the tests compare them after every event of conversations with forms, rejected
     loops, reverted turns and restarts).

Installed by loading `RasaSpeedups` as a policy (config.yml `policies:`): a policy is what
Rasa loads with the model; it predicts nothing itself. Runs in .venv-rasa; imports nothing
from clinic/.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import itertools
import json
import logging
import os
import weakref
from functools import cache
from graphlib import TopologicalSorter
from typing import Any

import aiohttp
import numpy as np
import orjson
import sqlalchemy as sa
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import SQLTrackerStore
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core import events
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig
from sklearn.linear_model import LogisticRegression
from sqlalchemy import event
from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)
DOCS = "https://rasa.com/docs/rasa/custom-actions"

# --- 1. action server responses ----------------------------------------------------------------


@cache
def _response_validators() -> tuple[Any, dict[str, Any]]:
    """(validator of the response without the per-event `oneOf`, validator per event name)."""
    spec = RemoteAction.action_response_format_spec()
    cls = validator_for(spec)
    cls.check_schema(spec)  # once
    items = spec["properties"]["events"]["items"]
    shared = {key: value for key, value in items.items() if key != "oneOf"}
    outer = {
        **spec,
        "properties": {**spec["properties"], "events": {"type": "array", "items": shared}},
    }
    by_name = {
        shape["properties"]["event"]["const"]: cls({"allOf": [shared, shape]})
        for shape in items["oneOf"]
    }
    return cls(outer), by_name


def _check_response(result: Any) -> None:
    outer, by_name = _response_validators()
    outer.validate(result)
    for item in result.get("events") or []:
        shape = by_name.get(item["event"])
        if shape is None:
            raise ValidationError(f"'{item['event']}' is not a known event")
        shape.validate(item)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    try:
        _check_response(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS}"
        )
        raise error
    return True


# --- 2. event classes by name ------------------------------------------------------------------

_event_classes: dict[str, type[events.Event]] = {}
_original_resolve = events.Event.resolve_by_type


def _resolve_by_type(
    type_name: str, default: type[events.Event] | None = None
) -> type[events.Event] | None:
    found = _event_classes.get(type_name)
    if found is None:
        # First use, or an Event subclass imported since: walk the classes again.
        for cls in all_subclasses(events.Event):
            _event_classes.setdefault(cls.type_name, cls)
        found = _event_classes.get(type_name)
    if found is None:
        return _original_resolve(type_name, default)  # Rasa's own answer for the rest
    return found


# --- 3. SQLite durability setting --------------------------------------------------------------


def _sqlite_synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


# --- 4, 5. the SQL tracker store -----------------------------------------------------------------


@cache
def _tracker_statements(table: sa.Table) -> tuple[Any, Any, Any, Any]:
    """Rasa's tracker queries (SQLTrackerStore._event_query and the count and insert in
    `save`), built once with the sender as a bound parameter. Rasa builds them as new ORM
    queries on every call, and SQLAlchemy then spends ~0.7 ms a query computing their cache
    key: ~2 ms a turn. Same SQL: the current session is the events from the latest
    `session_started` on, or all of them when there is none."""
    e = table.c
    starts = table.alias("session_starts")
    sender = sa.bindparam("sender_id")
    session_start = (
        sa.select(sa.func.max(starts.c.timestamp))
        .where(starts.c.sender_id == sender, starts.c.type_name == SessionStarted.type_name)
        .scalar_subquery()
    )
    in_current_session = sa.or_(e.timestamp >= session_start, session_start.is_(None))
    events_of_all_sessions = sa.select(e.data).where(e.sender_id == sender).order_by(e.id)
    events_of_current_session = events_of_all_sessions.where(in_current_session)
    count_current_session = (
        sa.select(sa.func.count())
        .select_from(table)
        .where(e.sender_id == sender, in_current_session)
    )
    return events_of_current_session, events_of_all_sessions, count_current_session, table.insert()


async def _sql_retrieve(
    self: SQLTrackerStore, sender_id: str, fetch_events_from_all_sessions: bool
) -> DialogueStateTracker | None:
    current, every, _, _ = _tracker_statements(self.SQLEvent.__table__)
    with self.engine.connect() as connection:
        query = every if fetch_events_from_all_sessions else current
        rows = connection.execute(query, {"sender_id": sender_id}).all()
    serialised = [orjson.loads(data) for (data,) in rows]
    if self.domain and serialised:
        return DialogueStateTracker.from_dict(sender_id, serialised, self.domain.slots)
    return None


async def _sql_save(self: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
    await self.stream_events(tracker)
    _, _, count, insert = _tracker_statements(self.SQLEvent.__table__)
    with self.engine.begin() as connection:
        stored = connection.execute(count, {"sender_id": tracker.sender_id}).scalar_one()
        rows = []
        for new_event in itertools.islice(tracker.events, stored, len(tracker.events)):
            data = new_event.as_dict()
            rows.append(
                {
                    "sender_id": tracker.sender_id,
                    "type_name": new_event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                    "action_name": data.get("name"),
                    "data": _dumps(data),
                }
            )
        if rows:
            connection.execute(insert, rows)


# --- 7. one HTTP session per endpoint --------------------------------------------------------


class _Borrowed:
    """`async with endpoint.session() as session:` as Rasa writes it, but leaving the session
    open for the next request."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *_exc: object) -> None:
        return None


_sessions: weakref.WeakKeyDictionary[Any, dict[str, aiohttp.ClientSession]] = (
    weakref.WeakKeyDictionary()
)


def _dumps(value: Any) -> str:
    """JSON text of `value`, as json.dumps gives it (without its spaces): orjson is ~4x faster
    than ujson and ~12x faster than json on a tracker's floats. NumPy scalars (the
    classifier's confidences) are written as the floats they are."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    except (orjson.JSONEncodeError, TypeError):  # an odd type: the standard encoder's answer
        return json.dumps(value)


def _shared_session(self: EndpointConfig) -> _Borrowed:
    """Rasa opens a new aiohttp session, so a new TCP connection, for every action call, and
    encodes the tracker it sends with the standard json module (~2 ms a turn on our
    conversations). Here each endpoint (per event loop) keeps one session with keep-alive
    connections and encodes with orjson (same JSON, ~12x faster). The action server keeps idle
    connections 120 s and aiohttp drops them after 15 s, so a reused one is never stale."""
    sessions = _sessions.setdefault(asyncio.get_running_loop(), {})
    key = repr((self.url, self.headers, self.basic_auth))
    session = sessions.get(key)
    if session is None or session.closed:
        auth = None
        if self.basic_auth:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        session = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            json_serialize=_dumps,
        )
        sessions[key] = session
    return _Borrowed(session)


# --- 8. logistic regression coefficients in the order the product reads them --------------------

# Patched on scikit-learn's class, which is looked up on every call: Rasa's graph has already
# bound its components' `process` functions when this policy is loaded.
_original_decision_function = LogisticRegression.decision_function


def _decision_function(self: LogisticRegression, X: Any) -> Any:
    coef = getattr(self, "coef_", None)
    if coef is not None and not coef.flags.f_contiguous:
        self.coef_ = np.asfortranarray(coef)
    return _original_decision_function(self, X)


# --- 9. the graph runner: the same nodes in the same dependency order, without dask ------------


_dask_run = DaskGraphRunner.run  # Rasa's own, for comparison (tests/e2e/test_rasa_speedups.py)


def _run_plan(runner: DaskGraphRunner, targets: tuple[str, ...]) -> list[tuple[str, Any, tuple]]:
    """(node name, node, the names its inputs come from) in an order where every node comes
    after the nodes it needs; only the nodes the targets need (Rasa's minimal schema)."""
    schema = runner._graph_schema.minimal_graph_schema(list(targets))
    order = TopologicalSorter(
        {
            name: [n for n in node.needs.values() if n in schema.nodes]
            for name, node in schema.nodes.items()
        }
    ).static_order()
    return [
        (name, runner._instantiated_nodes[name], tuple(schema.nodes[name].needs.values()))
        for name in order
    ]


def _run_graph(
    self: DaskGraphRunner,
    inputs: dict[str, Any] | None = None,
    targets: list[str] | None = None,
) -> dict[str, Any]:
    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    plans = self.__dict__.setdefault("_speedups_plans", {})
    plan = plans.get(run_targets)
    if plan is None:
        plan = plans[run_targets] = _run_plan(self, run_targets)
    # What dask hands a node: each parent's (name, output), or the bare name of an input
    # nobody provided (GraphNode warns about those itself).
    results: dict[str, Any] = {}
    names = {name for name, _, _ in plan}
    for input_name, value in (inputs or {}).items():
        if isinstance(value, str) and value in names:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of the "
                f"input names passed to the `run` method are the same as node names in the "
                f"graph schema."
            )
        results[input_name] = (input_name, value)
    try:
        for name, node, needs in plan:
            results[name] = node(*(results.get(need, need) for need in needs))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
    return dict(results[target] for target in run_targets)


# --- 10. a few turns in flight at a time, the rest waiting their turn in order -------------------


def _turns_in_flight() -> int:
    raw = os.environ.get("RASA_TURNS_IN_FLIGHT", "4")
    try:
        return max(int(raw), 0)
    except ValueError:
        logger.warning("RASA_TURNS_IN_FLIGHT=%r is not a whole number: using 4", raw)
        return 4


# Per event loop (a Sanic worker has one; a test may run several one after another).
_turn_slots: weakref.WeakKeyDictionary[Any, asyncio.Semaphore] = weakref.WeakKeyDictionary()
_original_handle_message = MessageProcessor.handle_message


async def _handle_message_in_turn(self: MessageProcessor, message: Any) -> Any:
    loop = asyncio.get_running_loop()
    slots = _turn_slots.get(loop)
    if slots is None:
        slots = _turn_slots[loop] = asyncio.Semaphore(_turns_in_flight())
    async with slots:
        return await _original_handle_message(self, message)


# --- 11. button payloads read without running the NLU pipeline -----------------------------------

_graph_parse = MessageProcessor._parse_message_with_graph  # Rasa's own (compared in the tests)
REGEX_HANDLER = "RegexMessageHandler"


def _parse_payload_or_graph(
    self: MessageProcessor, message: Any, tracker: Any, only_output_properties: bool = True
) -> dict[str, Any]:
    text = message.text
    if (
        isinstance(text, str)
        and text.strip().startswith(INTENT_MESSAGE_PREFIX)
        and self.model_metadata.nlu_target == f"run_{REGEX_HANDLER}"  # the default recipe's
    ):
        unpacked = YAMLStoryReader.unpack_regex_message(
            Message(data={TEXT: text}), self.domain, entity_extractor_name=REGEX_HANDLER
        )
        if unpacked.get(INTENT):  # the handler replaces whatever the pipeline found
            parse_data = {
                TEXT: "",
                INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
                ENTITIES: [],
            }
            parse_data.update(unpacked.as_dict(only_output_properties=only_output_properties))
            return parse_data
    return _graph_parse(self, message, tracker, only_output_properties)


# --- 12. no copies for debug lines nobody will see ------------------------------------------------


class _CopyForDebugLines:
    """`copy` as seen by a module that deep-copies only values it passes to debug log lines."""

    def __init__(self, module_logger: str) -> None:
        self._loggers = (logging.getLogger(), logging.getLogger(module_logger))

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if any(log.isEnabledFor(logging.DEBUG) for log in self._loggers):
            return copy.deepcopy(value, memo)
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _copy_only_for_debug_lines() -> None:
    from rasa.core import processor
    from rasa.core.actions import forms
    from rasa.core.policies import rule_policy

    for module in (processor, forms, rule_policy):
        module.copy = _CopyForDebugLines(module.__name__)  # type: ignore[attr-defined]


# --- 13. applied events and dialogue states carried on, not rebuilt ------------------------------

_original_applied_events = DialogueStateTracker.applied_events
_original_states_for_history = Domain.states_for_tracker_history
_MEMO = "_speedups_memo"


class _AppliedEventsMemo:
    """What `applied_events` worked out for `events[:length]` of one events deque."""

    def __init__(self, history: Any) -> None:
        self.history = history  # the deque itself: a new deque is a new history
        self.length = 0
        self.first: Any = None
        self.last: Any = None
        self.loop_names: set[str] = set()
        self.applied: list[Any] = []

    def still_prefix(self, history: Any) -> bool:
        return (
            history is self.history
            and len(history) >= self.length
            and (
                self.length == 0
                or (history[0] is self.first and history[self.length - 1] is self.last)
            )
        )


def _loop_names(history: Any) -> set[str]:
    return {e.name for e in history if isinstance(e, events.ActiveLoop) and e.name}


def _applied_events(self: DialogueStateTracker) -> list[Any]:
    if type(self) is not DialogueStateTracker:  # training trackers keep Rasa's own
        return _original_applied_events(self)
    history = self.events
    memo = self.__dict__.get(_MEMO)
    new = None
    if isinstance(memo, _AppliedEventsMemo) and memo.still_prefix(history):
        new = list(itertools.islice(history, memo.length, None))
        if not _loop_names(new) <= memo.loop_names:
            new = None  # a new loop changes how earlier events are read (Rasa's loop_names)
    if new is None:
        memo = _AppliedEventsMemo(history)
        memo.loop_names = _loop_names(history)
        new = list(history)
    # Rasa's loop, over the new events only (`loop_names` as Rasa computes it over all events).
    applied = memo.applied
    for item in new:
        if isinstance(item, (events.Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(item, events.ActionReverted):
            self._undo_till_previous(events.ActionExecuted, applied)
        elif isinstance(item, events.UserUtteranceReverted):
            self._undo_till_previous(events.UserUttered, applied)
            self._undo_till_previous(events.ActionExecuted, applied)
        elif (
            isinstance(item, events.ActionExecuted)
            and item.action_name in memo.loop_names
            and not self._first_loop_execution_or_unhappy_path(item.action_name, applied)
        ):
            self._undo_till_previous_loop_execution(item.action_name, applied)
        else:
            applied.append(item)
    memo.length = len(history)
    memo.first = history[0] if history else None
    memo.last = history[-1] if history else None
    self.__dict__[_MEMO] = memo
    return list(applied)


class _StatesMemo:
    """The replay of a tracker's applied events so far, and the state before each action."""

    def __init__(self, tracker: DialogueStateTracker, domain: Domain) -> None:
        self.domain = domain
        self.replay = tracker.init_copy()
        self.replayed: list[Any] = []
        self.states: list[Any] = []


def _states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[Any]:
    if ignore_rule_only_turns or type(tracker) is not DialogueStateTracker:
        return _original_states_for_history(
            self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data
        )
    memos = tracker.__dict__.setdefault(_MEMO + "_states", {})
    key = (id(self), omit_unset_slots)
    memo = memos.get(key)
    applied = tracker.applied_events()
    if (
        memo is None
        or memo.domain is not self
        or not (
            len(applied) >= len(memo.replayed)
            and all(a is b for a, b in zip(applied, memo.replayed, strict=False))
        )
    ):
        memo = memos[key] = _StatesMemo(tracker, self)
    # Rasa's generate_all_prior_trackers + states_for_tracker_history, from where it stopped
    for item in applied[len(memo.replayed) :]:
        if isinstance(item, events.ActionExecuted):
            state = self.get_active_state(memo.replay, omit_unset_slots=omit_unset_slots)
            memo.states.append(self._clean_state(state))
        memo.replay.update(item)
        memo.replayed.append(item)
    last = self.get_active_state(memo.replay, omit_unset_slots=omit_unset_slots)
    return [*memo.states, self._clean_state(last)]


def install() -> None:
    if RemoteAction._validate_action_result is not _validate_action_result:
        _response_validators()
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
        events.Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]
        event.listen(Engine, "connect", _sqlite_synchronous_normal)
        SQLTrackerStore._retrieve = _sql_retrieve  # type: ignore[method-assign]
        SQLTrackerStore.save = _sql_save  # type: ignore[method-assign]
        EndpointConfig.session = _shared_session  # type: ignore[method-assign]
        LogisticRegression.decision_function = _decision_function  # type: ignore[method-assign]
        DaskGraphRunner.run = _run_graph  # type: ignore[method-assign]
        MessageProcessor._parse_message_with_graph = _parse_payload_or_graph  # type: ignore[method-assign]
        _copy_only_for_debug_lines()
        DialogueStateTracker.applied_events = _applied_events  # type: ignore[method-assign]
        Domain.states_for_tracker_history = _states_for_tracker_history  # type: ignore[method-assign]
        if _turns_in_flight() > 0:
            MessageProcessor.handle_message = _handle_message_in_turn  # type: ignore[method-assign]
        gc.collect()
        gc.freeze()
        logger.info("rasa_speedups: installed (action response schema, event lookup, sqlite)")


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False
)
class RasaSpeedups(Policy):
    """Installs the fixes above when the model loads; predicts nothing (all zeros)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # The lowest priority: it never predicts, so it must never win a tie either.
        return {"priority": 0}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> RasaSpeedups:
        install()
        return cls(config, model_storage, resource, execution_context)

    load = create  # nothing is trained or stored: loading is creating

    def train(
        self,
        training_trackers: list[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        return self._prediction(self._default_predictions(domain))
