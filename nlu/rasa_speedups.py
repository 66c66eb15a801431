"""Three fixes for Rasa 3.6 hot spots that cost more than the dialogue itself.

Measured with cProfile on our conversations (bench/rasa_turns.py has the before/after):
  1. Every custom action's response is checked with `jsonschema.validate(response, spec)`,
     which first validates the constant spec against the meta-schema: ~140 ms of CPU per
     action call with the pinned jsonschema 4.17. Here the spec is compiled once; responses
     are checked against it exactly as before (same errors, same rejections).
  2. Every stored event is deserialised through `Event.resolve_by_type`, which walks all
     Event subclasses (with `inspect.isabstract` on each) for every single event: ~0.2 ms per
     event, so ~20 ms to load a 100-event conversation. Here the lookup is a dict, built from
     the same subclass walk and rebuilt whenever a name is missing (late-imported events).
  3. Rasa opens its SQLite tracker store with SQLite's default `synchronous=FULL`, an fsync
     per turn on the event loop (~10 ms). Here SQLite connections made through SQLAlchemy use
     `synchronous=NORMAL` in WAL mode, the setting the clinic store already uses: safe
     against process crashes; an OS crash may lose the last turns, never corrupt the file.

Installed by loading `RasaSpeedups` as a policy (config.yml `policies:`): a policy is what
Rasa loads with the model; it predicts nothing itself. Runs in .venv-rasa; imports nothing
from clinic/.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.policy import Policy, PolicyPrediction
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
def _response_validator() -> Any:
    spec = RemoteAction.action_response_format_spec()
    cls = validator_for(spec)
    cls.check_schema(spec)  # once
    return cls(spec)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    try:
        _response_validator().validate(result)
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


def install() -> None:
    if RemoteAction._validate_action_result is not _validate_action_result:
        _response_validator()
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
        events.Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]
        event.listen(Engine, "connect", _sqlite_synchronous_normal)
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

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> RasaSpeedups:
        install()
        return cls(config, model_storage, resource, execution_context)

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
