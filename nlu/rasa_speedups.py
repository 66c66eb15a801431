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
     event as an ORM object. Here it reads just the JSON column with the same query, and
     inserts a turn's new events in one statement; what is stored and loaded is unchanged.
  6. Rasa's heap after loading (TensorFlow, the model, ~470,000 objects) makes every full
     garbage collection a ~440 ms stall of the event loop. Once the model is loaded those
     objects are frozen (`gc.freeze()`): collections then walk only what the turns allocate.

Installed by loading `RasaSpeedups` as a policy (config.yml `policies:`): a policy is what
Rasa loads with the model; it predicts nothing itself. Runs in .venv-rasa; imports nothing
from clinic/.
"""

from __future__ import annotations

import gc
import json
import logging
from functools import cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core import events
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
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


async def _sql_retrieve(
    self: SQLTrackerStore, sender_id: str, fetch_events_from_all_sessions: bool
) -> DialogueStateTracker | None:
    with self.session_scope() as session:
        query = self._event_query(session, sender_id, fetch_events_from_all_sessions)
        rows = query.with_entities(self.SQLEvent.data).all()
        serialised = [json.loads(data) for (data,) in rows]
    if self.domain and serialised:
        return DialogueStateTracker.from_dict(sender_id, serialised, self.domain.slots)
    return None


async def _sql_save(self: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
    await self.stream_events(tracker)
    with self.session_scope() as session:
        rows = []
        for new_event in self._additional_events(session, tracker):
            data = new_event.as_dict()
            rows.append(
                {
                    "sender_id": tracker.sender_id,
                    "type_name": new_event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                }
            )
        if rows:
            session.execute(self.SQLEvent.__table__.insert(), rows)
        session.commit()


def install() -> None:
    if RemoteAction._validate_action_result is not _validate_action_result:
        _response_validators()
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
        events.Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]
        event.listen(Engine, "connect", _sqlite_synchronous_normal)
        SQLTrackerStore._retrieve = _sql_retrieve  # type: ignore[method-assign]
        SQLTrackerStore.save = _sql_save  # type: ignore[method-assign]
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
